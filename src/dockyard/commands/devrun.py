"""`dockyard shell`, `run` and `test`: one-off dev containers with the source mounted."""

from __future__ import annotations

import sys

import click

from dockyard.commands.build import build_images
from dockyard.engine import docker
from dockyard.manifest import App, Project

DEV_COMPOSE = "compose.dev.yaml"


def _needed(project: Project, app: App) -> list[App]:
    """The app and every app its dev service starts first (test-needs, depends-on)."""
    order: list[App] = []

    def visit(current: App) -> None:
        if current in order:
            return
        for name in (*current.config.depends_on, *current.config.test_needs):
            visit(project.app(name))
        order.append(current)

    visit(app)
    return order


def ensure_dev_images(project: Project, apps: list[App]) -> None:
    """Build the dev images that are missing, so a one-off never runs a stale guess."""
    missing = []
    for app in apps:
        image = f"{project.registry or project.name}/{app.name}:dev"
        if docker.inspect_image(image) is None:
            missing.append(app.name)
    if missing:
        click.echo(f"dev image(s) not built yet for {', '.join(missing)}; building", err=True)
        build_images(project, missing, kinds=("dev",))


def _run_args(app: App, command: list[str]) -> list[str]:
    args = ["run", "--rm"]
    if not sys.stdin.isatty():
        args.append("-T")
    return [*args, app.name, *command]


def run_in_dev(project: Project, name: str, command: list[str]) -> int:
    app = project.app(name)
    docker.require_engine()
    ensure_dev_images(project, _needed(project, app))
    proc = docker.compose(project.root, DEV_COMPOSE, _run_args(app, command), check=False)
    return proc.returncode


def shell(project: Project, name: str) -> int:
    return run_in_dev(
        project, name, ["sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"]
    )


def test(project: Project, names: tuple[str, ...], pytest_args: tuple[str, ...]) -> int:
    """Each app's tests in its dev container; services it needs run in a throwaway project."""
    docker.require_engine()
    apps = project.select(names)
    ensure_dev_images(
        project, list({a.name: a for app in apps for a in _needed(project, app)}.values())
    )
    failed = []
    for app in apps:
        click.echo(f"== {app.name}: {' '.join(app.config.test_command)} "
                   f"(in {app.member.path}) ==", err=True)
        test_project = f"{project.name}-test-{app.name}"
        try:
            proc = docker.compose(
                project.root,
                DEV_COMPOSE,
                _run_args(app, [*app.config.test_command, *pytest_args]),
                project_name=test_project,
                check=False,
            )
        finally:
            docker.compose(
                project.root, DEV_COMPOSE, ["down", "--volumes", "--remove-orphans"],
                project_name=test_project, capture=True, check=False,
            )
        if proc.returncode != 0:
            failed.append(app.name)
    if failed:
        click.echo(f"tests failed for: {', '.join(failed)}", err=True)
        return 1
    click.echo(f"tests passed for: {', '.join(a.name for a in apps)}", err=True)
    return 0
