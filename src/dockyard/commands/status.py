"""`dockyard status TARGET` (what runs: image, version, health, since) and `dockyard logs`."""

from __future__ import annotations

from dockyard.console import show
from dockyard.deploy import backend
from dockyard.deploy.target import open_target, read_state
from dockyard.errors import DockyardError
from dockyard.manifest import Project


def status(project: Project, target_name: str) -> int:
    target = open_target(project, target_name)
    target.engine.require()
    rows = backend(target).status()
    if not rows:
        show(f"nothing of {target.compose_project} runs on {target.engine.address}")
        return 1
    header = ("APP", "IMAGE", "VERSION", "STATE", "SINCE (UTC)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    show(f"{target.name}: {target.compose_project} on {target.engine.address}")
    for row in [header, *rows]:
        show("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    try:
        state = read_state(target)
    except DockyardError:
        return 0
    if state.note:
        show(f"last deploy that did not go through: {state.note}")
    if state.running:
        older = [str(r.id) for r in state.releases if r.id != state.current]
        show(
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
    return backend(target).logs(apps, follow, tail)
