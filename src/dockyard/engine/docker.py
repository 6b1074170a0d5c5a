"""docker, buildx bake and compose: the engine seam."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dockyard.engine.run import run
from dockyard.errors import DockyardError
from dockyard.layerfile import open_layer


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"


def require_engine() -> str:
    """The engine's version; a clear error when no engine, buildx or Compose v2 answers.

    The three checks run side by side: every command pays for them.
    """
    checks = {
        "engine": ["docker", "version", "--format", "{{.Server.Version}}"],
        "buildx": ["docker", "buildx", "version"],
        "compose": ["docker", "compose", "version"],
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = {k: pool.submit(run, argv, check=False, timeout=30) for k, argv in checks.items()}
        procs = {k: job.result() for k, job in jobs.items()}
    proc = procs["engine"]
    if proc.returncode != 0 or not proc.stdout.strip():
        reason = (proc.stderr or "").strip().splitlines()
        raise DockyardError(
            f"no Docker engine answers at {engine_address()}"
            + (f" ({reason[-1]})" if reason else "")
            + "; start dockerd or Docker Desktop (check with `docker info`), "
            "or set DOCKER_HOST to a running engine"
        )
    for plugin, name in (("buildx", "BuildKit's buildx"), ("compose", "Compose v2")):
        if procs[plugin].returncode != 0:
            raise DockyardError(
                f"`docker {plugin}` is missing: dockyard needs {name}; install the "
                f"docker-{plugin} plugin (Debian: docker-{plugin}; Docker Desktop has it)"
            )
    return proc.stdout.strip()


def inspect_images(refs: list[str]) -> dict[str, dict]:
    """ref -> its inspect data, for the refs that exist (one engine call for all)."""
    if not refs:
        return {}
    proc = run(["docker", "image", "inspect", *refs], check=False, timeout=60)
    try:
        found = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {}
    by_tag = {tag: info for info in found for tag in info.get("RepoTags") or []}
    return {ref: by_tag[ref] for ref in refs if ref in by_tag}


def inspect_image(ref: str) -> dict | None:
    proc = run(["docker", "image", "inspect", ref], check=False, timeout=60)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)[0]


def remote_digest(ref: str) -> str | None:
    """The digest a registry serves for ``ref`` now, or None when none answers."""
    proc = run(
        ["docker", "buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest}}"],
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout).get("digest")
    except json.JSONDecodeError:
        return None


def pull(ref: str, *, timeout: float = 180) -> str | None:
    """Pull ``ref``; None on success, else the engine's reason."""
    proc = run(["docker", "pull", "--quiet", ref], check=False, timeout=timeout)
    if proc.returncode == 0:
        return None
    lines = (proc.stderr or proc.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {proc.returncode}"


def bake(
    root: Path, files: list[Path], targets: list[str], *, quiet: bool, no_cache: bool = False
) -> None:
    """One ``docker buildx bake`` for all targets; BuildKit's progress goes to stderr.

    No provenance attestation: it records the build's wall-clock time, so an image
    index with one would never be the same bytes twice.
    """
    # The bake file names each target's output: the engine's image store (no --load).
    args = ["docker", "buildx", "bake", "--provenance=false"]
    args += ["--progress", "plain" if quiet else "auto"]
    if no_cache:
        args.append("--no-cache")
    for file in files:
        args += ["-f", str(file)]
    args += targets
    stderr = subprocess.PIPE if quiet else None
    proc = subprocess.run(args, cwd=root, stdout=sys.stderr, stderr=stderr, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-15:] if quiet else []
        detail = ("\n" + "\n".join(tail)) if tail else " (see the build output above)"
        raise DockyardError(f"docker buildx bake failed for {', '.join(targets)}{detail}")


def compose(
    root: Path,
    file: str | list[str],
    args: list[str],
    *,
    project_name: str | None = None,
    capture: bool = False,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    argv = ["docker", "compose"]
    for name in [file] if isinstance(file, str) else file:
        argv += ["-f", name]
    if project_name:
        argv += ["-p", project_name]
    return run(
        argv + args,
        cwd=root,
        env=env,
        capture=capture,
        check=check,
        what=f"docker compose {' '.join(args[:1])}",
    )


def save_layer_files(ref: str, index: int) -> dict[str, tuple]:
    """Path -> (type, mode, uid, gid, mtime, size, sha256) of layer ``index`` of ``ref``."""
    with tempfile.TemporaryDirectory(prefix="dockyard-save-") as tmp:
        archive = Path(tmp) / "image.tar"
        run(["docker", "save", "-o", str(archive), ref], what=f"docker save {ref}")
        with tarfile.open(archive) as outer:
            manifest = json.load(outer.extractfile("manifest.json"))
            layer = manifest[0]["Layers"][index]
            files = {}
            with open_layer(outer.extractfile(layer)) as inner:
                for member in inner:
                    digest = ""
                    if member.isfile():
                        digest = hashlib.sha256(inner.extractfile(member).read()).hexdigest()
                    files[member.name] = (
                        member.type,
                        member.mode,
                        member.uid,
                        member.gid,
                        int(member.mtime),
                        member.size,
                        digest,
                    )
    return files


def remove_tags(refs: list[str]) -> None:
    if refs:
        run(["docker", "image", "rm", *refs], check=False)


def import_rootfs(rootfs: Path, tag: str, changes: list[str]) -> str:
    """``tar -C rootfs -c . | docker import`` -> the new image ID."""
    args = ["docker", "import"]
    for change in changes:
        args += ["--change", change]
    args += ["-", tag]
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
    )
    proc = subprocess.run(args, stdin=tar.stdout, capture_output=True, text=True)
    tar.wait()
    if tar.returncode != 0 or proc.returncode != 0:
        raise DockyardError(f"docker import of {rootfs} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()
