"""Replacing the apps of one compose server, one app at a time, health-gated.

The new containers of every app a deploy changes are created up front, beside the
running ones (`docker compose up --no-start`: created, never started, so nothing of the
new release runs before its turn). Then, app by app in dependency order, the new
container is started (`docker start`, a fraction of a second) and must turn healthy:
- an app with ports starts beside the old one; once healthy the proxy switches its
  ports to it, requests in flight to the old one drain, then the old one stops;
- an app without ports does the same without the proxy (`start-first`), or
  (`stop-first`) its old container stops before the new one starts.

Nothing here undoes a failure: deploy/compose.py puts the running release back with
``put_back`` and ``remove_unstarted``, on containers it inspects afresh.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from pathlib import Path

from dockyard.console import note
from dockyard.deploy.health import is_app, judge_container
from dockyard.deploy.proxy import Proxy
from dockyard.deploy.target import PROJECT_LABEL, Target
from dockyard.engine import rollout
from dockyard.engine.models import Container
from dockyard.errors import DockyardError
from dockyard.render.server import Port, served_ports, update_order

POLL = 0.2  # seconds between two looks at a starting container
WATCHED = 2.0  # ... when its events are watched: a look at each event, and this often


class RolloutFailed(DockyardError):
    """One app's new container did not come up; with its last log lines."""

    def __init__(self, reason: str, logs: list[str]) -> None:
        super().__init__(reason)
        self.reason, self.logs = reason, logs


def _containers(target: Target, app: str) -> list[Container]:
    """The app's containers on the server (one-off `run` containers left out)."""
    label = f"{PROJECT_LABEL}={target.compose_project}"
    return [c for c in target.engine.containers(label) if is_app(c, app)]


def _name(container: Container) -> str:
    return container.name.lstrip("/")


def wait_healthy(
    target: Target, app: str, container_id: str, watch: rollout.Watch | None = None
) -> Container:
    """Until the container is healthy (or running, without a healthcheck), inspected;
    else RolloutFailed saying why not. ``watch``: its health and exit events, looked at
    again as each comes (and every WATCHED seconds all the same)."""
    timeout = target.config.health_seconds
    deadline = time.monotonic() + timeout
    while True:
        found = target.engine.inspect([container_id])
        if not found:
            raise RolloutFailed(f"{app}'s new container was removed while it started", [])
        waiting, failed = judge_container(app, found[0])
        if failed:
            logs = rollout.last_logs(target.engine, _name(found[0]))
            if logs and (found[0].state.status != "running" or found[0].restart_count):
                failed = f"{app} crashed: {logs[-1].strip()[:200]} ({failed})"
            raise RolloutFailed(failed, logs)
        if not waiting:
            return found[0]
        if time.monotonic() > deadline:
            raise RolloutFailed(
                f"{waiting} after {timeout}s", rollout.last_logs(target.engine, _name(found[0]))
            )
        if watch is None:
            time.sleep(POLL)
        else:
            watch.wait(WATCHED)


def started_healthy(target: Target, app: str, ids: list[str]) -> list[Container]:
    """Start the created containers ``ids`` and wait until each is healthy."""
    watch = rollout.Watch(target.engine, ids)  # listening before they start
    try:
        rollout.start(target.engine, ids)
        return [wait_healthy(target, app, cid, watch) for cid in ids]
    finally:
        watch.close()


class Rollout:
    """Replaces apps on one server, app by app, and knows how to route them.

    ``containers``: the project's containers as the deploy found them (under its lock,
    so only this deploy changes them); None asks the engine.
    """

    def __init__(
        self, target: Target, containers: list[Container] | None = None, proxy: Proxy | None = None
    ) -> None:
        self.target = target
        self.proxy = proxy or Proxy(target)
        self.found = containers
        self.created: dict[str, list[str]] = {}  # app -> new container IDs, not started
        self.stopped: list[str] = []  # old containers stop-first stopped, removed by finish()
        self.proxy_ready: Future[None] | None = None  # the proxy, while it still starts

    def proxy_started(self) -> None:
        """Wait until the proxy started meanwhile is up (its error is the caller's)."""
        if self.proxy_ready is not None:
            self.proxy_ready.result()
            self.proxy_ready = None

    def ports(self, app: str) -> list[Port]:
        return served_ports(self.target.project, self.target.config, app)

    def snapshot(self) -> list[Container]:
        """The project's containers as found (asked of the engine the first time)."""
        if self.found is None:
            label = f"{PROJECT_LABEL}={self.target.compose_project}"
            self.found = self.target.engine.containers(label)
        return self.found

    def mine(self, app: str) -> list[Container]:
        return [c for c in self.snapshot() if is_app(c, app)]

    def create(self, apps: list[str], file: Path) -> None:
        """One new container per app, from ``file``, beside its running ones: created,
        not started. Exited copies are removed first (they would count in --scale)."""
        if not apps:
            return
        engine, project = self.target.engine, self.target.compose_project
        mine = {app: self.mine(app) for app in apps}
        stale = [c.id for app in apps for c in mine[app] if c.state.status != "running"]
        rollout.remove(engine, stale)
        counts = {app: sum(c.state.status == "running" for c in mine[app]) + 1 for app in apps}
        before = {c.id for app in apps for c in mine[app]}
        rollout.create(engine, project, file, counts)
        for cid, service in rollout.services(engine, project).items():
            if service in counts and cid not in before:
                self.created.setdefault(service, []).append(cid)
        missing = [app for app in apps if not self.created.get(app)]
        if missing:
            raise RolloutFailed(f"docker compose created no new container for {missing[0]}", [])

    def replace(self, app: str, file: Path, creating: Future[None] | None = None) -> None:
        """Run ``app`` as ``file`` says, health-gated (RolloutFailed when it does not
        come up). Its new container is the one ``create`` made (``creating``: is making),
        else one made now."""
        target = self.target
        old = [c for c in self.mine(app) if c.state.status == "running"]
        stop_first = update_order(target.project, target.config, app) == "stop-first"
        if old and stop_first:
            note(f"{app}: stopping the old container, then starting the new one (stop-first)")
            rollout.stop(target.engine, [c.id for c in old])
            self.stopped += [c.id for c in old]  # kept until the deploy is through
        if creating is not None:
            creating.result()
        if app not in self.created:
            self.create([app], file)
        new = self.created[app]
        started = started_healthy(target, app, new)
        del self.created[app]
        if not (old and stop_first):
            self.switch(app, old, started)

    def finish(self) -> None:
        """Remove the old containers stop-first stopped (a failed deploy starts them
        again instead)."""
        rollout.remove(self.target.engine, self.stopped)
        self.stopped = []

    def put_back(self, app: str, file: Path, ref: str | None) -> None:
        """Run ``app`` as the earlier release ``file`` says, on containers inspected
        afresh: route to a container of ``ref`` that still runs, else start one that
        stopped (stop-first), else replace the app again; the others are removed."""
        target = self.target
        mine = _containers(target, app)
        good = [c for c in mine if c.config.image == ref and c.state.status == "running"]
        stopped = [c for c in mine if c.config.image == ref and c.state.status == "exited"]
        if good:
            self.switch(app, [c for c in mine if c.id != good[0].id], good[:1])
        elif stopped:
            others = [c for c in mine if c.id != stopped[0].id]
            if update_order(target.project, target.config, app) == "stop-first":
                rollout.stop(target.engine, [c.id for c in others])  # never two at once
            self.switch(app, others, started_healthy(target, app, [stopped[0].id]))
        else:
            self.found = mine
            self.replace(app, file)

    def switch(self, app: str, old: list[Container], new: list[Container]) -> None:
        """Route the app's ports to the new container, drain the old ones, stop them."""
        target = self.target
        keep = {c.id for c in new}
        gone = [c for c in old if c.id not in keep]
        ports = self.ports(app)
        if ports:
            self.proxy_started()
        dials = []
        for port in ports:
            dial = f"{_name(new[0])}:{port.container}"
            before = self.proxy.switch(app, port, dial)
            if before and before != dial:
                dials.append(before)
        if dials:
            note(f"{app}: the proxy sends every new request to the new container now")
            time.sleep(0.5)  # a request that read the route just before has connected
            busy = self.proxy.drain(dials, target.config.drain_seconds)
            if busy:
                note(f"{app}: {busy} connection(s) to the old container open at the drain timeout")
        rollout.stop(target.engine, [c.id for c in gone])
        rollout.remove(target.engine, [c.id for c in gone])


def remove_unstarted(target: Target) -> None:
    """Remove the project's containers that were created and never started (a deploy
    makes them ahead of their turn; under its lock no one else does)."""
    label = f"{PROJECT_LABEL}={target.compose_project}"
    created = [c.id for c in target.engine.containers(label) if c.state.status == "created"]
    rollout.remove(target.engine, created)
