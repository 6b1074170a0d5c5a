"""Apps of a pyproject-based project (a uv workspace or a single project), told from libraries."""

from __future__ import annotations

from pathlib import Path

import tomlkit

from dockyard.adopt import legacy, pyscan, translate
from dockyard.adopt.detected import AppGuess, Detection, app_name, project_name, unique_names
from dockyard.workspace import Member, load_workspace, read_toml

HOST = "0.0.0.0"
SHELL_FORMS = ("/bin/sh", "/bin/bash", "sh", "bash")
LIBRARY = "no console script, __main__.py, web app object or Dockerfile CMD"


def serve_command(app: pyscan.AppObject, deps: set[str]) -> tuple[list[str], str | None]:
    """The command that serves an app object, and a note when its server is not a
    dependency (``deps``: what the project installs, servers its extras bring included)."""
    target = f"{app.module}:{app.variable}"
    port = str(app.port)
    if app.kind == "asgi":
        if "hypercorn" in deps and "uvicorn" not in deps:
            return ["hypercorn", "--bind", f"{HOST}:{port}", target], None
        note = None if "uvicorn" in deps else "add uvicorn to its dependencies (it serves the app)"
        return ["uvicorn", target, "--host", HOST, "--port", port], note
    if "gunicorn" in deps:
        return ["gunicorn", "--bind", f"{HOST}:{port}", target], None
    note = "Flask's own server runs it; add gunicorn for production and change the command"
    return ["flask", "--app", target, "run", "--host", HOST, "--port", port], note


def web_guess(
    obj: pyscan.AppObject, deps: set[str], name: str, member: str, notes: list[str]
) -> AppGuess:
    """An app serving a FastAPI/Starlette/Flask object: command, port, health route."""
    command, note = serve_command(obj, deps)
    if note:
        notes.append(f"app {name}: {note}")
    why = f"{obj.framework} app object {obj.module}:{obj.variable}"
    guess = AppGuess(name, member, command, why, ports=[f"{obj.port}:{obj.port}"])
    if obj.health:
        guess.health = f"http://127.0.0.1:{obj.port}{obj.health}"
    return guess


def dockerfile_stage(path: Path) -> legacy.Stage | None:
    """The last stage of a hand-written Dockerfile that has a CMD."""
    if not path.is_file():
        return None
    stages = legacy.parse_dockerfile(path.read_text(encoding="utf-8", errors="replace"))
    with_cmd = [s for s in stages if s.cmd]
    return with_cmd[-1] if with_cmd else None


def dockerfile_guess(
    path: Path,
    directory: Path,
    objects: list[pyscan.AppObject],
    deps: set[str],
    names: tuple[str, str],
    notes: list[str],
    label: str = "Dockerfile",
) -> AppGuess | None:
    """An app from the CMD of its own Dockerfile (the strongest signal there is), with the
    dev server split off, a script run by path made a module, and the app's ENV."""
    stage = dockerfile_stage(path)
    if stage is None or not stage.cmd:
        return None
    name, member = names
    if stage.cmd[0] in SHELL_FORMS:
        notes.append(f"{label}: CMD {' '.join(stage.cmd)} runs through a shell; not used")
        return None
    words = translate.strip_uv_run(stage.cmd)
    why = f"{label} CMD"
    module = translate.script_module(words, directory)
    if module:
        why += f" ({words[1]} run as the module {module[2]})"
        words = module
    target = next((w for w in words if ":" in w and not w.startswith("-")), "")
    obj = next((o for o in objects if f"{o.module}:{o.variable}" == target), None)
    result = translate.translate(words, obj or (objects[0] if objects else None), deps)
    notes += [f"app {name}: {note}" for note in result.notes]
    guess = AppGuess(name, member, result.command, why, dev_command=result.dev_command)
    port = translate.port_of(result.command) or next((p.split("/")[0] for p in stage.expose), None)
    if port:
        guess.ports = [f"{port}:{port}"]
        if obj is not None and obj.health:
            guess.health = f"http://127.0.0.1:{port}{obj.health}"
    guess.environment, _ = translate.app_environment(stage.env)
    return guess


def guess_member(
    directory: Path, data: dict, name: str, member: str, dockerfile: str | None = None
) -> tuple[AppGuess | None, list[str]]:
    """An app guess for one project folder (None: a library), plus notes on what is unclear.

    ``dockerfile``: the member's own Dockerfile (relative to the folder's parent project
    root, for messages), whose CMD wins over every guess.
    """
    project = data.get("project", {})
    deps = translate.provided([d for d in project.get("dependencies", []) if isinstance(d, str)])
    scripts = list(project.get("scripts", {}))
    objects: list[pyscan.AppObject] = []
    mains: list[str] = []
    for package in pyscan.import_packages(directory):
        objects += pyscan.scan_package(package)[0]
        if (package / "__main__.py").is_file():
            mains.append(package.name)
    notes: list[str] = []
    if dockerfile is not None:
        path = directory / "Dockerfile"
        guess = dockerfile_guess(path, directory, objects, deps, (name, member), notes, dockerfile)
        if guess is not None:
            return guess, notes
    if objects:
        if scripts:
            notes.append(
                f"app {name}: also has the console script {scripts[0]!r}; "
                "make it the command if that is how you start it"
            )
        return web_guess(objects[0], deps, name, member, notes), notes
    if scripts:
        if len(scripts) > 1:
            notes.append(f"app {name}: console scripts {', '.join(scripts)}; using the first")
        return AppGuess(name, member, [scripts[0]], f"console script {scripts[0]!r}"), notes
    if mains:
        why = f"{mains[0]}/__main__.py"
        return AppGuess(name, member, ["python", "-m", mains[0]], why), notes
    return None, notes


def _short(member: Member, prefix: str) -> str:
    short = member.name.removeprefix(f"{prefix}-") if member.name != prefix else member.name
    return app_name(short)


def detect_project(root: Path) -> Detection:
    """A uv workspace (apps vs libraries) or a single PEP 621 project with one app."""
    workspace = load_workspace(root)
    layout = "uv workspace" if workspace.is_workspace else "single project"
    detection = Detection(layout, root, project_name(workspace.root_name))
    for member in workspace.members.values():
        directory = root / member.path
        data = read_toml(directory / "pyproject.toml")
        name = _short(member, workspace.root_name)
        # a member's own Dockerfile (apps/x/Dockerfile); the root one is the project's
        dockerfile = f"{member.path}/Dockerfile" if member.path != "." else None
        guess, notes = guess_member(directory, data, name, member.name, dockerfile)
        detection.unmapped += notes
        if guess is None:
            detection.libraries.append(member.name)
            users = [m.name for m in workspace.members.values() if member.name in m.requires]
            used = f"; used by {', '.join(users)}" if users else "; no member uses it"
            detection.library_why[member.name] = LIBRARY + used
            continue
        if dockerfile is not None and guess.why.startswith(dockerfile):
            detection.found.append(
                f"{member.path}/Dockerfile: its CMD makes {member.name} an app; kept, but "
                "`dockyard build` builds every app from the generated root Dockerfile"
            )
        detection.apps.append(guess)
        if "build-system" not in data:
            _add_build_system(detection, directory, member)
    unique_names(detection.apps)
    return detection


def _add_build_system(detection: Detection, directory: Path, member: Member) -> None:
    """dockyard installs an app's member as a package: give it a build backend."""
    rel = "pyproject.toml" if member.path == "." else f"{member.path}/pyproject.toml"
    packages = [p.relative_to(directory).as_posix() for p in pyscan.import_packages(directory)]
    if not packages:
        detection.unmapped.append(
            f"{rel} has no [build-system] and no package folder; dockyard installs members as "
            "packages: move the code into a package and add a [build-system]"
        )
        return
    document = tomlkit.parse((directory / "pyproject.toml").read_text(encoding="utf-8"))
    build = tomlkit.table()
    build.add(tomlkit.comment("added by `dockyard init`: images install this project as a package"))
    build["requires"] = ["hatchling"]
    build["build-backend"] = "hatchling.build"
    document["build-system"] = build
    wheel = tomlkit.table()
    wheel["packages"] = packages
    document.setdefault("tool", tomlkit.table(is_super_table=True))
    document["tool"]["hatch"] = {"build": {"targets": {"wheel": wheel}}}
    detection.files[rel] = tomlkit.dumps(document)
    detection.backups.append(rel)
    detection.found.append(f"{rel}: no [build-system]; --write adds hatchling for {packages[0]}")
