"""Which layout a repository has, what it holds, and the files `init --write` would write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import tomlkit
from packaging.specifiers import SpecifierSet

from dockyard import basepython
from dockyard.adopt import convert, legacy, requirements, runtime
from dockyard.adopt.detected import AppGuess, Detection, project_name
from dockyard.adopt.hints import single_app_hints
from dockyard.adopt.project import detect_project
from dockyard.adopt.render import dockyard_table
from dockyard.errors import DockyardError
from dockyard.manifest import DEFAULT_BASE_IMAGE
from dockyard.modules import command_module, imported_members, missing_module
from dockyard.workspace import load_workspace, normalize, read_toml

SUPPORTED = (
    "dockyard adopts a uv workspace, a single pyproject.toml project (PEP 621), or top-level "
    "package folders with requirements_<app>.txt files"
)
GENERATED = ("Dockerfile", "compose.yaml", "compose.dev.yaml", "docker-bake.json")
OTHER_ECOSYSTEMS = {
    "package.json": "a Node.js project",
    "go.mod": "a Go module",
    "Cargo.toml": "a Rust crate",
    "pom.xml": "a Java (Maven) project",
    "build.gradle": "a Java (Gradle) project",
    "Gemfile": "a Ruby project",
    "composer.json": "a PHP project",
}


def _unsupported(root: Path, what: str, how: str) -> DockyardError:
    return DockyardError(f"{root}: {what}. {SUPPORTED}. {how}; nothing was written")


def _check_pyproject(root: Path, pyproject: Path) -> None:
    data = read_toml(pyproject)
    if "dockyard" in data.get("tool", {}):
        raise DockyardError(f"{pyproject} already has [tool.dockyard]; edit it there")
    if "project" in data or requirements.is_requirements_layout(root):
        return
    if "poetry" in data.get("tool", {}):
        raise _unsupported(
            root,
            "a Poetry project ([tool.poetry], no [project] table)",
            "Convert it first with `uvx migrate-to-uv` (keeps your dependencies and groups), "
            "then run `dockyard init` again",
        )
    raise _unsupported(root, f"{pyproject.name} has no [project] table", "Add one (PEP 621)")


def check_supported(root: Path) -> None:
    """Raise a clear error (exit 2) for a repository dockyard cannot adopt."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        _check_pyproject(root, pyproject)
        return
    if requirements.is_requirements_layout(root):
        return
    if (root / "setup.py").is_file() or (root / "setup.cfg").is_file():
        raise _unsupported(
            root,
            "a setup.py/setup.cfg project without pyproject.toml",
            "Add a pyproject.toml with a [project] table (name, version, dependencies from "
            "install_requires) and a [build-system], then run `dockyard init` again",
        )
    if any(root.glob("requirements*.txt")):
        raise _unsupported(
            root,
            "requirements files but no package folder (a folder with __init__.py)",
            "Put your code in a package folder, or start a project with `uv init`",
        )
    for marker, what in OTHER_ECOSYSTEMS.items():
        if (root / marker).is_file():
            raise _unsupported(root, f"{what} ({marker}), not a Python one", "Nothing to adopt")
    python = any(root.glob("*.py"))
    raise _unsupported(
        root,
        "Python files but no pyproject.toml or requirements file"
        if python
        else "no Python project",
        "Start one with `uv init` (a pyproject.toml), or try `dockyard init --example DIR`",
    )


# (requires-python of the project, the base image it would get) -> (a better base or None,
# a line for the report or None); it may ask the engine, so `dockyard init` passes it in
BasePicker = Callable[[SpecifierSet, str], tuple[str | None, str | None]]


def _base_for_python(detection: Detection, pick: BasePicker) -> None:
    """A base image whose Python satisfies every member's requires-python."""
    workspace = load_workspace(detection.root)
    paths = [m.path for m in workspace.members.values()]
    spec, _ = basepython.requires_python(basepython.project_pyprojects(detection.root, paths))
    image, note = pick(spec, detection.base_image or DEFAULT_BASE_IMAGE)
    if image:
        detection.base_image = image
    if note:
        needs_you = image is None or "bootstrap" in note or "DOCKYARD_BASE_IMAGE" in note
        (detection.unmapped if needs_you else detection.found).append(note)


def _refuse(detection: Detection, app: str, why: str) -> DockyardError:
    return DockyardError(
        f"{detection.root}: {app}: {why}; an image built so could not start. Fix the "
        "command (or the packages), then run `dockyard init` again; nothing was written"
    )


def _check_project_commands(detection: Detection) -> None:
    """Refuse an app whose command runs a module its image would not hold."""
    workspace = load_workspace(detection.root)
    members = list(workspace.members.values())
    for app in detection.apps:
        name = normalize(app.member)
        if not app.command or name not in workspace.members:
            continue
        in_image = workspace.first_party_closure(name)
        why = missing_module(detection.root, app.name, app.command, members, in_image)
        if why:
            raise _refuse(detection, f"app {app.name}", why)


def _check_requirements_commands(layout: requirements.RequirementsLayout) -> None:
    """The same for package folders: an app's (or a Dockerfile stage's) `python -m x`
    whose x is a folder that is no package."""
    detection = layout.detection
    runs = [(f"app {app.name}", app.command or []) for app in detection.apps]
    dockerfile = detection.root / "Dockerfile"
    if dockerfile.is_file():
        stages = legacy.parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
        runs += [(f"Dockerfile stage {s.name or s.base}", s.cmd) for s in stages if s.cmd]
    for name, argv in runs:
        module = command_module(argv)
        top = module.split(".")[0] if module else ""
        if not top or not (detection.root / top).is_dir() or top in layout.members:
            continue
        raise _refuse(
            detection,
            name,
            f"its command runs {module}, but {top}/ is not a package (no __init__.py or "
            "__main__.py), so no image would hold it",
        )


def _root_tests(detection: Detection) -> None:
    """Say where `dockyard test` runs a workspace's root-level tests/."""
    workspace = load_workspace(detection.root)
    members = list(workspace.members.values())
    tests = detection.root / "tests"
    if not workspace.is_workspace or not tests.is_dir() or not detection.apps:
        return
    if any(m.path == "." for m in members):
        return
    imported = imported_members(detection.root, tests, members)

    def held(app: AppGuess) -> int:
        closure = workspace.first_party_closure(normalize(app.member))
        return sum(m in closure for m in imported)

    host = max(detection.apps, key=held)
    names = ", ".join(m.name for m in imported) or "no member"
    detection.found.append(
        f"tests/ at the root (imports {names}): `dockyard test` runs it in the dev container "
        f"of app {host.name}"
        + ("; the root's dev group goes into every dev image" if workspace.root_dev_group else "")
    )


def detect(root: Path, pick_base: BasePicker | None = None) -> Detection:
    """What `dockyard init` found at ``root``, with the files ``--write`` would write."""
    root = root.resolve()
    if not root.is_dir():
        raise DockyardError(f"{root} is not a folder; pass the project root with --project DIR")
    check_supported(root)
    if not requirements.is_requirements_layout(root):
        detection = detect_project(root)
        single_app_hints(detection)
        _check_project_commands(detection)
        _root_tests(detection)
        if detection.apps and pick_base is not None:
            _base_for_python(detection, pick_base)
        if detection.apps:
            text = detection.files.get("pyproject.toml")
            document = tomlkit.parse(text or (root / "pyproject.toml").read_text(encoding="utf-8"))
            document.setdefault("tool", tomlkit.table(is_super_table=True))
            document["tool"]["dockyard"] = dockyard_table(detection)
            detection.files["pyproject.toml"] = tomlkit.dumps(document)
            if "pyproject.toml" not in detection.backups:
                detection.backups.append("pyproject.toml")
    else:
        layout = detect_requirements(root)
        detection = layout.detection
        _check_requirements_commands(layout)
        if detection.apps:
            detection.files = convert.requirements_files(layout, dockyard_table(detection))
    _hand_written_outputs(detection)
    detection.backups += [rel for rel in detection.retired if rel not in detection.backups]
    return detection


def _hand_written_outputs(detection: Detection) -> None:
    """Files `dockyard generate` will own that the user wrote: moved aside, not overwritten."""
    for rel in GENERATED:
        path = detection.root / rel
        if rel in detection.retired or not path.is_file():
            continue
        if path.read_text(encoding="utf-8", errors="replace").startswith("# Generated by dockyard"):
            continue
        detection.retired.append(rel)
        detection.found.append(f"{rel} (hand-written): `dockyard generate` writes its own")


def detect_requirements(root: Path) -> requirements.RequirementsLayout:
    packages = requirements.package_folders(root)
    base = requirements.base_package(packages)
    detection = Detection("requirements layout", root, project_name(base or root.name))
    layout = requirements.RequirementsLayout(
        detection, {p: requirements.RequirementsMember(p) for p in packages}, base, None
    )
    requirements.read_requirements(root, layout, packages)
    requirements.first_party(root, layout, packages)
    commands, staged = requirements.read_dockerfile(root, layout, packages)
    runtime.run_scripts(root, layout, packages, commands)
    apps = runtime.apps(root, layout, commands, staged)
    runtime.compose(root, layout, packages, apps)
    detection.apps = list(apps.values())
    for package, member in layout.members.items():
        if package in apps:
            continue
        detection.libraries.append(member.dist)
        detection.library_why[member.dist] = (
            "the base package the others build on"
            if package == layout.base
            else "no Dockerfile stage or CMD, run_*.sh, __main__.py or web app object"
        )
    return layout
