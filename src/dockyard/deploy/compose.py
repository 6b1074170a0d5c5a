"""The compose backend: deploy, rollback, status and logs for one server with Compose.

A deploy replaces the apps one by one, each after the apps it needs, and only the apps
whose image content or settings changed (a new revision of unchanged sources keeps
running). An app that serves ports is replaced blue/green: the new container starts
beside the old one (apps publish no port: the server's dockyard-proxy owns them), is
health-checked, the proxy switches to it, requests in flight to the old one drain
(drain-timeout), then the old one stops. An app without ports is replaced
`start-first` or `stop-first` (`update` in the manifest), health-gated either way.

A release that fails its healthcheck or exits is removed, together with any app of
the same deploy already replaced, which goes back to the running release the same
way: the old release keeps serving and the command exits non-zero with the new
container's last log lines. Ctrl-C does the same. A lock on the server (a created,
never started container) keeps a second deploy to the same target out.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from dockyard.console import note
from dockyard.deploy.health import SERVICE_LABEL, is_app, judge_container
from dockyard.deploy.proxy import Proxy
from dockyard.deploy.release import (
    Release,
    State,
    dropped_images,
    make_current,
    pick_release,
    with_note,
)
from dockyard.deploy.target import (
    PROJECT_LABEL,
    Target,
    check_env_files,
    helper_image,
    load_state,
    new_release,
    now,
    staged,
    status_image,
    status_time,
    write_files,
    write_state,
)
from dockyard.engine import images as image_engine
from dockyard.engine import proxy as proxy_engine
from dockyard.engine import rollout
from dockyard.engine.models import Container
from dockyard.engine.proxy import proxy_name as proxy_network
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.names import label_value
from dockyard.render.server import (
    VERSION_LABEL,
    DeployImage,
    Port,
    render_server_compose,
    served_ports,
    update_order,
)


def rollout_order(project: Project, apps: list[str], running: set[str]) -> list[str]:
    """The running apps to replace one by one, each after the apps it depends on."""
    order: list[str] = []

    def visit(app: str) -> None:
        if app in order or app not in apps:
            return
        for need in project.apps[app].config.depends_on:
            visit(need)
        order.append(app)

    for app in apps:
        visit(app)
    return [app for app in order if app in running]


class RolloutFailed(DockyardError):
    """One app's new container did not come up; with its last log lines."""

    def __init__(self, reason: str, logs: list[str]) -> None:
        super().__init__(reason)
        self.reason, self.logs = reason, logs


def _pull(target: Target, compose_text: str) -> None:
    with staged(target, compose_text) as file:
        detail = rollout.pull(target.engine, target.compose_project, file)
    if detail is not None:
        if image_engine.unreachable(detail):
            detail = f"the server cannot reach the registry: {detail}"
        raise DockyardError(
            f"deploy target '{target.name}': pulling the new images on "
            f"{target.engine.address} failed ({detail}); nothing was changed there"
        )


def _prune(target: Target, before: State, after: State) -> None:
    """Remove images no kept release needs (best effort: one in use stays)."""
    rollout.remove_images(target.engine, sorted(dropped_images(before, after)))


def _containers(target: Target, app: str) -> list[Container]:
    """The app's containers on the server (one-off `run` containers left out)."""
    label = f"{PROJECT_LABEL}={target.compose_project}"
    return [c for c in target.engine.containers(label) if is_app(c, app)]


def _name(container: Container) -> str:
    return container.name.lstrip("/")


def _wait_one(target: Target, app: str, container_id: str) -> None:
    """Until the container is healthy (or running, without a healthcheck); else why not."""
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
            return
        if time.monotonic() > deadline:
            raise RolloutFailed(
                f"{waiting} after {timeout}s", rollout.last_logs(target.engine, _name(found[0]))
            )
        time.sleep(0.5)


class Rollout:
    """Replaces apps on one server, app by app, and knows how to route them."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.proxy = Proxy(target)

    def ports(self, app: str) -> list[Port]:
        return served_ports(self.target.project, self.target.config, app)

    def replace(self, app: str, file: Path) -> None:
        """Run ``app`` as ``file`` says, health-gated; raise RolloutFailed (having removed
        the new container, the old one untouched or, stop-first, stopped) when it fails."""
        target = self.target
        mine = _containers(target, app)
        old = [c for c in mine if c.state.status == "running"]
        stale = [_name(c) for c in mine if c.state.status != "running"]
        rollout.remove(target.engine, stale)  # exited copies would confuse --scale
        order = update_order(target.project, target.config, app)
        if old and order == "stop-first":
            note(f"{app}: stopping the old container, then starting the new one (stop-first)")
            rollout.replace(target.engine, target.compose_project, file, app)
            new = _containers(target, app)
        else:
            before = {c.id for c in old}
            rollout.start_beside(target.engine, target.compose_project, file, app, len(old) + 1)
            new = [c for c in _containers(target, app) if c.id not in before]
        if not new:
            raise RolloutFailed(f"{app}: docker compose started no new container", [])
        try:
            for container in new:
                _wait_one(target, app, container.id)
        except (RolloutFailed, KeyboardInterrupt):
            if order == "start-first" or not old:
                rollout.remove(target.engine, [_name(c) for c in new])
            raise
        self._switch(app, old, new)

    def put_back(self, app: str, file: Path, ref: str | None) -> None:
        """Run ``app`` as the earlier release ``file`` says: route back to a container of
        ``ref`` still running (removing the others), else replace it again."""
        mine = _containers(self.target, app)
        good = [c for c in mine if c.config.image == ref and c.state.status == "running"]
        if good:
            kept = {c.id for c in good}
            self._switch(app, [c for c in mine if c.id not in kept], good[:1])
        else:
            self.replace(app, file)

    def _switch(self, app: str, old: list[Container], new: list[Container]) -> None:
        """Route the app's ports to the new container, drain the old ones, stop them."""
        target = self.target
        keep = {c.id for c in new}
        gone = [c for c in old if c.id not in keep]
        dials = []
        for port in self.ports(app):
            dial = f"{_name(new[0])}:{port.container}"
            before = self.proxy.switch(app, port, dial)
            if before and before != dial:
                dials.append(before)
        if dials:
            time.sleep(0.5)  # requests accepted just before the switch are counted
            busy = self.proxy.drain(dials, target.config.drain_seconds)
            if busy:
                note(f"{app}: {busy} request(s) still in flight after the drain timeout")
        rollout.stop(target.engine, [_name(c) for c in gone])
        rollout.remove(target.engine, [_name(c) for c in gone])


def _service(compose_text: str, app: str) -> dict | None:
    """An app's service in a server compose file, without what names the build."""
    service = (yaml.safe_load(compose_text).get("services") or {}).get(app)
    if service is None:
        return None
    service = {k: v for k, v in service.items() if k != "image"}
    labels = {k: v for k, v in (service.get("labels") or {}).items() if k != VERSION_LABEL}
    return {**service, "labels": labels}


def unchanged(
    target: Target, running: Release | None, new: dict[str, DeployImage], text: str
) -> dict[str, DeployImage]:
    """The apps whose running container already runs what ``new`` would: same image
    content (labels aside, so a new revision of unchanged sources), same settings."""
    if running is None:
        return {}
    same = {}
    for app, image in new.items():
        ref = running.images.get(app)
        if ref is None or _service(running.compose, app) != _service(text, app):
            continue
        if not [c for c in _containers(target, app) if c.config.image == ref
                and c.state.status == "running"]:  # fmt: skip
            continue
        key = rollout.content_key(target.engine, ref)
        if key is not None and key == rollout.content_key(target.engine, image.reference):
            same[app] = DeployImage(app, ref, running.versions.get(app, image.version))
    return same


def _holder() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"


@contextmanager
def locked(target: Target, image: str, break_lock: bool = False) -> Iterator[None]:
    """The target's deploy lock on the server, for the block; a second deploy refuses."""
    name = lock_name(target)
    if break_lock:
        rollout.unlock(target.engine, name)
    held = rollout.lock(target.engine, name, image, _holder(), now())
    if held:
        raise DockyardError(
            f"another deploy to '{target.name}' holds the lock on {target.engine.address} "
            f"({held}); wait for it to finish, or, if it was interrupted and no deploy "
            f"runs, run `dockyard deploy {target.name} --break-lock` (or rollback)"
        )
    try:
        yield
    finally:
        rollout.unlock(target.engine, name)


def lock_name(target: Target) -> str:
    return f"{target.compose_project}-dockyard-lock"


@contextmanager
def _no_interrupt() -> Iterator[None]:
    """Ctrl-C is held off (here and in the docker commands run) while a release is put
    back, so that the server is never left half-way."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def roll(
    target: Target,
    helper: str,
    state: State,
    state_text: str | None,
    text: str,
    changed: list[str],
    what: str,
) -> None:
    """Replace ``changed`` apps to run ``text``; on failure or Ctrl-C put the running
    release back (the apps already replaced included) and raise."""
    apps = list(target.config.apps)
    order = rollout_order(target.project, apps, set(apps))
    steps = Rollout(target)
    done: list[str] = []
    ports = [p for app in apps for p in served_ports(target.project, target.config, app)]
    with staged(target, text) as file:
        try:
            write_files(target, helper, text)  # put back with the rest on failure
            if ports:
                steps.proxy.ensure(ports, fallback_base=helper)
            for app in order:
                if app not in changed:
                    continue
                order_name = update_order(target.project, target.config, app)
                note(f"{app}: starting the new release ({order_name})")
                done.append(app)
                steps.replace(app, file)
                note(f"{app}: healthy and serving")
            rollout.settle(target.engine, target.compose_project, file)
        except (DockyardError, KeyboardInterrupt) as exc:
            with _no_interrupt():
                raise _restore(target, helper, state, state_text, done, exc, what) from None


def _restore(
    target: Target,
    helper: str,
    state: State,
    state_text: str | None,
    done: list[str],
    exc: BaseException,
    what: str,
) -> DockyardError:
    """Put the running release back for the apps a failed deploy touched; the error."""
    interrupted = isinstance(exc, KeyboardInterrupt)
    reason = "interrupted (Ctrl-C)" if interrupted else str(exc)
    head = f"{what} on '{target.name}' failed: {reason}"
    logs = getattr(exc, "logs", [])
    if logs:  # printed first: the error stays the last line, and one line
        note("last log lines of the new container:\n    " + "\n    ".join(logs))
    previous = state.running
    steps = Rollout(target)
    if previous is None:
        rollout.down(target.engine, target.compose_project)
        write_state(target, helper, with_note(state, f"{now()}: {head}"), "", state_text)
        return DockyardError(
            f"{head}; there was no earlier release, so its containers were removed "
            "(volumes and bind mounts kept)"
        )
    failures = []
    with staged(target, previous.compose) as file:
        for app in reversed(done):
            try:
                steps.put_back(app, file, previous.images.get(app))
            except DockyardError as again:
                failures.append(f"{app}: {again}")
    failed = f"{now()}: {head}; {previous.summary()} kept running"
    write_state(target, helper, with_note(state, failed), previous.compose, state_text)
    if failures:
        return DockyardError(f"{head}; putting {previous.summary()} back failed too: "
                             f"{'; '.join(failures)}")  # fmt: skip
    return DockyardError(f"{head}; {previous.summary()} kept serving")


def deploy_compose(target: Target, new: dict[str, DeployImage], break_lock: bool = False) -> int:
    first = render_server_compose(target.project, target.name, target.config, new, proxy_network())
    versions = ", ".join(f"{app} {image.version}" for app, image in new.items())
    note(f"deploying to '{target.name}' ({target.engine.address}): {versions}")
    _pull(target, first)
    helper = next(iter(new.values())).reference
    with locked(target, helper, break_lock):
        state, state_text = load_state(target, helper)
        if state.note:
            note(f"the last deploy on this target did not go through: {state.note}")
        same = unchanged(target, state.running, new, first)
        images = {**new, **same}
        text = render_server_compose(
            target.project, target.name, target.config, images, proxy_network()
        )
        for app, image in same.items():
            note(f"{app}: unchanged (same image content as {image.version}), not restarted")
        changed = [app for app in new if app not in same]
        note(f"waiting up to {target.config.health_timeout} for each new container to be healthy")
        roll(target, helper, state, state_text, text, changed, "deploy")
        after, release = new_release(target, state, images, text)
        write_state(target, helper, after, text, state_text)
    _prune(target, state, after)
    note(f"{release.summary()} is live on '{target.name}' and healthy")
    return 0


def rollback_compose(target: Target, release_id: int | None, break_lock: bool = False) -> int:
    """Run an earlier release again (default: the one before the running one), through
    the same health-gated switch as a deploy."""
    check_env_files(target)
    helper = helper_image(target)
    with locked(target, helper, break_lock):
        state, state_text = load_state(target, helper)
        chosen = pick_release(state, release_id, target.name)
        note(f"rolling '{target.name}' back to {chosen.summary()}")
        images = {
            app: DeployImage(app, ref, chosen.versions.get(app, "?"))
            for app, ref in chosen.images.items()
        }
        same = unchanged(target, state.running, images, chosen.compose)
        changed = [app for app in images if app not in same]
        roll(target, helper, state, state_text, chosen.compose, changed,
             f"rollback to release {chosen.id}")  # fmt: skip
        write_state(target, helper, make_current(state, chosen.id), chosen.compose, state_text)
    note(f"{chosen.summary()} is live on '{target.name}' and healthy")
    return 0


def _row(container: Container) -> tuple[str, str, str, str, str]:
    labels = container.labels
    state = container.state
    health = state.health_status
    status = state.status + (f" ({health})" if health else "")
    short = status_image(container.config.image)
    version = label_value(labels, VERSION_LABEL) or "?"
    return (
        labels.get(SERVICE_LABEL, "?"),
        short,
        version,
        status,
        status_time(state.started_at),
    )


def _serving(target: Target) -> dict[str, list[str]]:
    """Container name -> the ports the proxy routes to it (empty when no proxy runs)."""
    proxy = Proxy(target)
    if not proxy_engine.inspect(target.engine, proxy.name):
        return {}
    out: dict[str, list[str]] = {}
    try:
        for app in target.config.apps:
            for port in served_ports(target.project, target.config, app):
                dial = proxy.upstream(app, port)
                if dial:
                    out.setdefault(dial.rsplit(":", 1)[0], []).append(f":{port.published}")
    except DockyardError:
        return out
    return out


def compose_rows(target: Target) -> list[tuple[str, str, str, str, str]]:
    containers = target.engine.containers(f"{PROJECT_LABEL}={target.compose_project}")
    serving = _serving(target)
    rows = []
    for container in containers:
        app, image, version, state, since = _row(container)
        ports = serving.get(_name(container))
        if ports:
            state += f" serving {','.join(ports)}"
        rows.append((app, image, version, state, since))
    if (holder := rollout.lock_holder(target.engine, lock_name(target))) is not None:
        rows.append(("(lock)", "-", "-", f"a deploy holds the lock: {holder}", ""))
    return sorted(rows)


class ComposeBackend:
    """One server with Compose."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def deploy(self, new: dict[str, DeployImage], break_lock: bool = False) -> int:
        return deploy_compose(self.target, new, break_lock)

    def rollback(self, release_id: int | None, break_lock: bool = False) -> int:
        return rollback_compose(self.target, release_id, break_lock)

    def status(self) -> list[tuple[str, str, str, str, str]]:
        return compose_rows(self.target)

    def logs(self, apps: tuple[str, ...], follow: bool, tail: str) -> int:
        return rollout.logs(self.target.engine, self.target.compose_project, apps, follow, tail)
