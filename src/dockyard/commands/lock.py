"""`dockyard lock`: uv.lock for packages, dockyard.lock for the base image and uv."""

from __future__ import annotations

from dockyard.build.lock import compute_lock
from dockyard.console import say, show
from dockyard.engine import uv
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.lockfile import LOCK_NAME, read_lock, render_lock
from dockyard.manifest import Project


def lock(project: Project, *, check: bool) -> int:
    root = project.root
    if check:
        uv.lock(root, check=True)
        current = read_lock(root)
        fresh = compute_lock(project)
        drift = []
        if fresh.base != current.base:
            drift.append(f"base image ({current.base.reference} -> {fresh.base.reference})")
        if fresh.uv_lock_sha256 != current.uv_lock_sha256:
            drift.append("uv.lock changed since dockyard.lock was written")
        if fresh.uv_requirements != current.uv_requirements:
            drift.append(f"uv ({current.uv_version} -> {fresh.uv_version})")
        if drift:
            raise DockyardError(
                f"{root / LOCK_NAME} is stale: {'; '.join(drift)}; run `dockyard lock`",
                exit_code=1,
            )
        show(f"{LOCK_NAME} and uv.lock are up to date")
        return 0
    say("locking Python packages (uv lock) ...")
    uv.lock(root)
    new = compute_lock(project)
    write_atomic(root / LOCK_NAME, render_lock(new))
    show(f"wrote {LOCK_NAME}: base {new.base.reference} ({new.base.id[:19]}), uv {new.uv_version}")
    return 0
