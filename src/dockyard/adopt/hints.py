"""A single app's hand-written Dockerfile and compose files: its real command, port,
mounts and env files, carried into the detection of a pyproject-based project."""

from __future__ import annotations

from dockyard.adopt import legacy, project, pyscan, translate
from dockyard.adopt.detected import AppGuess, DeployGuess, Detection
from dockyard.adopt.requirements import COMPOSE_GLOBS
from dockyard.adopt.runtime import carry
from dockyard.workspace import read_toml


def _dockerfile_command(detection: Detection, app: AppGuess) -> None:
    """The project's own Dockerfile CMD wins over the guess: translated (``uv run`` dropped,
    a dev server split into dev-command and a production command), with the app's ENV."""
    path = detection.root / "Dockerfile"
    stage = project.dockerfile_stage(path)
    if stage is None:
        return
    directory = detection.root
    objects = [o for p in pyscan.import_packages(directory) for o in pyscan.scan_package(p)[0]]
    data = read_toml(directory / "pyproject.toml").get("project", {})
    deps = translate.provided([d for d in data.get("dependencies", []) if isinstance(d, str)])
    notes: list[str] = []
    guess = project.dockerfile_guess(path, directory, objects, deps, (app.name, app.member), notes)
    # the Dockerfile's word on the command replaces the guess's notes about it
    detection.unmapped = [n for n in detection.unmapped if not n.startswith(f"app {app.name}:")]
    detection.unmapped += notes
    if guess is None:
        return
    app.command, app.dev_command, app.why = guess.command, guess.dev_command, guess.why
    if guess.ports:
        app.ports = guess.ports
    if guess.health or app.health:
        port = (guess.ports or app.ports or ["8000:8000"])[0].split(":")[-1]
        route = (guess.health or app.health or "").split("/", 3)[3]
        app.health = f"http://127.0.0.1:{port}/{route}"
    app.environment.update(guess.environment)
    _, uv_env = translate.app_environment(stage.env)
    if guess.environment:
        detection.found.append(
            f"Dockerfile ENV {', '.join(guess.environment)} -> apps.{app.name}.environment"
        )
    if uv_env:
        detection.found.append(
            f"Dockerfile ENV {', '.join(uv_env)}: settings of uv/pip/Python for that build, "
            "not of the app; dockyard's Dockerfile sets its own"
        )


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
