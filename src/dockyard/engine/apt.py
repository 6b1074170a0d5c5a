"""apt on this machine: fetch one Debian package file with the machine's own apt
configuration (`apt-get download` checks it against the signed index) and unpack it."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from dockyard.engine.run import last_line, run
from dockyard.errors import DockyardError


@dataclass(frozen=True)
class Deb:
    path: Path
    package: str
    version: str
    architecture: str
    sha256: str


def architecture() -> str:
    """This machine's Debian architecture (amd64, arm64, ...)."""
    return run(["dpkg", "--print-architecture"], what="dpkg --print-architecture").stdout.strip()


def download(package: str, arch: str | None, folder: Path, why: str) -> Deb:
    """``package`` (for ``arch``, default this machine's) as apt would install it, in
    ``folder``; ``why`` says in an error what needs it."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise DockyardError(
            f"{why} needs Debian's {package} package, fetched with apt, and this machine has "
            "no apt-get/dpkg-deb; run it from a Debian or Ubuntu machine"
        )
    spec = f"{package}:{arch}" if arch and arch != architecture() else package
    proc = run(["apt-get", "download", "-q", spec], cwd=folder, check=False, timeout=600,
               what=f"apt-get download {spec}")  # fmt: skip
    found = sorted(folder.glob(f"{package}_*.deb"))
    if proc.returncode != 0 or not found:
        detail = last_line(proc.stderr or proc.stdout, proc.returncode)
        raise DockyardError(
            f"{why} needs Debian's {spec} package and `apt-get download {spec}` failed "
            f"({detail}); run `apt-get update` (and, for another architecture, "
            f"`dpkg --add-architecture {arch}`), then retry"
        )
    path = found[-1]
    fields = run(["dpkg-deb", "--field", str(path), "Package", "Version", "Architecture"],
                 what=f"dpkg-deb --field {path.name}").stdout  # fmt: skip
    info = dict(line.split(": ", 1) for line in fields.strip().splitlines() if ": " in line)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Deb(path, info.get("Package", package), info.get("Version", "?"),
               info.get("Architecture", arch or "?"), digest)  # fmt: skip


def extract(deb: Deb, member: str, target: Path) -> Path:
    """The file ``member`` (an absolute path in the package) copied out to ``target``."""
    unpacked = deb.path.parent / f"{deb.path.stem}-files"
    run(["dpkg-deb", "--extract", str(deb.path), str(unpacked)],
        what=f"dpkg-deb --extract {deb.path.name}")  # fmt: skip
    source = unpacked / member.lstrip("/")
    if not source.is_file():
        raise DockyardError(f"Debian's {deb.package} {deb.version} has no {member}")
    shutil.copy2(source, target)
    return target
