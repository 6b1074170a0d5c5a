"""`dockyard status TARGET` (what runs: image, version, health, since) and `dockyard logs`."""

from __future__ import annotations

import click

from dockyard.errors import DockyardError
from dockyard.health import SERVICE_LABEL
from dockyard.manifest import Project
from dockyard.render.server import VERSION_LABEL
from dockyard.target import PROJECT_LABEL, Target, open_target, read_state


def _row(container: dict) -> tuple[str, str, str, str, str]:
    labels = container["Config"].get("Labels") or {}
    state = container["State"]
    health = (state.get("Health") or {}).get("Status")
    status = state["Status"] + (f" ({health})" if health else "")
    image = container["Config"]["Image"]
    repo, _, digest = image.partition("@")
    short = repo.rsplit("/", 1)[-1] + (f"@{digest[7:19]}" if digest else "")
    since = (state.get("StartedAt") or "")[:19].replace("T", " ")
    return (labels.get(SERVICE_LABEL, "?"), short, labels.get(VERSION_LABEL, "?"), status, since)


def compose_rows(target: Target) -> list[tuple[str, str, str, str, str]]:
    containers = target.engine.containers(f"{PROJECT_LABEL}={target.compose_project}")
    return sorted(_row(c) for c in containers)


def status(project: Project, target_name: str) -> int:
    target = open_target(project, target_name)
    target.engine.require()
    if target.config.kind == "swarm":
        from dockyard.commands.swarm import stack_rows

        rows = stack_rows(target)
    else:
        rows = compose_rows(target)
    if not rows:
        click.echo(f"nothing of {target.compose_project} runs on {target.engine.address}")
        return 1
    header = ("APP", "IMAGE", "VERSION", "STATE", "SINCE (UTC)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    click.echo(f"{target.name}: {target.compose_project} on {target.engine.address}")
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    try:
        state = read_state(target)
    except DockyardError:
        return 0
    if state.running:
        older = [str(r.id) for r in state.releases if r.id != state.current]
        click.echo(
            f"release {state.current}, deployed {state.running.deployed_at}; "
            f"kept for rollback: {', '.join(older) or 'none'}"
        )
    return 0


def logs(project: Project, target_name: str, apps: tuple[str, ...], follow: bool, tail: str) -> int:
    target = open_target(project, target_name)
    for app in apps:
        if app not in target.config.apps:
            raise DockyardError(
                f"'{app}' does not run on '{target_name}' (it runs: "
                f"{', '.join(target.config.apps)})"
            )
    target.engine.require()
    if target.config.kind == "swarm":
        from dockyard.commands.swarm import stack_logs

        return stack_logs(target, apps, follow, tail)
    args = ["logs", "--no-color", "--tail", tail, *(["--follow"] if follow else []), *apps]
    proc = target.engine.compose(target.compose_project, args, capture=False, timeout=None)
    return proc.returncode
