"""Atomic writes: a generated file is either the old one or the whole new one."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _mode(path: Path) -> int:
    """The mode the file keeps (or a new file gets from the umask): mkstemp's is 0600."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_all(root: Path, files: dict[str, str]) -> list[str]:
    """Write every file whose content changed; return the relative paths written.

    All new contents are rendered before this is called, so a render error
    leaves every file as it was.
    """
    changed = []
    for rel, text in files.items():
        path = root / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        write_atomic(path, text)
        changed.append(rel)
    return changed


def stale(root: Path, files: dict[str, str]) -> list[str]:
    """Relative paths whose content on disk differs from ``files`` (or is missing)."""
    out = []
    for rel, text in files.items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(rel)
    return out


def remove_orphans(root: Path, files: dict[str, str], folder: str) -> list[str]:
    """Delete the files of ``folder`` (one dockyard owns) that ``files`` no longer has.

    A shared dependency layer that went away leaves no stale requirement file behind.
    """
    removed = []
    directory = root / folder
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            rel = f"{folder}/{path.name}"
            if path.is_file() and path.suffix == ".txt" and rel not in files:
                path.unlink()
                removed.append(rel)
    return removed
