"""Deploys: one backend per engine behind one small interface, chosen in one place.

    target.py   one deploy target at work (its engine, server directory, state file)
    release.py  the releases kept on the server (pure)
    health.py   is a container healthy, failed or still starting? (pure)
    compose.py  one server with Compose: blue/green behind the dockyard proxy
    swarm.py    a Docker Swarm: `docker stack deploy` rolling updates
    proxy.py    the dockyard-proxy (Caddy) container every compose server shares

`backend(target)` is the only place that looks at a target's `kind`.
"""

from __future__ import annotations

from typing import Protocol

from dockyard.deploy.target import Target
from dockyard.render.server import DeployImage

Row = tuple[str, str, str, str, str]  # app, image, version, state, since (UTC)


class Backend(Protocol):
    """What `dockyard deploy/rollback/status/logs` ask of an engine kind."""

    def deploy(self, new: dict[str, DeployImage], break_lock: bool = False) -> int: ...

    def rollback(self, release_id: int | None, break_lock: bool = False) -> int: ...

    def status(self) -> list[Row]: ...

    def logs(self, apps: tuple[str, ...], follow: bool, tail: str) -> int: ...


def backend(target: Target) -> Backend:
    """The backend for the target's `kind` (compose or swarm)."""
    if target.config.kind == "swarm":
        from dockyard.deploy.swarm import SwarmBackend

        return SwarmBackend(target)
    from dockyard.deploy.compose import ComposeBackend

    return ComposeBackend(target)
