"""The compose backend: deploy, rollback, status and logs for one server with Compose.

deploy: resolve each app's image to a registry digest -> render the server's compose
file -> pull on the server -> write the files and own the bind mounts -> `up -d` ->
wait until every container is healthy (health-timeout) -> record the release. When a
container fails its healthcheck or exits, the previous release is put back at once.
"""

from __future__ import annotations

from dockyard.deploy.health import SERVICE_LABEL
from dockyard.deploy.release import State, add_release, dropped_images, make_current, pick_release
from dockyard.deploy.target import (
    PROJECT_LABEL,
    Target,
    check_env_files,
    helper_image,
    now,
    prepare_server,
    read_state,
    running_apps,
    say,
    staged,
    wait_healthy,
    write_state,
)
from dockyard.engine import images as image_engine
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.render.server import VERSION_LABEL, DeployImage, render_server_compose


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


def _compose_failed(proc) -> str | None:
    if proc.returncode == 0:
        return None
    lines = [x for x in (proc.stderr or "").splitlines() if x.strip()]
    return f"docker compose up failed: {lines[-1] if lines else proc.returncode}"


def _up(target: Target, compose_text: str) -> str | None:
    """Start ``compose_text`` on the server and wait; None when healthy, else why not.

    Apps already running are replaced one at a time, each after the apps it needs and
    only once those are healthy again: a plain `up` would stop every changed app
    together and start a dependent app only when its dependency is healthy, leaving
    it down for the whole of that wait.
    """
    timeout = target.config.health_seconds
    apps = list(target.config.apps)
    with staged(target, compose_text) as file:
        for app in rollout_order(target.project, apps, running_apps(target)):
            try:
                proc = target.engine.compose(
                    target.compose_project,
                    ["up", "-d", "--no-deps", "--pull", "missing", app],
                    file=file,
                    timeout=timeout + 60,
                )
            except DockyardError as exc:
                return str(exc)
            verdict = wait_healthy(target, timeout, [app])
            if verdict.failed or _compose_failed(proc):
                return "; ".join(verdict.failed) or _compose_failed(proc)
        try:
            proc = target.engine.compose(
                target.compose_project,
                ["up", "-d", "--remove-orphans", "--pull", "missing"],
                file=file,
                timeout=timeout + 60,
            )
        except DockyardError as exc:  # `up` itself waits for depends_on health
            return str(exc)
    verdict = wait_healthy(target, timeout)
    if verdict.failed:
        return "; ".join(verdict.failed)
    return _compose_failed(proc)


def _pull(target: Target, compose_text: str) -> None:
    with staged(target, compose_text) as file:
        proc = target.engine.compose(
            target.compose_project, ["pull", "--quiet"], file=file, timeout=900
        )
    if proc.returncode != 0:
        lines = [x for x in (proc.stderr or "").splitlines() if x.strip()]
        detail = lines[-1] if lines else f"exit code {proc.returncode}"
        if image_engine.unreachable(detail):
            detail = f"the server cannot reach the registry: {detail}"
        raise DockyardError(
            f"deploy target '{target.name}': pulling the new images on "
            f"{target.engine.address} failed ({detail}); nothing was changed there"
        )


def _restore(
    target: Target, helper: str, state: State, reason: str, what: str = "deploy"
) -> DockyardError:
    """Put the running release back after a failed deploy; the error to raise."""
    head = f"{what} on '{target.name}' failed: {reason}"
    previous = state.running
    if previous is None:
        target.engine.compose(target.compose_project, ["down", "--remove-orphans"])
        return DockyardError(
            f"{head}; there was no earlier release, so its containers were removed "
            "(volumes and bind mounts kept)"
        )
    say(f"rolling back to {previous.summary()}")
    again = _up(target, previous.compose)
    write_state(target, helper, state, previous.compose)
    if again:
        return DockyardError(f"{head}; the rollback to {previous.summary()} failed too: {again}")
    return DockyardError(
        f"{head}; rolled back automatically to {previous.summary()}, which is healthy"
    )


def _prune(target: Target, before: State, after: State) -> None:
    """Remove images no kept release needs (best effort: one in use stays)."""
    for ref in sorted(dropped_images(before, after)):
        target.engine.docker(["image", "rm", ref], check=False, timeout=120)


def deploy_compose(target: Target, new: dict[str, DeployImage]) -> int:
    compose_text = render_server_compose(target.project, target.name, target.config, new)
    versions = ", ".join(f"{app} {image.version}" for app, image in new.items())
    say(f"deploying to '{target.name}' ({target.engine.address}): {versions}")
    _pull(target, compose_text)
    helper = next(iter(new.values())).reference
    state = prepare_server(target, helper, compose_text)
    say(f"starting; waiting up to {target.config.health_timeout} for every app to be healthy")
    failure = _up(target, compose_text)
    if failure:
        raise _restore(target, helper, state, failure)
    after, release = add_release(
        state,
        images={app: image.reference for app, image in new.items()},
        versions={app: image.version for app, image in new.items()},
        compose=compose_text,
        deployed_at=now(),
        keep=target.config.keep,
    )
    write_state(target, helper, after, compose_text)
    _prune(target, state, after)
    say(f"{release.summary()} is live on '{target.name}' and healthy")
    return 0


def rollback_compose(target: Target, release_id: int | None) -> int:
    """Run an earlier release again (default: the one before the running one)."""
    check_env_files(target)
    helper = helper_image(target)
    state = read_state(target)
    chosen = pick_release(state, release_id, target.name)
    say(f"rolling '{target.name}' back to {chosen.summary()}")
    failure = _up(target, chosen.compose)
    if failure:
        raise _restore(target, helper, state, failure, what=f"rollback to release {chosen.id}")
    write_state(target, helper, make_current(state, chosen.id), chosen.compose)
    say(f"{chosen.summary()} is live on '{target.name}' and healthy")
    return 0


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


class ComposeBackend:
    """One server with Compose."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def deploy(self, new: dict[str, DeployImage]) -> int:
        return deploy_compose(self.target, new)

    def rollback(self, release_id: int | None) -> int:
        return rollback_compose(self.target, release_id)

    def status(self) -> list[tuple[str, str, str, str, str]]:
        return compose_rows(self.target)

    def logs(self, apps: tuple[str, ...], follow: bool, tail: str) -> int:
        args = ["logs", "--no-color", "--tail", tail, *(["--follow"] if follow else []), *apps]
        proc = self.target.engine.compose(
            self.target.compose_project, args, capture=False, timeout=None
        )
        return proc.returncode
