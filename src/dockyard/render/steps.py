"""How the Dockerfile writes a step: what it reads, the tools and the index, one command (pure).

A step lists its mounts in that order: its own inputs first (a lock export, sources), then
uv's cache and the tools, then the two secrets; install.py's command ends the last line
when it fits. Lines wrap at WIDTH columns: most steps take three. A step that never needs
the index says so first (OFFLINE): BuildKit then gives it no network at all, which is
hermetic and skips setting up one (0.07 s a step on Docker's own BuildKit).
"""

from __future__ import annotations

INSTALL_SCRIPT = ".dockyard/install.py"  # dockyard.buildstep, written beside the lock exports
WIDTH = 110  # columns a step's mounts and arguments wrap at (a long mount stays whole)

# uv locks its own cache, so parallel steps may share it (sharing=locked would serialize them)
CACHE = "--mount=type=cache,id=dockyard-uv,target=/root/.cache/uv"  # sharing=shared, the default
TOOLS = "--mount=from=tools,dst=/opt/dockyard"  # uv and install.py, never in an image
SECRETS = ["--mount=type=secret,id=build_env", "--mount=type=secret,id=ca_bundle"]
INDEX = [CACHE, TOOLS, *SECRETS]  # what a step that downloads from the index mounts
OFFLINE = "--network=none"  # a step that needs no index: no network (none to set up)
INSTALL = "/opt/dockyard/install.py"  # executable (#!/usr/bin/env python3): the venv's python
REQUIREMENTS = "/tmp/requirements.txt"  # where a step's lock export is bound (install.py's default)


def bind(source: str, target: str) -> str:
    return f"--mount=type=bind,source={source},target={target}"


def wrap(keyword: str, words: list[str], indent: str = "    ") -> list[str]:
    """``keyword`` and ``words``, a new line (``indent``) where WIDTH would be passed:
    the lines of an instruction, each but the last to end with ` \\`."""
    return _wrap([keyword], words, indent)


def _wrap(lines: list[str], words: list[str], indent: str) -> list[str]:
    fresh = len(lines) == 1 and " " not in lines[0]  # a keyword alone keeps its first word
    for word in words:
        if len(lines[-1]) + 1 + len(word) + 2 > WIDTH and not fresh:
            lines.append(indent + word)
        else:
            lines[-1] += " " + word
        fresh = False
    return lines


def run(mounts: list[str], *command: str) -> str:
    """RUN: the mounts, as many to a line as fit, then the command: at the end of the last
    mount line when it fits there, else on a line of its own when it fits there, else
    continuing the last line and wrapping. An argument may be `--flag value` (kept whole)."""
    lines = wrap("RUN", mounts)
    whole = " ".join(command)
    if len(lines[-1]) + 1 + len(whole) <= WIDTH:
        lines[-1] += " " + whole
    elif 4 + len(whole) <= WIDTH:
        lines.append("    " + whole)
    else:
        words = list(command)
        if len(lines[-1]) + 1 + len(words[0]) + 2 > WIDTH:
            lines.append("    " + words.pop(0))
        _wrap(lines, words, "      ")
    return " \\\n".join(lines)


def install(mounts: list[str], command: str, *args: str) -> str:
    """A step that runs `install.py COMMAND ARGS` with ``mounts`` (the tools among them)."""
    return run(mounts, INSTALL, command, *args)
