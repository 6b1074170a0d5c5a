"""The docker and compose command lines of a compose rollout on a deploy target.

Starting a second copy of an app beside the first, stopping, removing, reading the
last log lines, comparing image content, and the deploy lock: decisions stay in
deploy/compose.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import time
from pathlib import Path

from dockyard.engine.remote import TargetEngine
from dockyard.engine.run import why_failed
from dockyard.errors import DockyardError
from dockyard.names import label

LOCK_LABEL = label("lock")
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def create(engine: TargetEngine, project: str, file: Path, counts: dict[str, int]) -> None:
    """Create (never start) containers from ``file`` until each app has ``counts[app]``;
    the running ones are left as they are."""
    scales = [arg for app, n in counts.items() for arg in ("--scale", f"{app}={n}")]
    proc = engine.compose(
        project,
        ["up", "--no-start", "--no-deps", "--no-recreate", "--pull", "missing",
         *scales, *counts],
        file=file,
        timeout=600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise DockyardError(
            f"docker compose up --no-start {' '.join(counts)} on {engine.address} failed: "
            f"{why_failed(proc)}"
        )


class Watch:
    """`docker events` of some containers: a health change or an exit, as it happens
    (so a deploy need not poll). Close it when done."""

    def __init__(self, engine: TargetEngine, ids: list[str]) -> None:
        args = ["events", "--format", "{{.Action}}"]
        for cid in ids:
            args += ["--filter", f"container={cid}"]
        args += ["--filter", "event=health_status", "--filter", "event=die"]
        self.proc = engine.stream(args)

    def wait(self, timeout: float) -> bool:
        """Whether one of the events came within ``timeout`` seconds. A stream that
        ended (its connection or engine went) waits ``timeout`` and says no."""
        out = self.proc.stdout
        if out is None or self.proc.poll() is not None:
            time.sleep(timeout)
            return False
        ready, _, _ = select.select([out], [], [], timeout)
        if not ready:
            return False
        return bool(os.read(out.fileno(), 65536))  # every event come so far

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def services(engine: TargetEngine, project: str) -> dict[str, str]:
    """Container ID -> the compose service it belongs to, for every container of
    ``project`` (running or not)."""
    proc = engine.docker(
        ["ps", "-a", "--no-trunc", "--filter", f"label={PROJECT_LABEL}={project}",
         "--format", f'{{{{.ID}}}} {{{{.Label "{SERVICE_LABEL}"}}}}'],
        timeout=60,
    )  # fmt: skip
    pairs = (line.split(" ", 1) for line in proc.stdout.splitlines() if line.strip())
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


def start(engine: TargetEngine, ids: list[str]) -> None:
    if ids:
        engine.docker(["start", *ids], timeout=120)


def settle(engine: TargetEngine, project: str, file: Path) -> None:
    """Remove the containers of apps the file no longer has; touch no other."""
    proc = engine.compose(
        project,
        ["up", "--detach", "--no-recreate", "--remove-orphans", "--pull", "missing"],
        file=file,
        timeout=600,
    )
    if proc.returncode != 0:
        raise DockyardError(f"docker compose up on {engine.address} failed: {why_failed(proc)}")


def stop(engine: TargetEngine, names: list[str], grace: int = 20) -> None:
    if names:
        engine.docker(["stop", "--time", str(grace), *names], check=False, timeout=grace + 120)


def remove(engine: TargetEngine, names: list[str]) -> None:
    if names:
        engine.docker(["rm", "--force", "--volumes", *names], check=False, timeout=120)


def last_logs(engine: TargetEngine, name: str, lines: int = 15) -> list[str]:
    proc = engine.docker(["logs", "--tail", str(lines), name], check=False, timeout=60)
    text = (proc.stdout or "") + (proc.stderr or "")
    return [line for line in text.splitlines() if line.strip()][-lines:]


def content_keys(engine: TargetEngine, refs: list[str]) -> dict[str, str]:
    """What each image runs, without its labels: layers and run settings, by reference
    (one engine call; a reference the server does not have is left out).

    Two builds of unchanged sources differ only in their revision label; they get the
    same key, so an app whose image content did not change is not restarted.
    """
    if not refs:
        return {}
    proc = engine.docker(["image", "inspect", *refs], check=False, timeout=60)
    try:
        infos = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {}
    keys = {}
    for info in infos:
        config = {k: v for k, v in (info.get("Config") or {}).items() if k != "Labels"}
        layers = (info.get("RootFS") or {}).get("Layers") or []
        blob = json.dumps({"layers": layers, "config": config}, sort_keys=True)
        names = {*(info.get("RepoDigests") or []), *(info.get("RepoTags") or []), info.get("Id")}
        for ref in refs:
            if ref in names:
                keys[ref] = hashlib.sha256(blob.encode()).hexdigest()
    return keys


def lock(engine: TargetEngine, name: str, image: str, holder: str, since: str) -> str | None:
    """Take the deploy lock: a created (never started) container named ``name``.

    Container names are unique on an engine, so of two deploys only one creates it.
    None when taken; else the label text of the deploy that holds it.
    """
    proc = engine.docker(
        ["create", "--name", name, "--label", f"{LOCK_LABEL}={holder} since {since}",
         "--network", "none", "--pull", "never", "--entrypoint", "true", image],
        check=False,
        timeout=60,
    )  # fmt: skip
    if proc.returncode == 0:
        return None
    held = lock_holder(engine, name)
    if held is None:
        raise DockyardError(
            f"could not take the deploy lock on {engine.address}: {why_failed(proc)}"
        )
    return held


def lock_holder(engine: TargetEngine, name: str) -> str | None:
    proc = engine.docker(
        ["container", "inspect", "--format", f'{{{{index .Config.Labels "{LOCK_LABEL}"}}}}', name],
        check=False,
        timeout=60,
    )
    return proc.stdout.strip() or "an unknown deploy" if proc.returncode == 0 else None


def unlock(engine: TargetEngine, name: str) -> None:
    engine.docker(["rm", "--force", name], check=False, timeout=60)


def pull(engine: TargetEngine, project: str, file: Path) -> str | None:
    """`docker compose pull` the file's images on the server; None, else why not."""
    proc = engine.compose(project, ["pull", "--quiet"], file=file, timeout=900)
    return None if proc.returncode == 0 else why_failed(proc)


def down(engine: TargetEngine, project: str) -> None:
    """Remove the project's containers (volumes and bind mounts stay)."""
    engine.compose(project, ["down", "--remove-orphans"])


def remove_images(engine: TargetEngine, refs: list[str]) -> None:
    """Best effort: an image still in use stays (docker removes the others)."""
    if refs:
        engine.docker(["image", "rm", *refs], check=False, timeout=120)


def logs(engine: TargetEngine, project: str, apps: tuple[str, ...], follow: bool, tail: str) -> int:
    """The apps' logs, straight to the terminal; the exit code."""
    args = ["logs", "--no-color", "--tail", tail, *(["--follow"] if follow else []), *apps]
    return engine.compose(project, args, capture=False, timeout=None).returncode
