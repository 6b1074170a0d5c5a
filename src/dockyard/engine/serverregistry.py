"""The docker command lines behind a server's dockyard-registry (transfer = "ssh").

One registry container per server, shared by every project deployed there, published on
the server's 127.0.0.1 only: the client reaches it through an ssh port forward, the
server's engine pulls from it on loopback. What it runs is decided in deploy/transfer.py
(pure); this module builds its image, runs it, pushes to it and counts its blobs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from dockyard.engine.apt import Deb
from dockyard.engine.models import Container
from dockyard.engine.remote import TargetEngine
from dockyard.engine.run import last_line, log, run, why_failed
from dockyard.errors import DockyardError
from dockyard.names import label

DEFAULT_PORT = 5555
CONTAINER_PORT = 5000
STORAGE = "/var/lib/registry"
REGISTRY_LABEL = label("registry")
PORT_LABEL = label("registry.port")
BLOBS = f"{STORAGE}/docker/registry/v2/blobs"

# Runs in the registry container: every blob the registry stores, "<digest> <bytes>".
_BLOB_SIZES = f"""
import os
for folder, _, files in os.walk({BLOBS!r}):
    if "data" in files:
        print("sha256:" + os.path.basename(folder), os.path.getsize(os.path.join(folder, "data")))
"""


def registry_name() -> str:
    """The registry's container and volume name on every server; DOCKYARD_REGISTRY_NAME
    names another one (the tests use it to stay apart from a registry in real use)."""
    return os.environ.get("DOCKYARD_REGISTRY_NAME") or "dockyard-registry"


def wanted_port() -> int:
    """The server port a new registry is published on (127.0.0.1 there):
    DOCKYARD_REGISTRY_PORT, else 5555. An existing registry keeps its own."""
    value = os.environ.get("DOCKYARD_REGISTRY_PORT") or str(DEFAULT_PORT)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise DockyardError(f"DOCKYARD_REGISTRY_PORT={value!r} is not a port number (1-65535)")
    return int(value)


def inspect(engine: TargetEngine, name: str) -> Container | None:
    found = engine.inspect([name])
    return found[0] if found else None


def image_id(engine: TargetEngine, ref: str) -> str | None:
    proc = engine.docker(["image", "inspect", "--format", "{{.Id}}", ref], check=False, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def server_arch(engine: TargetEngine) -> str:
    """The server engine's architecture, as Debian names it (amd64, arm64, ...)."""
    return engine.docker(["version", "--format", "{{.Server.Arch}}"], timeout=60).stdout.strip()


def copy_image(engine: TargetEngine, ref: str) -> None:
    """``docker save`` ``ref`` here into ``docker load`` on the server (the whole image)."""
    log.debug("run: docker save %s | DOCKER_HOST=%s docker load", ref, engine.address)
    save = subprocess.Popen(["docker", "save", ref], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        load = subprocess.run(["docker", "load", "--quiet"], stdin=save.stdout,
                              capture_output=True, text=True, check=False,
                              env={**os.environ, **engine.env}, timeout=1800)  # fmt: skip
    finally:
        assert save.stdout is not None
        save.stdout.close()
        saved = save.wait()
    if saved != 0 or load.returncode != 0:
        err = save.stderr.read().decode() if save.stderr and saved != 0 else load.stderr
        raise DockyardError(
            f"could not copy {ref} to {engine.address} (docker save | docker load: "
            f"{last_line(err, saved or load.returncode)})"
        )


def build_image(
    engine: TargetEngine, dockerfile: str, tag: str, deb: Deb, binary: Path, config: str
) -> None:
    """Build the registry image on the server's engine (the context: the binary and its
    configuration)."""
    with tempfile.TemporaryDirectory(prefix="dockyard-registry-") as tmp:
        context = Path(tmp)
        binary.replace(context / "docker-registry")
        (context / "config.yml").write_text(config)
        (context / "Dockerfile").write_text(dockerfile)
        (context / ".dockerignore").write_text("Dockerfile\n")
        engine.docker(
            ["build", "--quiet", "--tag", tag, str(context)],
            timeout=900,
            what=f"building {tag} ({deb.package} {deb.version}) on {engine.address}",
        )


def start(engine: TargetEngine, name: str, image: str, port: int) -> bool:
    """Run the registry: restarted with the engine, its blobs in the volume ``name``,
    published on the server's 127.0.0.1 only, no capability, a read-only root file system.
    False when another deploy started one by that name meanwhile (it is left alone)."""
    args = [
        "run", "--detach", "--name", name, "--restart", "unless-stopped",
        "--volume", f"{name}:{STORAGE}", "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--publish", f"127.0.0.1:{port}:{CONTAINER_PORT}",
        "--label", f"{REGISTRY_LABEL}=1", "--label", f"{PORT_LABEL}={port}", image,
    ]  # fmt: skip
    proc = engine.docker(args, check=False, timeout=120)
    if proc.returncode != 0 and "is already in use" in (proc.stderr or ""):
        return False  # the name is taken: not ours to remove
    if proc.returncode != 0:
        engine.docker(["rm", "--force", name], check=False, timeout=60)
        raise DockyardError(
            f"could not start the registry {name} on {engine.address} ({why_failed(proc)}); "
            f"is another program using 127.0.0.1:{port} there? (DOCKYARD_REGISTRY_PORT "
            "picks another port)"
        )
    return True


def restart(engine: TargetEngine, name: str) -> None:
    proc = engine.docker(["start", name], check=False, timeout=120)
    if proc.returncode != 0:
        raise DockyardError(
            f"the registry {name} on {engine.address} does not start ({why_failed(proc)}); "
            f"see `docker logs {name}` there"
        )


def remove(engine: TargetEngine, name: str) -> None:
    """The registry's container and its volume (its blobs), gone."""
    engine.docker(["rm", "--force", name], check=False, timeout=120)
    engine.docker(["volume", "rm", name], check=False, timeout=120)


def logs_tail(engine: TargetEngine, name: str) -> str:
    """The registry's last log line (what it said before it stopped)."""
    proc = engine.docker(["logs", "--tail", "5", name], check=False, timeout=60)
    text = (proc.stdout or "") + (proc.stderr or "")
    return last_line(text, proc.returncode) if text.strip() else "empty"


def parse_blob_sizes(text: str) -> dict[str, int]:
    """``<digest> <bytes>`` lines -> digest: bytes."""
    out = {}
    for line in text.splitlines():
        digest, _, size = line.strip().partition(" ")
        if digest.startswith("sha256:") and size.isdigit():
            out[digest] = int(size)
    return out


def blob_sizes(engine: TargetEngine, name: str) -> dict[str, int]:
    """Every blob the server's registry stores and its size, read in its container."""
    proc = engine.docker(["exec", name, "python3", "-c", _BLOB_SIZES], check=False, timeout=120)
    if proc.returncode != 0:
        raise DockyardError(
            f"could not list the blobs of the registry {name} on {engine.address} "
            f"({why_failed(proc)})"
        )
    return parse_blob_sizes(proc.stdout)


def pushed_digest(text: str) -> str | None:
    """The digest `docker push` reports for the tag it pushed."""
    found = re.findall(r"digest: (sha256:[0-9a-f]{64})", text)
    return found[-1] if found else None


def push(source: str, remote: str) -> str:
    """Tag ``source`` as ``remote`` (a repository behind the forward) and push it from the
    local engine, which sends only the blobs the registry lacks; the pushed digest. The
    extra tag is removed again, pushed or not."""
    run(["docker", "tag", source, remote], what=f"docker tag {source}")
    try:
        proc = run(["docker", "push", remote], check=False, timeout=1800)
    finally:
        run(["docker", "image", "rm", remote], check=False, timeout=120)
    text = (proc.stdout or "") + (proc.stderr or "")
    digest = pushed_digest(text)
    if proc.returncode != 0 or digest is None:
        raise DockyardError(f"docker push failed: {last_line(text, proc.returncode)}")
    return digest


def swarm_nodes(engine: TargetEngine) -> int:
    """How many nodes the swarm the server manages has (0: not a swarm)."""
    proc = engine.docker(["info", "--format", "{{json .Swarm}}"], timeout=60)
    return int(json.loads(proc.stdout or "{}").get("Nodes") or 0)
