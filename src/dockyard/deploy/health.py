"""Is a deploy done? Judge the containers of a deploy from `docker inspect` (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.engine.models import Container, ContainerState

SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"


@dataclass(frozen=True)
class Verdict:
    waiting: tuple[str, ...]  # apps still starting, with why
    failed: tuple[str, ...]  # apps that will not come up, with why

    @property
    def done(self) -> bool:
        return not self.waiting and not self.failed


def _last_probe(state: ContainerState) -> str:
    log = state.health.log if state.health is not None else []
    if not log:
        return "no probe output"
    last = log[-1]
    output = " ".join((last.output or "").split())[:200]
    return f"last probe exit {last.exit_code}: {output or 'no output'}"


def judge_container(app: str, container: Container) -> tuple[str | None, str | None]:
    """(waiting reason, failure reason) for one container; both None when it is fine."""
    state = container.state
    status = state.status
    policy = container.host_config.restart_policy.name
    if status == "exited" and state.exit_code == 0 and policy in ("", "no"):
        return None, None  # a one-shot command that finished
    if status in ("exited", "dead") or status == "restarting" or container.restart_count:
        return None, f"{app} exited with code {state.exit_code} (restarts: " + str(
            container.restart_count
        ) + ")"
    health = state.health_status
    if health == "unhealthy":
        return None, f"{app} is unhealthy ({_last_probe(state)})"
    if health and health != "healthy":
        return f"{app} is {health}", None
    if status != "running":
        return f"{app} is {status or 'not started'}", None
    return None, None


def is_app(container: Container, app: str) -> bool:
    """Is ``container`` one of ``app``'s compose containers (a one-off `run` is not)?"""
    labels = container.labels
    return labels.get(SERVICE_LABEL) == app and (labels.get(ONEOFF_LABEL) or "False") != "True"


def judge(containers: list[Container], apps: list[str]) -> Verdict:
    """The verdict over the apps of one deploy (compose containers, one-offs ignored)."""
    waiting: list[str] = []
    failed: list[str] = []
    for app in apps:
        mine = [c for c in containers if is_app(c, app)]
        if not mine:
            waiting.append(f"{app} has no container yet")
        for container in mine:
            wait, fail = judge_container(app, container)
            if wait:
                waiting.append(wait)
            if fail:
                failed.append(fail)
    return Verdict(tuple(waiting), tuple(failed))
