"""uv: lock the workspace and export hashed, lock-derived requirement sets."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
from pathlib import Path

from dockyard.engine.run import last_line, run
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic


def _pinned_uv_version() -> str:
    """The uv release dockyard's own metadata pins (``uv==X`` in pyproject.toml), the one
    source of that version: dockyard.lock and the images install exactly it."""
    for requirement in importlib.metadata.requires("dockyard") or []:
        name, _, version = requirement.partition("==")
        if name.strip() == "uv" and version:
            return version.split(";", 1)[0].strip()
    raise RuntimeError("dockyard's metadata pins no uv release (uv==X in pyproject.toml)")


UV_VERSION = _pinned_uv_version()


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
        reason = last_line(proc.stderr, proc.returncode)
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
