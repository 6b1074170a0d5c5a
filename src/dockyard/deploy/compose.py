"""The compose backend: deploy, rollback, status and logs for one server with Compose.

A deploy replaces the apps one by one, each after the apps it needs, and only the apps
whose image content or settings changed (a new revision of unchanged sources keeps
running). An app that serves ports is replaced blue/green: the new container starts
beside the old one (apps publish no port: the server's dockyard-proxy owns them), is
health-checked, the proxy switches to it, requests in flight to the old one drain
(drain-timeout), then the old one stops. An app without ports is replaced
`start-first` or `stop-first` (`update` in the manifest), health-gated either way
(deploy/bluegreen.py).

A release that fails its healthcheck or exits is removed, together with any app of
the same deploy already replaced, which goes back to the running release the same
way: the old release keeps serving and the command exits non-zero with the new
container's last log lines. Ctrl-C, or an ssh connection that drops, does the same
(over a new connection). A lock on the server (a created, never started container)
keeps a second deploy to the same target out. The server's compose file, env files
and state file are written together once the deploy is through, so they always agree.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import yaml

from dockyard.console import note
from dockyard.deploy.bluegreen import Rollout, remove_unstarted
from dockyard.deploy.health import SERVICE_LABEL, is_app
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
    write_state,
)
from dockyard.engine import images as image_engine
from dockyard.engine import proxy as proxy_engine
from dockyard.engine import rollout
from dockyard.engine.models import Container
from dockyard.engine.proxy import proxy_name as proxy_network
from dockyard.engine.ssh import LostConnection
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


def _name(container: Container) -> str:
    return container.name.lstrip("/")


def _service(compose_text: str, app: str) -> dict | None:
    """An app's service in a server compose file, without what names the build."""
    service = (yaml.safe_load(compose_text).get("services") or {}).get(app)
    if service is None:
        return None
    service = {k: v for k, v in service.items() if k != "image"}
    labels = {k: v for k, v in (service.get("labels") or {}).items() if k != VERSION_LABEL}
    return {**service, "labels": labels}


def unchanged(
    running: Release | None,
    new: dict[str, DeployImage],
    text: str,
    containers: list[Container],
    keys: dict[str, str],
) -> dict[str, DeployImage]:
    """The apps whose running container already runs what ``new`` would: same image
    content (labels aside, so a new revision of unchanged sources), same settings.
    ``keys``: each image's content key (rollout.content_keys)."""
    if running is None:
        return {}
    same = {}
    for app, image in new.items():
        ref = running.images.get(app)
        if ref is None or _service(running.compose, app) != _service(text, app):
            continue
        if not [c for c in containers if is_app(c, app) and c.config.image == ref
                and c.state.status == "running"]:  # fmt: skip
            continue
        key = keys.get(ref)
        if key is not None and key == keys.get(image.reference):
            same[app] = DeployImage(app, ref, running.versions.get(app, image.version))
    return same


def _project_containers(target: Target) -> list[Container]:
    return target.engine.containers(f"{PROJECT_LABEL}={target.compose_project}")


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
        _unlock(target, name)


def _unlock(target: Target, name: str) -> None:
    """Give the lock back; when the server cannot be reached for that, say so (the error
    that ended the deploy stays the one reported)."""
    try:
        rollout.unlock(target.engine, name)
    except DockyardError as exc:
        note(
            f"could not give back the deploy lock {name} on {target.engine.address} ({exc}); "
            f"once the server answers, `dockyard status {target.name}` shows it and "
            f"`dockyard deploy {target.name} --break-lock` takes it over"
        )


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
    containers: list[Container] | None = None,
    proxy: Proxy | None = None,
) -> None:
    """Replace ``changed`` apps to run ``text``; on failure, Ctrl-C or a dropped
    connection put the running release back (the apps already replaced included) and
    raise. ``proxy``: the server's proxy, made sure of by the caller (else here)."""
    apps = list(target.config.apps)
    order = [app for app in rollout_order(target.project, apps, set(apps)) if app in changed]
    steps = Rollout(target, containers, proxy)
    done: list[str] = []
    with staged(target, text) as file:
        try:
            # The new containers are created while the first app's old one stops. A
            # proxy not made sure of yet starts meanwhile too (on a first deploy, while
            # the first app comes up): the first switch of a route waits for it.
            with ThreadPoolExecutor(max_workers=2) as pool:
                if proxy is None:
                    steps.proxy_ready = _start_proxy(pool, steps.proxy, helper)
                creating = pool.submit(steps.create, order, file)
                for app in order:
                    order_name = update_order(target.project, target.config, app)
                    note(f"{app}: starting the new release ({order_name})")
                    done.append(app)
                    steps.replace(app, file, creating)
                    note(f"{app}: healthy and serving")
                steps.proxy_started()  # its failure fails the deploy, routed or not
            steps.finish()
            if any(c.labels.get(SERVICE_LABEL) not in apps for c in steps.snapshot()):
                rollout.settle(target.engine, target.compose_project, file)  # orphans
        except (DockyardError, KeyboardInterrupt) as exc:
            with _no_interrupt():
                raise _restore(target, helper, state, state_text, done, exc, what) from None


def _served(target: Target) -> list[Port]:
    apps = target.config.apps
    return [p for app in apps for p in served_ports(target.project, target.config, app)]


def _ensure_proxy(proxy: Proxy, helper: str) -> Proxy:
    """The server's proxy runs and publishes every port the target's apps serve."""
    ports = _served(proxy.target)
    if ports:
        proxy.ensure(ports, fallback_base=helper)
    return proxy


def _start_proxy(pool: ThreadPoolExecutor, proxy: Proxy, helper: str) -> Future[None] | None:
    """_ensure_proxy in ``pool``; its network is made first, here: the apps' new
    containers join it when they are created. None: no app serves a port."""
    ports = _served(proxy.target)
    if not ports:
        return None
    proxy_engine.ensure_network(proxy.engine, proxy.name)
    return pool.submit(proxy.ensure, ports, helper)


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
    if isinstance(exc, LostConnection):
        note(f"{reason}; putting the running release back over a new connection")
    try:
        return _put_back(target, helper, state, state_text, done, head)
    except DockyardError as again:
        return DockyardError(
            f"{head}; putting the running release back failed too ({again}); run "
            f"`dockyard status {target.name}` to see what runs, then deploy again"
        )


def _put_back(
    target: Target, helper: str, state: State, state_text: str | None, done: list[str], head: str
) -> DockyardError:
    previous = state.running
    steps = Rollout(target)
    if previous is None:
        rollout.down(target.engine, target.compose_project)
        write_state(target, helper, with_note(state, f"{now()}: {head}"), "", state_text)
        return DockyardError(
            f"{head}; there was no earlier release, so its containers were removed "
            "(volumes and bind mounts kept)"
        )
    remove_unstarted(target)
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
    # An update takes the lock and reads the state while the server pulls (the helper
    # container runs an image already there); a first deploy needs the new image first.
    running = [c.config.image for c in _project_containers(target)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pulled = pool.submit(_pull, target, first)
        if not running:
            _pulled(target, pulled)
        helper = running[0] if running else next(iter(new.values())).reference
        with locked(target, helper, break_lock):
            state, state_text = load_state(target, helper, make_binds=True)
            if state.note:
                note(f"the last deploy on this target did not go through: {state.note}")
            containers = _project_containers(target)
            proxy = None
            if running:  # the proxy already serves them, as a rule: checked meanwhile too
                proxy = _ensure_proxy(Proxy(target), helper)
                _pulled(target, pulled)
            refs = [image.reference for image in new.values()]
            refs += list(state.running.images.values()) if state.running else []
            keys = rollout.content_keys(target.engine, refs)
            same = unchanged(state.running, new, first, containers, keys)
            images = {**new, **same}
            text = render_server_compose(
                target.project, target.name, target.config, images, proxy_network()
            )
            for app, image in same.items():
                note(f"{app}: unchanged (same image content as {image.version}), not restarted")
            changed = [app for app in new if app not in same]
            note(f"waiting up to {target.config.health_timeout} for each new container")
            roll(target, helper, state, state_text, text, changed, "deploy", containers, proxy)
            after, release = new_release(target, state, images, text)
            write_state(target, helper, after, text, state_text, env_files=True)
    _prune(target, state, after)
    note(f"{release.summary()} is live on '{target.name}' and healthy")
    return 0


def _pulled(target: Target, pulled: Future[None]) -> None:
    """Wait for the pull (its error, if any, is the deploy's); say the images are there."""
    pulled.result()
    note(f"the images are on {target.engine.address}")


def rollback_compose(target: Target, release_id: int | None, break_lock: bool = False) -> int:
    """Run an earlier release again (default: the one before the running one), through
    the same health-gated switch as a deploy."""
    check_env_files(target)
    helper = helper_image(target)
    with locked(target, helper, break_lock):
        state, state_text = load_state(target, helper, make_binds=True)
        chosen = pick_release(state, release_id, target.name)
        note(f"rolling '{target.name}' back to {chosen.summary()}")
        images = {
            app: DeployImage(app, ref, chosen.versions.get(app, "?"))
            for app, ref in chosen.images.items()
        }
        containers = _project_containers(target)
        refs = [*chosen.images.values(), *(state.running.images.values() if state.running else [])]
        keys = rollout.content_keys(target.engine, refs)
        same = unchanged(state.running, images, chosen.compose, containers, keys)
        changed = [app for app in images if app not in same]
        roll(target, helper, state, state_text, chosen.compose, changed,
             f"rollback to release {chosen.id}", containers)  # fmt: skip
        after = make_current(state, chosen.id)
        write_state(target, helper, after, chosen.compose, state_text, env_files=True)
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
