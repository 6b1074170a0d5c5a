"""uv: lock the workspace and export hashed, lock-derived requirement sets."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from dockyard.engine.run import run
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic

UV_VERSION = "0.13.9"


def uv_bin() -> str:
    """The uv that dockyard depends on (exact version), else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return "uv"


def lock(root: Path, *, check: bool = False) -> None:
    args = [uv_bin(), "lock", "--project", str(root)]
    if check:
        args.append("--check")
    proc = run(args, cwd=root, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        reason = detail[-1] if detail else f"exit code {proc.returncode}"
        if check:
            raise DockyardError(
                f"{root / 'uv.lock'} is stale ({reason}); run `dockyard lock` and commit it"
            )
        raise DockyardError(f"`uv lock` failed in {root}: {reason}")


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockyard"


def export(root: Path, package: str, *, dev: bool) -> str:
    """Third-party pins (with hashes) for one member, from uv.lock only.

    Remembered per uv.lock content (every command renders the plan, and most runs
    see the lock unchanged); an unwritable cache only costs the call.
    """
    lock = root / "uv.lock"
    if not lock.is_file():
        raise DockyardError(f"{lock} is missing; run `dockyard lock` first")
    key = hashlib.sha256(f"{uv_bin()}\0{package}\0{dev}\0".encode() + lock.read_bytes()).hexdigest()
    cached = _cache_dir() / "exports" / f"{key}.txt"
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    text = _export(root, package, dev=dev)
    with contextlib.suppress(OSError):
        write_atomic(cached, text)
    return text


def _export(root: Path, package: str, *, dev: bool) -> str:
    args = [
        uv_bin(),
        "export",
        "--project",
        str(root),
        "--frozen",
        "--package",
        package,
        "--no-emit-workspace",
        "--no-header",
        "--no-annotate",
        "--format",
        "requirements-txt",
    ]
    if not dev:
        args.append("--no-dev")
    proc = run(args, cwd=root, what=f"uv export --package {package}")
    return proc.stdout


def hashed_requirement(spec: str) -> str:
    """``spec`` (e.g. ``uv==0.13.9``) with the hashes of every wheel of that release."""
    proc = run(
        [
            uv_bin(),
            "pip",
            "compile",
            "-",
            "--universal",
            "--generate-hashes",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ],
        input=spec + "\n",
        what=f"resolving the hashes of {spec}",
    )
    return proc.stdout


def export_cyclonedx(root: Path, package: str) -> dict:
    """`uv export --format cyclonedx1.5` of one member's prod packages, from uv.lock only."""
    import json

    proc = run(
        [uv_bin(), "export", "--project", str(root), "--frozen", "--package", package,
         "--no-dev", "--format", "cyclonedx1.5", "--preview-features", "sbom-export"],
        cwd=root,
        what=f"uv export --format cyclonedx1.5 --package {package}",
    )  # fmt: skip
    return json.loads(proc.stdout)
