"""Heartbeat file written after each completed scan and checked by ``--health``."""

from __future__ import annotations

import os
import time
from pathlib import Path


def write_heartbeat(path: Path) -> None:
    """Atomically (re)write the heartbeat; its modification time is what counts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(f"{time.time():.0f}\n", encoding="ascii")
    os.replace(partial, path)


def clear_heartbeat(path: Path) -> None:
    """Forget a previous run's heartbeat, so health waits for this run's first scan."""
    path.unlink(missing_ok=True)


def heartbeat_age(path: Path) -> float | None:
    """Seconds since the last heartbeat, or None if there is none."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return None
