"""uv: lock the workspace and export hashed, lock-derived requirement sets."""

from __future__ import annotations

import hashlib
import importlib.metadata
import tomllib
from pathlib import Path

from dockyard import cache
from dockyard.engine.run import run
from dockyard.errors import DockyardError


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


# dockyard never lets uv fetch a Python: the base image's Python is the one that counts
_NO_DOWNLOADS = {"UV_PYTHON_DOWNLOADS": "never"}


def reason(stderr: str, returncode: int) -> str:
    """The line of uv's error output that says what is wrong (e.g. names the package)."""
    lines = [line.strip(" \t│╰─▶×") for line in stderr.splitlines()]
    lines = [line.removeprefix("cause: ").strip() for line in lines if line.strip()]
    lines = [line for line in lines if not line.startswith(("hint:", "Using ", "Resolved "))]
    for prefix in ("Because ", "error: "):
        for line in lines:
            if line.startswith(prefix):
                return line.removeprefix("error: ")
    return lines[0] if lines else f"exit code {returncode}"


def lock(root: Path, *, check: bool = False) -> None:
    args = [uv_bin(), "lock", "--project", str(root)]
    if check:
        read_uv_lock(root, exit_code=1)
        args.append("--check")
    proc = run(args, cwd=root, check=False, env=_NO_DOWNLOADS)
    if proc.returncode != 0:
        why = reason(proc.stderr, proc.returncode)
        if check and proc.returncode == 1:
            raise DockyardError(
                f"{root / 'uv.lock'} is stale ({why}); run `dockyard lock` and commit it",
                exit_code=1,
            )
        raise DockyardError(f"`uv lock` failed in {root}: {why}")


def read_uv_lock(root: Path, *, exit_code: int = 2) -> str:
    """uv.lock's text; a missing or unreadable one is named, with how to get it back."""
    path = root / "uv.lock"
    try:
        text = path.read_text(encoding="utf-8")
        _parse_once(text)
    except FileNotFoundError:
        raise DockyardError(
            f"{path} is missing; run `dockyard lock` and commit uv.lock and dockyard.lock",
            exit_code=exit_code,
        ) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DockyardError(
            f"{path} is unreadable ({first}); `git checkout uv.lock` restores the "
            "committed one, or `dockyard lock` writes a new one",
            exit_code=exit_code,
        ) from exc
    except OSError as exc:
        raise DockyardError(f"{path}: cannot be read ({exc.strerror})") from exc
    return text


def _parse_once(text: str) -> None:
    """Raise what tomllib raises for ``text``, remembering a lock that parsed: every command
    reads uv.lock, which rarely changes, and a big one takes tomllib a fifth of a second."""
    key = hashlib.sha256(text.encode()).hexdigest()
    if cache.recall("parsed-locks", key) is None:
        tomllib.loads(text)
        cache.remember("parsed-locks", key)


def stale_reason(root: Path, pyprojects: list[Path]) -> str | None:
    """Why uv.lock does not match ``pyprojects``, or None when it does.

    `uv lock --check` offline first (no index needed when the lock matches), online
    only when that cannot tell; a match is remembered per content of every input.
    """
    key = _fresh_key(root, pyprojects)
    if cache.recall("fresh-locks", key) is not None:
        return None
    args = [uv_bin(), "lock", "--project", str(root), "--check"]
    proc = run([*args, "--offline"], cwd=root, check=False, env=_NO_DOWNLOADS)
    if proc.returncode != 0:
        proc = run(args, cwd=root, check=False, env=_NO_DOWNLOADS)
    if proc.returncode == 0:
        cache.remember("fresh-locks", key)
        return None
    return reason(proc.stderr, proc.returncode)


def known_fresh(root: Path, pyprojects: list[Path]) -> bool:
    """Did stale_reason() find uv.lock matching these very files before?"""
    return cache.recall("fresh-locks", _fresh_key(root, pyprojects)) is not None


def _fresh_key(root: Path, pyprojects: list[Path]) -> str:
    """A match's name in the cache: the content of every input, and uv."""
    digest = hashlib.sha256(uv_bin().encode())
    for path in [root / "uv.lock", *pyprojects]:
        name = path.relative_to(root).as_posix()
        digest.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def export(root: Path, package: str | None, *, dev: bool) -> str:
    """Third-party pins (with hashes) for one member, from uv.lock only.

    Remembered per uv.lock content (every command renders the plan, and most runs
    see the lock unchanged); an unwritable cache only costs the call.
    """
    lock = root / "uv.lock"
    if not lock.is_file():
        raise DockyardError(f"{lock} is missing; run `dockyard lock` first")
    key = hashlib.sha256(f"{uv_bin()}\0{package}\0{dev}\0".encode() + lock.read_bytes()).hexdigest()
    text = cache.recall("exports", key)
    if text is None:
        text = _export(root, package, dev=dev)
        cache.remember("exports", key, text)
    return text


def _export(root: Path, package: str | None, *, dev: bool) -> str:
    """``package=None``: only the workspace root's own dev group (for root-level tests)."""
    args = [
        uv_bin(),
        "export",
        "--project",
        str(root),
        "--frozen",
        *(["--package", package] if package else ["--only-dev"]),
        "--no-emit-workspace",
        "--no-header",
        "--no-annotate",
        "--format",
        "requirements-txt",
    ]
    if not dev:
        args.append("--no-dev")
    proc = run(args, cwd=root, what=f"uv export --package {package or '(the workspace root)'}")
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
