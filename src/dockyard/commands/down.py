"""`dockyard down`: remove the dev containers (the Dev Containers CLI has no `down`)."""

from __future__ import annotations

from dockyard.console import show
from dockyard.devuser import compose_env
from dockyard.engine import docker
from dockyard.engine.run import why_failed
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.names import DEV_COMPOSE_FILE
from dockyard.render.compose import named_volumes


def down(project: Project, *, volumes: bool) -> int:
    """Stop and remove every container of the dev project (VS Code's, `dev`, notebooks)."""
    if not (project.root / DEV_COMPOSE_FILE).is_file():
        raise DockyardError(
            f"no {DEV_COMPOSE_FILE} in {project.root}; run `dockyard generate` first"
        )
    docker.require_engine()
    env = compose_env(project.root)
    # each app's dev container is a Compose project of its own; the shared one goes last,
    # with the volumes when asked (they are shared by name, so no other project holds them)
    files = [f".devcontainer/{app}/compose.yaml" for app in project.apps]
    files = [rel for rel in files if (project.root / rel).is_file()]
    drop = ["--volumes"] if volumes else []
    for rel in files:
        _down(project, rel, ["--remove-orphans", *drop], env)
    _down(project, DEV_COMPOSE_FILE, ["--remove-orphans", *drop], env)
    if volumes:
        _drop_shared_volumes(project)
    show(
        f"removed the dev containers of {project.name}-dev"
        + (f" and of {len(files)} apps' dev containers" if files else "")
        + (" and their volumes" if volumes else " (volumes kept; --volumes drops them)")
    )
    return 0


def _down(project: Project, rel: str, options: list[str], env: dict[str, str]) -> None:
    # every profile: a service outside the default profiles (e.g. a bot) is still removed
    args = ["--profile", "*", "down", *options]
    proc = docker.compose(project.root, rel, args, capture=True, check=False, env=env)
    if proc.returncode != 0:
        reason = why_failed(proc)
        raise DockyardError(f"docker compose -f {rel} down failed: {reason}")


def _drop_shared_volumes(project: Project) -> None:
    """The dev volumes are shared by name: whichever project made one keeps its label, so
    remove what the downs left (nothing uses them now)."""
    names = {
        f"{project.name}-dev_{volume}"
        for app in project.apps.values()
        for volume in named_volumes(app.config.volumes)
    }
    leftover = sorted(names & set(docker.volume_names()))
    if leftover:
        docker.remove_volumes(leftover)
