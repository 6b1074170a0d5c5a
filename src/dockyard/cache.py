"""What dockyard remembers between runs, in the user's cache (``$XDG_CACHE_HOME/dockyard``,
else ``~/.cache/dockyard``): answers that only depend on content named by the key (a file's
digest, an image ID), so an entry is never stale, only unused. Losing the folder, or being
unable to write it, only costs the work again."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic


def directory() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockyard"


def recall(kind: str, key: str) -> str | None:
    """What remember() kept for ``kind``/``key``, or None."""
    try:
        return (directory() / kind / key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def remember(kind: str, key: str, value: str = "") -> None:
    """Keep ``value`` for ``kind``/``key``; a read-only cache keeps nothing."""
    with contextlib.suppress(OSError, DockyardError):
        write_atomic(directory() / kind / key, value)
