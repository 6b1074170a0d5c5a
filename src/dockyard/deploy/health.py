"""Is a deploy done? Judge the containers of a deploy from `docker inspect` (pure)."""

from __future__ import annotations

from dataclasses import dataclass

SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"


@dataclass(frozen=True)
class Verdict:
    waiting: tuple[str, ...]  # apps still starting, with why
    failed: tuple[str, ...]  # apps that will not come up, with why

    @property
    def done(self) -> bool:
        return not self.waiting and not self.failed


def _last_probe(state: dict) -> str:
    log = (state.get("Health") or {}).get("Log") or []
    if not log:
        return "no probe output"
    last = log[-1]
    output = " ".join((last.get("Output") or "").split())[:200]
    return f"last probe exit {last.get('ExitCode')}: {output or 'no output'}"


def judge_container(app: str, container: dict) -> tuple[str | None, str | None]:
    """(waiting reason, failure reason) for one container; both None when it is fine."""
    state = container.get("State") or {}
    status = state.get("Status", "")
    policy = ((container.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name", "")
    if status == "exited" and state.get("ExitCode") == 0 and policy in ("", "no"):
        return None, None  # a one-shot command that finished
    if status in ("exited", "dead") or status == "restarting" or container.get("RestartCount"):
        return None, f"{app} exited with code {state.get('ExitCode')} (restarts: " + str(
            container.get("RestartCount", 0)
        ) + ")"
    health = (state.get("Health") or {}).get("Status")
    if health == "unhealthy":
        return None, f"{app} is unhealthy ({_last_probe(state)})"
    if health and health != "healthy":
        return f"{app} is {health}", None
    if status != "running":
        return f"{app} is {status or 'not started'}", None
    return None, None


def judge(containers: list[dict], apps: list[str]) -> Verdict:
    """The verdict over the apps of one deploy (compose containers, one-offs ignored)."""
    waiting: list[str] = []
    failed: list[str] = []
    for app in apps:
        mine = [
            c
            for c in containers
            if (c.get("Config", {}).get("Labels") or {}).get(SERVICE_LABEL) == app
            and (c["Config"]["Labels"].get(ONEOFF_LABEL) or "False") != "True"
        ]
        if not mine:
            waiting.append(f"{app} has no container yet")
        for container in mine:
            wait, fail = judge_container(app, container)
            if wait:
                waiting.append(wait)
            if fail:
                failed.append(fail)
    return Verdict(tuple(waiting), tuple(failed))
