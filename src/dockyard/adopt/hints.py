"""A single app's hand-written Dockerfile and compose files: its real command, port,
mounts and env files, carried into the detection of a pyproject-based project."""

from __future__ import annotations

from dockyard.adopt import legacy
from dockyard.adopt.detected import AppGuess, DeployGuess, Detection
from dockyard.adopt.requirements import COMPOSE_GLOBS
from dockyard.adopt.runtime import carry, port_of

SHELL_FORMS = ("/bin/sh", "/bin/bash", "sh", "bash")


def _dockerfile_command(detection: Detection, app: AppGuess) -> None:
    path = detection.root / "Dockerfile"
    if not path.is_file():
        return
    stages = [s for s in legacy.parse_dockerfile(path.read_text(encoding="utf-8")) if s.cmd]
    if not stages:
        return
    cmd = stages[-1].cmd or []
    if cmd[0] in SHELL_FORMS:
        detection.unmapped.append(
            f"Dockerfile: CMD {' '.join(cmd)} runs through a shell; kept the detected command"
        )
        return
    app.command, app.why = ["python", *cmd[1:]] if cmd[0] == "python3" else cmd, "Dockerfile CMD"
    port = port_of(cmd)
    if port and app.ports:
        app.ports = [f"{port}:{port}"]
        if app.health:
            app.health = "http://127.0.0.1:" + port + "/" + app.health.split("/", 3)[3]


def _is_app(service: legacy.Service, app: AppGuess, name: str) -> bool:
    return service.builds or service.name in (app.name, name, app.member)


def _compose(detection: Detection, app: AppGuess) -> None:
    paths = sorted({p for pattern in COMPOSE_GLOBS for p in detection.root.glob(pattern)})
    for path in paths:
        target = DeployGuess("server", path.name, [])
        for service in legacy.parse_compose(path.read_text(encoding="utf-8")):
            if not _is_app(service, app, detection.name):
                detection.unmapped.append(
                    f"{path.name}: service {service.name} ({service.image or 'no image'}) is not "
                    "your app; dockyard's compose.yaml runs only your apps, so keep it beside"
                )
                continue
            if service.ports:
                app.ports = []  # the user's own mapping wins over the guessed one
            carry(app, service, path.name, detection.found)
            if service.env_files and not service.builds and "dev" not in path.name:
                target.apps.append(app.name)
                target.env_files[app.name] = service.env_files
            elif service.env_files:
                detection.unmapped.append(
                    f"{path.name}: service {service.name} env_file "
                    f"{', '.join(service.env_files)}: put the variables in "
                    f"apps.{app.name}.environment"
                )
        if target.apps:
            detection.deploy.append(target)


def single_app_hints(detection: Detection) -> None:
    """For a single project: what its own Dockerfile and compose files say about the app."""
    if detection.layout != "single project" or len(detection.apps) != 1:
        return
    app = detection.apps[0]
    _dockerfile_command(detection, app)
    _compose(detection, app)
