"""Is an image stale? A hash of what its Dockerfile stages read, stored as a label.

Dev images hash the stages and the context files they bind (their source is mounted at
run time); prod images hash the first-party source they copy too, so `dockyard build`
can leave BuildKit alone when nothing an image is built from has changed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

_FROM = re.compile(r"^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$", re.I)
_FROM_STAGE = re.compile(r"(?:--mount=\S*?\bfrom=|--from=)([\w.-]+)")
_BIND_SOURCE = re.compile(r"--mount=type=bind,(\S+)")
_COPY = re.compile(r"^COPY\s+(?!(?:--\S+\s+)*--from=)(?:--\S+\s+)*(.+)\s+\S+$")


@dataclass(frozen=True)
class Stage:
    name: str
    parent: str
    lines: tuple[str, ...]  # instructions, comments and blank lines dropped


@functools.lru_cache(maxsize=4)
def parse_stages(dockerfile: str) -> dict[str, Stage]:
    """Stages by name (an unnamed stage is named by its index), in file order."""
    stages: dict[str, Stage] = {}
    current: tuple[str, str, list[str]] | None = None
    for line in dockerfile.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FROM.match(line.strip())
        if match:
            if current:
                stages[current[0]] = Stage(current[0], current[1], tuple(current[2]))
            current = (match.group(2) or str(len(stages)), match.group(1), [line.rstrip()])
        elif current:
            current[2].append(line.rstrip())
    if current:
        stages[current[0]] = Stage(current[0], current[1], tuple(current[2]))
    return stages


def chain(stages: dict[str, Stage], target: str) -> list[Stage]:
    """``target`` and every stage it builds on or mounts from, in file order."""
    needed: set[str] = set()

    def visit(name: str) -> None:
        if name in needed or name not in stages:
            return
        needed.add(name)
        stage = stages[name]
        visit(stage.parent)
        for line in stage.lines:
            for ref in _FROM_STAGE.findall(line):
                visit(ref)

    visit(target)
    return [stage for name, stage in stages.items() if name in needed]


def _bind_sources(line: str) -> list[str]:
    sources = []
    for options in _BIND_SOURCE.findall(line):
        fields = dict(part.split("=", 1) for part in options.split(",") if "=" in part)
        if "from" not in fields and "source" in fields:
            sources.append(fields["source"])
    return sources


def _copy_sources(line: str) -> list[str]:
    match = _COPY.match(line)
    return match.group(1).split() if match else []


def dev_inputs_hash(dockerfile: str, target: str, read: Callable[[str], str | None]) -> str:
    """sha256 over the stages ``target`` is built from and the context files they bind.

    ``read(path)`` gives a context file's text (None for a folder, e.g. a member's
    source, which dev images only mount: source edits never make them stale).
    """
    stages = chain(parse_stages(dockerfile), target)
    if not stages:
        raise ValueError(f"no stage named {target!r} in the Dockerfile")
    digest = hashlib.sha256()
    for stage in stages:
        for line in stage.lines:
            digest.update(line.encode() + b"\n")
            for source in _bind_sources(line) + _copy_sources(line):
                text = read(source)
                digest.update(f"{source}\0{'' if text is None else text}\0".encode())
    return digest.hexdigest()[:32]


def tree_digest(root: Path, ignored: Iterable[str] = ()) -> str:
    """sha256 over the files under ``root`` (path, exec bit, content; symlinks by target),
    skipping names that match ``ignored`` (.dockerignore's `**/name` patterns): what a
    bind mount of ``root`` shows a build step, or a little more (never less)."""
    patterns = [p.removeprefix("**/") for p in ignored]
    digest = hashlib.sha256()
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not any(fnmatch(d, p) for p in patterns))
        for name in sorted(files):
            if any(fnmatch(name, p) for p in patterns):
                continue
            path = Path(top, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                digest.update(f"L{rel}\0{os.readlink(path)}\0".encode())
            else:
                mode = "x" if os.access(path, os.X_OK) else "f"
                digest.update(f"{mode}{rel}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()
