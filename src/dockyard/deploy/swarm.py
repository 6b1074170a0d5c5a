"""The swarm backend: deploy, rollback, status and logs for `kind = "swarm"` targets.

The stack file is rendered by render/stack.py; Swarm itself does the rolling update,
gates it on health and rolls a failed update back. dockyard waits for the outcome,
reports it in one line, and keeps the releases on the manager for `rollback`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache, partial

import yaml

from dockyard.console import note
from dockyard.deploy.proxy import Proxy
from dockyard.deploy.release import make_current, pick_release
from dockyard.deploy.target import (
    Target,
    helper_image,
    new_release,
    prepare_server,
    read_state,
    staged,
    status_image,
    status_time,
    write_state,
)
from dockyard.engine.models import Service
from dockyard.engine.run import why_failed
from dockyard.errors import DockyardError
from dockyard.names import label_value
from dockyard.render.gateway import gateway_service
from dockyard.render.server import VERSION_LABEL, DeployImage, Port, app_ports, dump
from dockyard.render.stack import MONITOR, gateway_name, render_stack

NAMESPACE = "com.docker.stack.namespace"
DONE = {"completed"}
ROLLED_BACK = {"rollback_completed", "rollback_paused", "paused"}


def require_swarm(target: Target) -> None:
    proc = target.engine.docker(["info", "--format", "{{json .Swarm}}"], timeout=60)
    swarm = json.loads(proc.stdout or "{}")
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        raise DockyardError(
            f"deploy target '{target.name}' is kind = \"swarm\" but {target.engine.address} "
            'is not a swarm manager; run `docker swarm init` there (or use kind = "compose")'
        )


def _services(target: Target) -> dict[str, Service]:
    """The stack's services, inspected, by app name."""
    proc = target.engine.docker(
        ["service", "ls", "-q", "--filter", f"label={NAMESPACE}={target.compose_project}"]
    )
    infos = target.engine.services(proc.stdout.split())
    prefix = f"{target.compose_project}_"
    return {i.spec.name.removeprefix(prefix): i for i in infos}


Task = tuple[str, str, str]  # a `docker service ps` row: desired state, current state, image


def _tasks(target: Target, app: str) -> list[Task]:
    """(desired state, current state, image) of each task of the app's service that
    Swarm still keeps, newest first."""
    proc = target.engine.docker(
        ["service", "ps", "--no-trunc", f"{target.compose_project}_{app}",
         "--format", "{{.DesiredState}}\t{{.CurrentState}}\t{{.Image}}"],
        check=False,
    )  # fmt: skip
    rows = (line.split("\t") for line in proc.stdout.splitlines() if line.strip())
    return [(row[0], row[1], row[2]) for row in rows if len(row) == 3]


def _running(tasks: list[Task]) -> tuple[int, int]:
    """How many of the tasks meant to run are running, of how many."""
    states = [current for desired, current, _ in tasks if desired == "Running"]
    return sum(s.startswith("Running") for s in states), len(states)


def _serves(info: Service, tasks: list[Task]) -> bool:
    """Does the service run its spec's image only: as many tasks as its replicas running
    it (a task with a healthcheck runs only once healthy), and no task of another image
    still running (a replaced task's container that has not exited yet)? False while
    Swarm rolls back."""
    if info.update_state.startswith("rollback") or info.update_state == "paused":
        return False
    image = info.spec.task_template.container_spec.image
    running = [ran for _, current, ran in tasks if current.startswith("Running")]
    return len(running) >= info.spec.replicas and all(ran == image for ran in running)


def _judge(
    app: str, info: Service, started_before: str | None, tasks: Callable[[], list[Task]]
) -> str:
    """'ok', 'wait' or a failure reason for one service after a stack deploy. ``tasks``
    lists the service's tasks; it is asked only once the update is over."""
    status = info.update_status
    if status is not None and status.started_at != started_before:
        state = status.state
        if state in ROLLED_BACK:
            return f"{app}: {status.message or state}"
        if state not in DONE:
            return "wait"
    running, desired = _running(tasks())
    wanted = info.spec.replicas
    return "ok" if running >= wanted and desired >= wanted else "wait"


def _waited(target: Target) -> list[str]:
    """The stack's services to wait for: every app, and its gateway when there is one."""
    names = list(target.config.apps)
    if target.config.routing == "gateway":
        names += [
            gateway_name(app)
            for app in target.config.apps
            if app_ports(target.project, target.config, app)
        ]
    return names


def _wait(
    target: Target, before: dict[str, str | None], timeout: float, announce: bool = False
) -> list[str]:
    """Swarm's verdict on the update: the failures, or none. ``announce``: say when every
    app's tasks run the new spec, when that comes before the verdict (Swarm watches the
    last task it updated for its `monitor` window first)."""
    deadline = time.monotonic() + timeout
    time.sleep(2)  # let the managers start the updates the new spec asks for
    apps = list(target.config.apps)
    while True:
        services = _services(target)
        tasks = cache(partial(_tasks, target))  # one `docker service ps` per app per look
        verdicts = {
            app: _judge(app, services[app], before.get(app), partial(tasks, app))
            if app in services
            else "wait"
            for app in _waited(target)
        }
        failed = [v for v in verdicts.values() if v not in ("ok", "wait")]
        if failed:
            return failed
        if all(v == "ok" for v in verdicts.values()):
            return []
        # said only while the verdict is pending: a first deploy has none to wait for
        if announce and all(a in services and _serves(services[a], tasks(a)) for a in apps):
            note(
                f"{', '.join(apps)}: every task runs the new release now; Swarm watches "
                f"them for {MONITOR} more before it calls the update done"
            )
            announce = False
        if time.monotonic() > deadline:
            late = [app for app, v in verdicts.items() if v == "wait"]
            return [
                f"{app} not healthy after {timeout:.0f}s{_why_late(target, app)}" for app in late
            ]
        time.sleep(0.5 if announce else 1)  # the moment it serves is worth a closer look


def task_summary(listing: str) -> str:
    """What a service's tasks say, from `docker service ps --format` lines of
    "current state<TAB>error", newest first: the newest error, else the newest state."""
    rows = [line.split("\t") for line in listing.splitlines() if line.strip()]
    for row in rows:
        if len(row) > 1 and row[1].strip():
            return f"{row[0].strip()}: {row[1].strip()}"
    return rows[0][0].strip() if rows else ""


def _why_late(target: Target, app: str) -> str:
    """What to add after "not healthy" for a late service: its task's state or error in
    brackets, or nothing when docker says nothing."""
    proc = target.engine.docker(
        ["service", "ps", "--no-trunc", "--format", "{{.CurrentState}}\t{{.Error}}",
         f"{target.compose_project}_{app}"],
        check=False,
    )  # fmt: skip
    summary = task_summary(proc.stdout) if proc.returncode == 0 else ""
    return f" (its task: {summary})" if summary else ""


def _apply(target: Target, text: str, announce: bool = False) -> list[str]:
    """`docker stack deploy` the text, wait for Swarm's verdict; the failures.
    ``announce``: say when the new release serves (see _wait)."""
    before = {app: info.update_started_at for app, info in _services(target).items()}
    with staged(target, text) as file:
        target.engine.docker(
            ["stack", "deploy", "--prune", "--resolve-image", "never", "-c", str(file),
             target.compose_project],
            what=f"docker stack deploy on {target.engine.address}",
        )  # fmt: skip
    return _wait(target, before, target.config.health_seconds, announce)


def _pull(target: Target, new: dict[str, DeployImage]) -> None:
    for image in new.values():
        proc = target.engine.docker(["pull", "-q", image.reference], check=False, timeout=900)
        if proc.returncode != 0:
            raise DockyardError(
                f"deploy target '{target.name}': the manager cannot pull {image.reference} "
                f"({why_failed(proc)}); nothing was changed there"
            )


def _gateway_image(target: Target, fallback_base: str) -> str:
    """The Caddy image the gateways run: the target's `proxy-image` (in a registry, so
    every node pulls it), or dockyard's, built on the manager when missing, which only a
    single-node swarm can run."""
    if target.config.routing != "gateway":
        return ""
    if target.config.proxy_image is None:
        nodes = target.engine.docker(["node", "ls", "-q"], timeout=60).stdout.split()
        if len(nodes) > 1:
            raise DockyardError(
                f"deploy target '{target.name}': routing = \"gateway\" on a swarm of "
                f"{len(nodes)} nodes needs the gateways' Caddy image in a registry that "
                'every node pulls from: set proxy-image = "<image>@sha256:..." there (the '
                "image dockyard builds exists on the manager only); nothing was changed"
            )
    return Proxy(target).image(fallback_base)


def _keep_gateways(target: Target, text: str, image: str) -> str:
    """An earlier release's stack file with today's gateways (they do not go back)."""
    document = yaml.safe_load(text)
    services = document.get("services") or {}
    changed = False
    for app in target.config.apps:
        if gateway_name(app) in services:
            for spec in app_ports(target.project, target.config, app):
                port = Port.parse(spec)
                services[gateway_name(app)] = gateway_service(
                    app, image, port.published, port.container, target.config.gateway_placement
                )
                changed = True
    if not changed:
        return text
    head = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    return head + "\n" + dump(document)


def deploy_stack(target: Target, new: dict[str, DeployImage]) -> int:
    require_swarm(target)
    versions = ", ".join(f"{app} {image.version}" for app, image in new.items())
    note(f"deploying stack {target.compose_project} to '{target.name}': {versions}")
    _pull(target, new)
    note(f"the images are on {target.engine.address}")
    helper = next(iter(new.values())).reference
    gateway = _gateway_image(target, helper)
    text = render_stack(target.project, target.name, target.config, new, gateway_image=gateway)
    state = prepare_server(target, helper, text)
    note(f"rolling update; waiting up to {target.config.health_timeout} for Swarm's verdict")
    failed = _apply(target, text, announce=True)
    if failed:
        previous = state.running
        where = "nothing ran before"
        if previous is not None:
            where = f"Swarm rolled back by itself to {previous.summary()}"
            # Swarm rolls back only the service whose update failed; the others (a
            # parser updated before the api failed) go back too, so one release runs.
            note(f"{'; '.join(failed)}; putting every app back to {previous.summary()}")
            again = _apply(target, _keep_gateways(target, previous.compose, gateway))
            if again:
                where += f", but putting every app back failed too: {'; '.join(again)}"
        write_state(target, helper, state, previous.compose if previous else text)
        raise DockyardError(f"deploy on '{target.name}' failed: {'; '.join(failed)}; {where}")
    after, release = new_release(target, state, new, text)
    write_state(target, helper, after, text)
    note(f"{release.summary()} is live on '{target.name}' (swarm) and healthy")
    return 0


def rollback_stack(target: Target, release_id: int | None = None) -> int:
    require_swarm(target)
    helper = helper_image(target)
    state = read_state(target)
    previous = pick_release(state, release_id, target.name)
    note(f"rolling stack {target.compose_project} back to {previous.summary()}")
    gateway = _gateway_image(target, helper)
    failed = _apply(target, _keep_gateways(target, previous.compose, gateway))
    if failed:
        raise DockyardError(f"rollback on '{target.name}' failed: {'; '.join(failed)}")
    write_state(target, helper, make_current(state, previous.id), previous.compose)
    note(f"{previous.summary()} is live on '{target.name}' (swarm) and healthy")
    return 0


def stack_rows(target: Target) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for app, info in sorted(_services(target).items()):
        image = info.spec.task_template.container_spec.image
        running, _ = _running(_tasks(target, app))
        wanted = info.spec.replicas
        update = info.update_state
        state = f"{running}/{wanted} running" + (f" ({update})" if update else "")
        labels = info.spec.task_template.container_spec.labels
        since = status_time(info.updated_at)
        version = label_value(labels, VERSION_LABEL) or "?"
        rows.append((app, status_image(image), version, state, since))
    return rows


def stack_logs(target: Target, apps: tuple[str, ...], follow: bool, tail: str) -> int:
    names = list(apps) or list(target.config.apps)
    if follow and len(names) > 1:
        raise DockyardError("--follow on a swarm target takes one app: dockyard logs TARGET APP -f")
    code = 0
    for app in names:
        args = ["service", "logs", "--no-trunc", "--tail", tail, *(["--follow"] if follow else [])]
        proc = target.engine.docker(
            [*args, f"{target.compose_project}_{app}"], capture=False, check=False, timeout=None
        )
        code = code or proc.returncode
    return code


class SwarmBackend:
    """A swarm target: Swarm does the rolling update; dockyard waits and keeps releases."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def deploy(self, new: dict[str, DeployImage], break_lock: bool = False) -> int:
        return deploy_stack(self.target, new)

    def rollback(self, release_id: int | None, break_lock: bool = False) -> int:
        return rollback_stack(self.target, release_id)

    def status(self) -> list[tuple[str, str, str, str, str]]:
        return stack_rows(self.target)

    def logs(self, apps: tuple[str, ...], follow: bool, tail: str) -> int:
        return stack_logs(self.target, apps, follow, tail)
