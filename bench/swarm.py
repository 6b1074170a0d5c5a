"""A single-node Swarm for the bench's swarm deploy, left as it was found."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench import engine
from bench.engine import BenchError, quiet, say

SWARM_LEAVE_WAIT = 300.0  # seconds to wait for others' services before leaving a swarm


def swarm_state() -> str:
    return engine.docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


@contextmanager
def swarm_session() -> Iterator[None]:
    """A usable swarm; one this created is left again, once no other service runs."""
    state = swarm_state()
    if state not in ("active", "inactive"):
        raise BenchError(f"the engine's swarm is {state!r}; not touching it")
    created = state == "inactive"
    if created:
        engine.docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        yield
    finally:
        if created:
            leave_when_alone()


def leave_when_alone() -> None:
    """Leave the swarm this run created, after others' services (if any) are gone."""
    deadline = time.monotonic() + SWARM_LEAVE_WAIT
    while quiet("service", "ls", "-q").stdout.strip():
        if time.monotonic() > deadline:
            say(
                "warning: the swarm this bench created still runs services of others; "
                "left active (leave it with `docker swarm leave --force` when they are done)"
            )
            return
        time.sleep(2)
    quiet("swarm", "leave", "--force")


def remove_stack(stack: str) -> None:
    quiet("stack", "rm", stack)
    label = f"label=com.docker.stack.namespace={stack}"
    deadline = time.monotonic() + 90
    while quiet("ps", "-aq", "--filter", label).stdout.strip():
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    for _ in range(10):  # a volume can stay in use a moment after its containers
        quiet("volume", "rm", f"{stack}_db")
        if quiet("volume", "inspect", f"{stack}_db").returncode != 0:
            break
        time.sleep(1)
