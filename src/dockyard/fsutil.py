"""Atomic writes: a generated file is either the old one or the whole new one.

A disk that is full or read-only becomes one line naming the file (a DockyardError),
and a set of files is written all or nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from dockyard.errors import DockyardError


def _mode(path: Path) -> int:
    """The mode the file keeps (or a new file gets from the umask): mkstemp's is 0600."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def cannot_write(path: Path, exc: OSError, *, nothing_written: bool = True) -> DockyardError:
    """The one line for a write that failed: which file, why, what to do."""
    reason = exc.strerror or str(exc)
    after = "; nothing was written" if nothing_written else ""
    return DockyardError(
        f"cannot write {path}: {reason}; make room or make the folder writable, "
        f"then run the command again{after}"
    )


def _mkdirs(folder: Path, created: list[Path]) -> None:
    """``mkdir -p`` that remembers each folder it made (to remove them on failure)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for directory in reversed(missing):
        directory.mkdir()
        created.append(directory)


def _stage(path: Path, text: str, created: list[Path]) -> str:
    """Write ``text`` to a temp file next to ``path``; return the temp file's name."""
    _mkdirs(path.parent, created)
    mode = _mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _discard(temps: list[str], created: list[Path]) -> None:
    for tmp in temps:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    for directory in reversed(created):
        with contextlib.suppress(OSError):
            directory.rmdir()


def write_atomic(path: Path, text: str) -> None:
    write_files({path: text})


def write_files(files: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temp file first, then all are renamed.

    A full or read-only disk fails while staging, before any file is replaced.
    """
    temps: list[str] = []
    created: list[Path] = []
    current = None
    try:
        for path, text in files.items():
            current = path
            temps.append(_stage(path, text, created))
    except OSError as exc:
        _discard(temps, created)
        raise cannot_write(current or Path("."), exc) from exc
    except BaseException:
        _discard(temps, created)
        raise
    for index, (tmp, path) in enumerate(zip(temps, files, strict=True)):
        try:
            os.replace(tmp, path)
        except OSError as exc:
            _discard(temps[index:], [])
            raise cannot_write(path, exc, nothing_written=index == 0) from exc


def write_all(root: Path, files: dict[str, str]) -> list[str]:
    """Write every file whose content changed, all or none; return the relative paths written.

    All new contents are rendered before this is called, so a render error
    leaves every file as it was.
    """
    changed = [rel for rel in files if _differs(root / rel, files[rel])]
    write_files({root / rel: files[rel] for rel in changed})
    return changed


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") != text
    except (OSError, UnicodeDecodeError):
        return True


def stale(root: Path, files: dict[str, str]) -> list[str]:
    """Relative paths whose content on disk differs from ``files`` (or is missing)."""
    out = []
    for rel, text in files.items():
        if _differs(root / rel, text):
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
