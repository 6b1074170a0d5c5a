"""`dockyard down`: remove the dev containers (the Dev Containers CLI has no `down`)."""

from __future__ import annotations

import click

from dockyard.devuser import compose_env
from dockyard.engine import docker
from dockyard.errors import DockyardError
from dockyard.manifest import Project

DEV_COMPOSE = "compose.dev.yaml"


def down(project: Project, *, volumes: bool) -> int:
    """Stop and remove every container of the dev project (VS Code's, `dev`, notebooks)."""
    if not (project.root / DEV_COMPOSE).is_file():
        raise DockyardError(f"no {DEV_COMPOSE} in {project.root}; run `dockyard generate` first")
    docker.require_engine()
    # every profile: a service outside the default profiles (e.g. a bot) is still removed
    args = ["--profile", "*", "down", "--remove-orphans", *(["--volumes"] if volumes else [])]
    proc = docker.compose(
        project.root, DEV_COMPOSE, args, capture=True, check=False, env=compose_env(project.root)
    )
    if proc.returncode != 0:
        lines = (proc.stderr or "").strip().splitlines()
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise DockyardError(f"docker compose -f {DEV_COMPOSE} down failed: {reason}")
    click.echo(
        f"removed the dev containers of {project.name}-dev"
        + (" and their volumes" if volumes else " (volumes kept; --volumes drops them)")
    )
    return 0
