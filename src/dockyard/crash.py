"""The last net at the CLI edge: an unexpected error becomes one line and a log file."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from dockyard import __version__


def summary(exc: BaseException) -> str:
    """One line: the exception's type and its first line of text."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def log_dir() -> Path:
    """$DOCKYARD_LOG_DIR, else $XDG_STATE_HOME/dockyard, else ~/.local/state/dockyard."""
    if os.environ.get("DOCKYARD_LOG_DIR"):
        return Path(os.environ["DOCKYARD_LOG_DIR"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "dockyard"


def _report(exc: BaseException, argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return (
        f"dockyard {__version__} on Python {platform.python_version()} ({platform.platform()})\n"
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
        f"cwd: {os.getcwd()}\n"
        f"command: dockyard {' '.join(args)}\n\n" + "".join(traceback.format_exception(exc))
    )


def write_log(exc: BaseException, argv: list[str] | None) -> str:
    """Write the traceback to a log file; return the line that tells the user where it is.

    The state folder comes first; a full or read-only disk there falls back to the
    temp folder, and when nothing can be written the traceback goes to stderr.
    """
    report = _report(exc, argv)
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(report, encoding="utf-8")
        except OSError:
            continue
        return (
            f"the traceback is in {path}; please attach it to a bug report "
            "(or rerun with `dockyard --debug ...`)"
        )
    sys.stderr.write(report)
    return "no log folder was writable: the traceback is above"
