"""`dockyard base bootstrap`: a Python base image from the machine's Debian mirror."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from dockyard.console import say, show
from dockyard.engine import docker
from dockyard.engine.run import run
from dockyard.errors import DockyardError

PACKAGES = ("python3", "python3-venv", "ca-certificates")


def debian_mirror() -> str:
    """The mirror this machine's apt already uses (deb822 sources or sources.list)."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.is_file():
        match = re.search(r"^URIs:\s*(\S+)", deb822.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    classic = Path("/etc/apt/sources.list")
    if classic.is_file():
        match = re.search(
            r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main", classic.read_text(), re.MULTILINE
        )
        if match:
            return match.group(1)
    raise DockyardError(
        "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or "
        "/etc/apt/sources.list; pass --mirror URL"
    )


def bootstrap(suite: str, tag: str | None, mirror: str | None) -> int:
    if os.geteuid() != 0:
        raise DockyardError("`dockyard base bootstrap` runs debootstrap and needs root")
    if shutil.which("debootstrap") is None:
        raise DockyardError(
            "debootstrap is not installed; on Debian: `apt-get install debootstrap`"
        )
    docker.require_engine()
    mirror = mirror or debian_mirror()
    workdir = Path(tempfile.mkdtemp(prefix="dockyard-rootfs-", dir="/var/tmp"))
    try:
        say(
            f"debootstrap {suite} from {mirror} with {', '.join(PACKAGES)} (about a minute) ...",
        )
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                suite,
                workdir,
                mirror,
            ],
            what=f"debootstrap {suite}",
        )
        for junk in ("var/cache/apt", "var/lib/apt/lists", "var/log"):
            target = workdir / junk
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
        python = sorted(
            p.name
            for p in (workdir / "usr/bin").glob("python3.[0-9]*")
            if re.fullmatch(r"python3\.\d+", p.name)
        )
        if not python:
            raise DockyardError(f"debootstrap of {suite} produced no python3 interpreter")
        version = python[-1].removeprefix("python")
        tag = tag or f"dockyard/python:{version}-{suite}"
        image_id = docker.import_rootfs(workdir, tag, ["ENV LANG=C.UTF-8", 'CMD ["python3"]'])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    show(f"built base image {tag} ({image_id[:19]}), Python {version} at /usr/bin/python3")
    show(f"use it: export DOCKYARD_BASE_IMAGE={tag}  (then `dockyard lock`)")
    return 0
