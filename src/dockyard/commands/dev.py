"""`dockyard dev`: run an app's dev service with live reload (its `dev-command`)."""

from __future__ import annotations

from dockyard.build.devimages import ensure_dev_images
from dockyard.console import say
from dockyard.devuser import compose_env
from dockyard.engine import containers, docker
from dockyard.errors import DockyardError
from dockyard.manifest import App, Project
from dockyard.names import DEV_COMPOSE_FILE
from dockyard.plan import needed_apps


def dev_app(project: Project, name: str | None) -> App:
    """The named app, or the one app with a `dev-command`."""
    if name is not None:
        return project.app(name)
    found = [app for app in project.apps.values() if app.config.dev_command]
    if len(found) != 1:
        names = ", ".join(a.name for a in found) or "none"
        raise DockyardError(
            f"name the app: `dockyard dev APP` (apps with a dev-command in "
            f"{project.pyproject}: {names})"
        )
    return found[0]


def dev(project: Project, name: str | None, *, build: bool) -> int:
    """`docker compose up APP` on compose.dev.yaml, attached; Ctrl-C stops and removes it."""
    app = dev_app(project, name)
    docker.require_engine()
    services = [a.name for a in needed_apps(project, app)]
    ensure_dev_images(project, needed_apps(project, app), build=build)
    if not app.config.dev_command:
        say(
            f"note: app {app.name} has no dev-command; it runs its command, without reload",
        )
    env = compose_env(project.root)
    code = 0
    try:
        code = containers.compose_foreground(
            project.root, DEV_COMPOSE_FILE, ["up", app.name], env=env
        )
    except KeyboardInterrupt:
        code = 0
    finally:
        # Leave nothing behind: the services this command started are removed.
        docker.compose(
            project.root,
            DEV_COMPOSE_FILE,
            ["rm", "--stop", "--force", *services],
            capture=True,
            env=env,
        )
    say(f"stopped and removed the dev services {', '.join(services)}")
    return code
