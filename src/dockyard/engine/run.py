"""One way to run a subprocess, so every command line is logged and errors read alike."""

from __future__ import annotations

import logging
import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from dockyard.errors import DockyardError

log = logging.getLogger("dockyard.run")


def _env(extra: Mapping[str, str] | None) -> dict[str, str] | None:
    if not extra:
        return None
    import os

    return {**os.environ, **extra}


# the docker CLI's closing hint after an error ("Run 'docker run --help' for more
# information"): the reason is the line before it
_HINT = re.compile(r"^Run '.*--help' for more information\.?$")


def last_line(text: str | None, returncode: int) -> str:
    """The reason a command failed: the last non-empty line it printed (pass its stderr, or
    whichever stream the tool writes errors to), else its exit code."""
    lines = [
        line
        for line in (text or "").strip().splitlines()
        if line.strip() and not _HINT.match(line.strip())
    ]
    return lines[-1].strip() if lines else f"exit code {returncode}"


def why_failed(proc: subprocess.CompletedProcess) -> str:
    """Why ``proc`` failed: the last non-empty line of its stderr, else its exit code."""
    return last_line(proc.stderr, proc.returncode)


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
    what: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``args``; with ``check``, a non-zero exit becomes a DockyardError naming ``what``.

    ``capture=False`` lets the tool print straight to the terminal (progress of
    long work such as builds); its stderr then is the user's to read.
    """
    argv = [str(a) for a in args]
    log.debug("run: %s", shlex.join(argv))
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=_env(env),
            text=True,
            input=input,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise DockyardError(
            f"`{argv[0]}` is not installed or not on PATH; install it and retry"
        ) from None
    except subprocess.TimeoutExpired:
        raise DockyardError(
            f"{what or shlex.join(argv)}: no answer within {timeout:.0f}s"
        ) from None
    if check and proc.returncode != 0:
        last = last_line(proc.stderr if capture else None, proc.returncode)
        raise DockyardError(f"{what or shlex.join(argv)} failed: {last}")
    return proc
