"""`dockyard down`: remove the dev containers (the Dev Containers CLI has no `down`)."""

from __future__ import annotations

from dockyard.console import show
from dockyard.devuser import compose_env
from dockyard.engine import docker
from dockyard.engine.run import last_line
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.names import DEV_COMPOSE_FILE


def down(project: Project, *, volumes: bool) -> int:
    """Stop and remove every container of the dev project (VS Code's, `dev`, notebooks)."""
    if not (project.root / DEV_COMPOSE_FILE).is_file():
        raise DockyardError(
            f"no {DEV_COMPOSE_FILE} in {project.root}; run `dockyard generate` first"
        )
    docker.require_engine()
    # every profile: a service outside the default profiles (e.g. a bot) is still removed
    args = ["--profile", "*", "down", "--remove-orphans", *(["--volumes"] if volumes else [])]
    proc = docker.compose(
        project.root, DEV_COMPOSE_FILE, args, capture=True, env=compose_env(project.root)
    )
    if proc.returncode != 0:
        reason = last_line(proc.stderr, proc.returncode)
        raise DockyardError(f"docker compose -f {DEV_COMPOSE_FILE} down failed: {reason}")
    show(
        f"removed the dev containers of {project.name}-dev"
        + (" and their volumes" if volumes else " (volumes kept; --volumes drops them)")
    )
    return 0
