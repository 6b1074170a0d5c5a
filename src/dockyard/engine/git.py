"""git: the revision and commit time that tag and label images."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from dockyard.engine.run import run


def revision(root: Path) -> str | None:
    """Short commit of HEAD, with ``-dirty`` when the tree has uncommitted changes."""
    proc = run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, check=False)
    if proc.returncode != 0:
        return None
    rev = proc.stdout.strip()
    status = run(["git", "status", "--porcelain", "--", "."], cwd=root, check=False)
    return f"{rev}-dirty" if status.stdout.strip() else rev


def source_date_epoch(root: Path) -> int:
    """SOURCE_DATE_EPOCH when set, else the last commit's time, else 0."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    proc = run(["git", "log", "-1", "--format=%ct"], cwd=root, check=False)
    return int(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else 0


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit(root: Path) -> str | None:
    """The full commit id of HEAD (None outside git)."""
    proc = run(["git", "rev-parse", "HEAD"], cwd=root, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def remote_url(root: Path) -> str | None:
    """Where the source comes from: the `origin` remote, when there is one."""
    proc = run(["git", "remote", "get-url", "origin"], cwd=root, check=False)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None
