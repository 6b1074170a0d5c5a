"""`dockyard lock`: uv.lock for packages, dockyard.lock for the base image and uv."""

from __future__ import annotations

from pathlib import Path

from dockyard.build.lock import check_project_python, compute_lock, resolve_base
from dockyard.console import say, show
from dockyard.engine import docker, uv, uvimage
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.lockfile import LOCK_NAME, Lock, file_sha256, read_lock, render_lock
from dockyard.manifest import Project


def lock(project: Project, *, check: bool) -> int:
    root = project.root
    if check:
        uvimage.lock(root, project.base_image, check=True)  # in the base: see uvimage
        try:
            current = read_lock(root)
        except DockyardError as exc:  # missing or unreadable: a finding of the check
            raise DockyardError(exc.message, exit_code=1) from exc
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
    # Everything that can fail without writing comes first: uv.lock is then never
    # new while dockyard.lock stays old.
    docker.require_engine()
    base = resolve_base(project.base_image)
    check_project_python(project, base.id)
    uv_requirements = _uv_requirements(root)
    uv_lock = root / "uv.lock"
    before = uv_lock.read_bytes() if uv_lock.is_file() else None
    say("locking Python packages (uv lock) ...")
    uvimage.lock(root, project.base_image)  # in the base when the host lacks its Python
    new = Lock(base, uv.UV_VERSION, uv_requirements, file_sha256(uv_lock))
    try:
        write_atomic(root / LOCK_NAME, render_lock(new))
    except BaseException:
        _put_back(uv_lock, before)
        raise
    show(f"wrote {LOCK_NAME}: base {new.base.reference} ({new.base.id[:19]}), uv {new.uv_version}")
    return 0


def _uv_requirements(root: Path) -> str:
    """uv's pin with the hashes of its wheels: kept from dockyard.lock when it pins this
    very uv (a release's files never change), else asked of the index (half a second)."""
    try:
        current = read_lock(root)
    except DockyardError:
        current = None
    if current is not None and current.uv_version == uv.UV_VERSION and current.uv_requirements:
        return current.uv_requirements
    return uv.hashed_requirement(f"uv=={uv.UV_VERSION}")


def _put_back(uv_lock: Path, before: bytes | None) -> None:
    """dockyard.lock could not be written: return uv.lock to what it was, or say so."""
    try:
        if before is None:
            uv_lock.unlink(missing_ok=True)
        elif uv_lock.read_bytes() != before:
            uv_lock.write_bytes(before)
        else:
            return  # uv.lock did not change: nothing to put back
    except OSError as exc:
        raise DockyardError(
            f"{uv_lock} is new but {LOCK_NAME} could not be written, nor uv.lock put back "
            f"({exc.strerror}); make room, then run `dockyard lock` again"
        ) from exc
    say(f"{LOCK_NAME} could not be written: uv.lock is back as it was")
