"""Single containers by name: state, logs, stop and removal (for long-running dev tools)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from dockyard.engine.docker import compose_argv
from dockyard.engine.run import log, run


def running(name: str) -> bool:
    proc = run(
        ["docker", "container", "inspect", "--format", "{{.State.Running}}", name],
        check=False,
        timeout=30,
    )
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def exists(name: str) -> bool:
    return run(["docker", "container", "inspect", name], check=False, timeout=30).returncode == 0


def logs(name: str, *, tail: int = 30) -> str:
    proc = run(["docker", "logs", "--tail", str(tail), name], check=False, timeout=30)
    return (proc.stdout or "") + (proc.stderr or "")


def follow_logs(name: str) -> int:
    """Stream the container's output to stderr until it exits (or Ctrl-C)."""
    proc = subprocess.run(
        ["docker", "logs", "--follow", "--since", "0s", name], stdout=sys.stderr, check=False
    )
    return proc.returncode


def stop_and_remove(name: str, *, timeout: int = 10) -> None:
    run(["docker", "stop", "--time", str(timeout), name], check=False, timeout=timeout + 30)
    run(["docker", "rm", "--force", name], check=False, timeout=60)


def compose_foreground(root: Path, file: str, args: list[str], *, env: dict[str, str]) -> int:
    """Run ``docker compose -f FILE ARGS`` (an ``up``) attached in ``root``; on Ctrl-C let
    Compose stop its containers gracefully (it got the terminal's SIGINT too; forward one if
    it did not)."""
    import os
    import signal

    argv = compose_argv(file, args)
    log.debug("run: %s", shlex.join(argv))
    proc = subprocess.Popen(argv, cwd=root, env={**os.environ, **env})
    try:
        return proc.wait()
    except KeyboardInterrupt:
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
