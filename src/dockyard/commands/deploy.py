"""`dockyard deploy TARGET` and `dockyard rollback TARGET` for compose targets.

deploy: resolve each app's image to a registry digest -> render the server's compose
file -> pull on the server -> write the files and own the bind mounts -> `up -d` ->
wait until every container is healthy (health-timeout) -> record the release. When a
container fails its healthcheck or exits, the previous release is put back at once.
"""

from __future__ import annotations

from dockyard.engine import images as image_engine
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.release import Release, State, add_release, dropped_images, make_current
from dockyard.render.server import DeployImage, render_server_compose
from dockyard.supply.verify import require_signatures
from dockyard.target import (
    Target,
    check_env_files,
    helper_image,
    now,
    open_target,
    prepare_server,
    read_state,
    resolve_images,
    running_apps,
    say,
    staged,
    wait_healthy,
    write_state,
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


def deploy(project: Project, target_name: str) -> int:
    target = open_target(project, target_name)
    check_env_files(target)
    new = resolve_images(target)
    require_signatures(
        project, target_name, target.config, {app: i.reference for app, i in new.items()}
    )
    target.engine.require()
    if target.config.kind == "swarm":
        from dockyard.commands.swarm import deploy_stack

        return deploy_stack(target, new)
    return deploy_compose(target, new)


def pick_release(state: State, release_id: int | None, target: Target) -> Release:
    if release_id is not None:
        chosen = state.release(release_id)
        if chosen is None:
            kept = ", ".join(str(r.id) for r in state.releases) or "none"
            raise DockyardError(f"release {release_id} is not kept on '{target.name}' ({kept})")
        return chosen
    previous = state.previous()
    if previous is None:
        raise DockyardError(
            f"deploy target '{target.name}' keeps no release older than the running one; "
            "nothing to roll back to"
        )
    return previous


def rollback(project: Project, target_name: str, release_id: int | None) -> int:
    """Run an earlier release again (default: the one before the running one)."""
    target = open_target(project, target_name)
    target.engine.require()
    if target.config.kind == "swarm":
        from dockyard.commands.swarm import rollback_stack

        return rollback_stack(target, release_id)
    check_env_files(target)
    helper = helper_image(target)
    state = read_state(target)
    chosen = pick_release(state, release_id, target)
    say(f"rolling '{target.name}' back to {chosen.summary()}")
    failure = _up(target, chosen.compose)
    if failure:
        raise _restore(target, helper, state, failure, what=f"rollback to release {chosen.id}")
    write_state(target, helper, make_current(state, chosen.id), chosen.compose)
    say(f"{chosen.summary()} is live on '{target.name}' and healthy")
    return 0
