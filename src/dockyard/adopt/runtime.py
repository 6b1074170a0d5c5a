"""How the requirements layout's apps run: run_*.sh scripts, app objects and compose files."""

from __future__ import annotations

from pathlib import Path

from dockyard.adopt import legacy, pyscan, translate
from dockyard.adopt.detected import AppGuess, DeployGuess, app_name, unique_names
from dockyard.adopt.project import serve_command
from dockyard.adopt.requirements import COMPOSE_GLOBS, Found, RequirementsLayout, owner

SHELLS = ("/bin/bash", "bash", "/bin/sh", "sh")


def _script_of(command: list[str]) -> str | None:
    """``run_parser.sh`` when a command only starts that script."""
    words = command[1:] if command and command[0] in SHELLS else command
    if len(words) == 1 and words[0].endswith(".sh"):
        return Path(words[0]).name
    return None


def _python(command: list[str]) -> list[str]:
    """The venv's python is on PATH in dockyard images; `python3` would be the system one."""
    return ["python", *command[1:]] if command and command[0] == "python3" else command


def run_scripts(
    root: Path, layout: RequirementsLayout, packages: list[str], commands: dict
) -> None:
    """Replace a CMD that starts ``run_x.sh`` by what the script runs (and find others)."""
    d = layout.detection
    via = {_script_of(f.command): pkg for pkg, f in commands.items() if _script_of(f.command)}
    for path in sorted(root.glob("run_*.sh")):
        script = legacy.parse_run_script(path.read_text(encoding="utf-8"))
        command = script.command or []
        module = command[2] if len(command) > 2 and command[1] == "-m" else ""
        pkg = via.get(path.name) or owner(module.split(".")[0], packages, None)
        pkg = pkg or owner(path.stem.removeprefix("run_"), packages, layout.base)
        if pkg is None or script.command is None:
            d.unmapped.append(f"{path.name}: no package or command found in it; map it by hand")
            continue
        if pkg in commands and path.name not in via:
            continue  # the Dockerfile starts this app some other way
        command = _python(script.command)
        if command[0] == "python" and len(command) > 1 and command[1].endswith(".py"):
            d.unmapped.append(
                f"{path.name}: runs {command[1]}, a file outside the packages; move it into "
                f"{pkg} and run it with `python -m`"
            )
            continue
        why = f"{path.name}" + (f" (started by {commands[pkg].why})" if pkg in commands else "")
        commands[pkg] = Found(command, why, dict(script.environment))
        if script.workdir and script.workdir != "/app":
            d.unmapped.append(f"{path.name}: cd {script.workdir} (the app runs in /app)")
        d.unmapped += [f"{path.name}: {line!r} (not carried over)" for line in script.unmapped]


def port_of(command: list[str]) -> str | None:
    for flag in ("--port", "-p", "--bind", "-b"):
        if flag in command[:-1]:
            return command[command.index(flag) + 1].rsplit(":", 1)[-1]
    return None


def _name(layout: RequirementsLayout, package: str) -> str:
    base = layout.base
    short = package.removeprefix(f"{base}_") if base and package != base else package
    return app_name(short)


def apps(
    root: Path, layout: RequirementsLayout, commands: dict, staged: set[str]
) -> dict[str, AppGuess]:
    """Packages that run (a command, an app object, ``__main__``) or have their own image."""
    out: dict[str, AppGuess] = {}
    for package, member in layout.members.items():
        objects = pyscan.scan_package(root / package)[0]
        deps = translate.provided([line.text for line in member.lines if line.text])
        name = _name(layout, package)
        if package in commands:
            found = commands[package]
            # `uv run X` is X; a dev server is the dev-command, with a prod command derived
            result = translate.translate(found.command, objects[0] if objects else None, deps)
            guess = AppGuess(name, member.dist, result.command, found.why)
            guess.dev_command = result.dev_command
            guess.environment.update(found.environment)
            layout.detection.unmapped += [f"app {name}: {note}" for note in result.notes]
        elif objects:
            command, note = serve_command(objects[0], deps)
            why = f"{objects[0].framework} app object {objects[0].module}:{objects[0].variable}"
            guess = AppGuess(name, member.dist, command, why)
            if note:
                layout.detection.unmapped.append(f"app {name}: {note}")
        elif package != layout.base and (root / package / "__main__.py").is_file():
            guess = AppGuess(name, member.dist, ["python", "-m", package], f"{package}/__main__.py")
        elif package != layout.base and package in staged:
            guess = AppGuess(name, member.dist, None, "its own Dockerfile stage, no CMD")
        else:
            continue
        port = port_of(guess.command or []) or (str(objects[0].port) if objects else None)
        if objects and objects[0].health and port:
            guess.health = f"http://127.0.0.1:{port}{objects[0].health}"
        out[package] = guess
    unique_names(list(out.values()))
    return out


def _service_owner(
    service: legacy.Service, layout: RequirementsLayout, packages: list[str]
) -> str | None:
    for hint in (service.target, service.name, (service.image or "").rsplit(":", 1)[-1]):
        pkg = owner(hint or "", packages, None) if hint else None
        if pkg:
            return pkg
    return None


def compose(root: Path, layout: RequirementsLayout, packages: list[str], found: dict) -> None:
    """Ports, bind mounts and variables into the apps; a server compose's env files into a
    deploy target."""
    d = layout.detection
    paths = sorted({p for pattern in COMPOSE_GLOBS for p in root.glob(pattern)})
    for path in paths:
        dev = "dev" in path.name
        target = DeployGuess("server", path.name, [])
        for service in legacy.parse_compose(path.read_text(encoding="utf-8")):
            pkg = _service_owner(service, layout, packages)
            if pkg not in found:
                d.unmapped.append(f"{path.name}: service {service.name} matches no app")
                continue
            app = found[pkg]
            carry(app, service, path.name, d.found)
            _env_files(layout, app, service, path.name, target)
            image = service.image or ""
            registry = image.rsplit("/", 1)[0] if "/" in image else ""
            if registry and not dev and not any(registry in line for line in d.unmapped):
                d.unmapped.append(
                    f'{path.name}: images come from {registry}: set registry = "{registry}" in '
                    "[tool.dockyard] once you push there"
                )
        if target.apps:
            d.deploy.append(target)
            d.found.append(
                f"{path.name} (a server's compose file) -> [tool.dockyard.deploy.server] "
                f"for {', '.join(target.apps)}"
            )


def _env_files(
    layout: RequirementsLayout,
    app: AppGuess,
    service: legacy.Service,
    source: str,
    target: DeployGuess,
) -> None:
    """A server's compose (it pulls a built image) -> the deploy target, with its env files."""
    if "dev" not in source and not service.builds and app.command:
        target.apps.append(app.name)
        if service.env_files:
            target.env_files[app.name] = service.env_files
    elif service.env_files:
        where = "dev containers take variables from" if "dev" in source else "put the variables in"
        layout.detection.unmapped.append(
            f"{source}: service {service.name} env_file {', '.join(service.env_files)}"
            f": {where} apps.{app.name}.environment"
        )


def carry(app: AppGuess, service: legacy.Service, source: str, found: list[str]) -> None:
    for port in service.ports:
        if port not in app.ports:
            app.ports.append(port)
            found.append(f"{source}: {service.name} port {port} -> apps.{app.name}.ports")
    for host, target in service.binds:
        spec = f"{host}:{target}"
        if spec not in app.volumes:
            app.volumes.append(spec)
            found.append(f"{source}: {service.name} bind mount {spec} -> apps.{app.name}.volumes")
        if target.startswith("/") and target not in app.writable:
            app.writable.append(target)
    for spec in service.named:
        if spec not in app.volumes:
            app.volumes.append(spec)
    for key, value in service.environment.items():
        app.environment.setdefault(key, value)
