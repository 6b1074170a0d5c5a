"""Moving images: docker push (to a registry), docker save/load (a .tar.gz), digests."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dockyard.engine.run import last_line, log, run
from dockyard.errors import DockyardError

_UNREACHABLE = re.compile(
    r"connection refused|no such host|i/o timeout|dial tcp|server gave HTTP response|"
    r"no route to host|network is unreachable",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pushed:
    tag: str
    digest: str
    sent: int  # layers uploaded
    present: int  # layers the registry already had (or mounted from another repository)


def registry_host(reference: str) -> str:
    """The registry part of an image reference: 127.0.0.1:5000/team/api:1 -> 127.0.0.1:5000."""
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def plain_http(host: str) -> bool:
    """Loopback registries speak plain HTTP (the engine allows that for 127.0.0.0/8 only)."""
    name = host.rsplit(":", 1)[0]
    return name in ("localhost", "127.0.0.1", "[::1]") or name.startswith("127.")


def unreachable(detail: str) -> bool:
    return bool(_UNREACHABLE.search(detail))


def registry_down(reference: str, detail: str) -> DockyardError:
    return DockyardError(
        f"the registry {registry_host(reference)} does not answer ({detail.strip()}); "
        "start it, or fix `registry` in [tool.dockyard] of pyproject.toml"
    )


def require_registry(registry: str) -> None:
    """A clear error unless the registry's /v2/ answers (any HTTP status will do)."""
    host = registry_host(registry + "/x")
    errors = []
    for scheme in ("https", "http"):
        try:
            urllib.request.urlopen(f"{scheme}://{host}/v2/", timeout=10).close()
            return
        except urllib.error.HTTPError:
            return  # 401 and friends: it answers
        except (OSError, ValueError) as exc:
            errors.append(str(getattr(exc, "reason", exc)))
    raise registry_down(registry, errors[-1])


def push(tag: str) -> Pushed:
    """``docker push`` one tag; BuildKit/the engine send only layers the registry lacks."""
    proc = run(["docker", "push", tag], check=False, timeout=900)
    text = (proc.stdout or "") + (proc.stderr or "")
    if proc.returncode != 0 or "digest: sha256:" not in text:
        detail = last_line(text, proc.returncode)
        if unreachable(text):
            raise registry_down(tag, detail)
        raise DockyardError(f"docker push {tag} failed: {detail}")
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", text)
    return Pushed(
        tag=tag,
        digest=digest.group(1) if digest else "",
        sent=len(re.findall(r": Pushed$", text, re.MULTILINE)),
        present=len(re.findall(r": (Layer already exists|Mounted from .*)$", text, re.MULTILINE)),
    )


def registry_digest(reference: str, *, app: str = "APP") -> str:
    """The digest the registry serves for ``reference``; a clear error when it cannot."""
    proc = run(
        ["docker", "buildx", "imagetools", "inspect", reference, "--format", "{{json .Manifest}}"],
        check=False,
        timeout=60,
    )
    if proc.returncode == 0:
        try:
            return json.loads(proc.stdout)["digest"]
        except (ValueError, KeyError):
            pass
    detail = (proc.stderr or proc.stdout or "").strip().splitlines()
    last = detail[-1].removeprefix("ERROR: ") if detail else f"exit code {proc.returncode}"
    if unreachable(last):
        raise registry_down(reference, last)
    raise DockyardError(
        f"the image {reference} is not in the registry ({last}); build and push it first: "
        f"`dockyard build {app} && dockyard push {app}`"
    )


SUPPLY_FOLDER = "dockyard-supply"  # SBOMs and provenance, first in a `dockyard save` archive


def save(tags: list[str], output: Path, extra: dict[str, bytes] | None = None) -> int:
    """``docker save`` the tags into a gzip file, written whole or not at all; its size.

    ``extra`` files (name -> bytes) go first, under dockyard-supply/: `docker load`
    skips files it does not know, and `dockyard load` finds them without reading the
    whole archive. docker's own archive keeps no attestations, so SBOMs and provenance
    travel this way.
    """
    partial = output.with_name(f".{output.name}.partial")
    log.debug("run: docker save %s | gzip > %s", " ".join(tags), output)
    proc = subprocess.Popen(
        ["docker", "save", *tags], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        with gzip.open(partial, "wb", compresslevel=6) as handle:
            if extra:
                _copy_with_extra(proc.stdout, handle, extra)
            else:
                shutil.copyfileobj(proc.stdout, handle, 1 << 20)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.wait() != 0:
            raise DockyardError(f"docker save failed: {err.strip() or proc.returncode}")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output.stat().st_size


def _copy_with_extra(stream, handle, extra: dict[str, bytes]) -> None:
    """Re-write docker's tar stream into ``handle`` with ``extra`` files in front."""
    with tarfile.open(fileobj=handle, mode="w|", format=tarfile.PAX_FORMAT) as out:
        for name, data in sorted(extra.items()):
            info = tarfile.TarInfo(f"{SUPPLY_FOLDER}/{name}")
            info.size, info.mode = len(data), 0o644
            out.addfile(info, io.BytesIO(data))
        with tarfile.open(fileobj=stream, mode="r|") as source:
            for member in source:
                out.addfile(member, source.extractfile(member) if member.isfile() else None)


def read_supply(archive: Path) -> dict[str, bytes]:
    """The dockyard-supply/ files at the front of a `dockyard save` archive."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, mode="r|*") as source:
            for member in source:
                if not member.name.startswith(f"{SUPPLY_FOLDER}/"):
                    break
                handle = source.extractfile(member)
                if handle is not None:
                    found[member.name.removeprefix(f"{SUPPLY_FOLDER}/")] = handle.read()
    except (tarfile.TarError, OSError, EOFError):
        return found
    return found


def load(archive: Path) -> list[str]:
    """``docker load`` a tar or .tar.gz; the images it named."""
    proc = run(["docker", "load", "--input", str(archive)], check=False, timeout=1800)
    if proc.returncode != 0:
        raise DockyardError(
            f"{archive} is not an image archive docker can load "
            f"({last_line(proc.stderr or proc.stdout, proc.returncode)}); make one with "
            "`dockyard save APP... -o FILE.tar.gz`"
        )
    return [
        line.split(":", 1)[1].strip()
        for line in proc.stdout.splitlines()
        if line.startswith(("Loaded image:", "Loaded image ID:"))
    ]
