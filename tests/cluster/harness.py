"""A swarm of real Docker engines on this one machine, for dockyard's cluster tests.

Each node is a privileged container of the node image (tests/cluster/node: Debian 12
with Debian 13's docker.io) running its own dockerd, with a volume of its own at
/var/lib/docker and its engine's socket in a folder of the machine, so tests reach
node N as DOCKER_HOST=unix://.../N/docker.sock. The nodes share a user-defined bridge
network made for the run; the swarm's overlay networks run over it (VXLAN).

Images are named after a registry on the machine's loopback (127.0.0.1:PORT, where
the machine's engine pushes them, as to any registry on localhost). A second process
serves the same storage on the run's bridge address, and each node's kernel NAT sends
its own 127.0.0.1:PORT there, so every node pulls the same `name@sha256:...` the
stack file names. Nothing but loopback and this run's containers is ever contacted.

Everything a run creates carries the label dev.dockyard.cluster=<run> and is removed
by `Cluster.down()`, which the tests call from a fixture finalizer, failure or not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABEL = "dev.dockyard.cluster"
STATE = Path("/var/tmp")


class ClusterError(AssertionError):
    """A step of building or changing the cluster failed (a test failure, not a skip)."""


def sh(args: Sequence[str], *, check: bool = True, timeout: float = 600,
       env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    proc = subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    if check and proc.returncode != 0:
        raise ClusterError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def debian_mirror() -> str:
    """The machine's own Debian mirror (the first `URIs:` of its apt sources)."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.is_file():
        for line in deb822.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            if line.startswith("deb "):
                return next(p for p in line.split()[1:] if "://" in p)
    raise ClusterError("no Debian mirror in /etc/apt/sources.list.d/debian.sources or sources.list")


def _content_tag(name: str, folder: Path, *extra: str) -> str:
    """An image tag from the files that define it, so a changed file means a new image."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for value in extra:
        digest.update(value.encode())
    return f"dockyard-cluster/{name}:{digest.hexdigest()[:12]}"


def build_node_image(base_image: str) -> str:
    """The node image, built once per content (BuildKit caches the apt step)."""
    folder = HERE / "node"
    tag = _content_tag("node", folder, base_image)
    if sh(["docker", "image", "inspect", tag], check=False).returncode != 0:
        mirror = debian_mirror()
        sh(["docker", "build", "-q", "-t", tag, "--build-arg", f"BASE_IMAGE={base_image}",
            "--build-arg", f"DEBIAN_MIRROR={mirror}", str(folder)], timeout=900)  # fmt: skip
    return tag


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Registry:
    """Debian's docker-registry serving one storage on loopback and on the run's bridge."""

    root: Path
    gateway: str
    port: int = field(default_factory=free_port)
    pids: list[int] = field(default_factory=list)

    @property
    def alias(self) -> str:  # what images are named after
        return f"127.0.0.1:{self.port}"

    @property
    def bridge(self) -> str:  # where the nodes reach it
        return f"{self.gateway}:{self.port}"

    def start(self) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise ClusterError("docker-registry is not installed; run scripts/ensure-registry.sh")
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        for addr in (self.alias, self.bridge):
            config = self.root / f"registry-{addr.replace(':', '-')}.yml"
            config.write_text(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                f"    rootdirectory: {self.root / 'data'}\n  delete:\n    enabled: true\n"
                f"http:\n  addr: {addr}\n"
            )
            log = (self.root / f"{config.stem}.log").open("w")
            proc = subprocess.Popen(
                [binary, "serve", str(config)], stdout=log, stderr=log, start_new_session=True
            )
            self.pids.append(proc.pid)
            (self.root / f"{config.stem}.pid").write_text(f"{proc.pid}\n")
        for addr in (self.alias, self.bridge):
            _wait(lambda a=addr: _answers(f"http://{a}/v2/"), 20, f"registry on {addr}")

    def stop(self) -> None:
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.pids.clear()


def _stop_recorded_registries(folder: Path) -> None:
    """Stop the registry processes a run recorded (for `down` from another process)."""
    for pidfile in folder.glob("registry/*.pid"):
        pid = int(pidfile.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"docker-registry" in cmdline.read_bytes():
            os.kill(pid, signal.SIGTERM)


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def _wait(ready, seconds: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + seconds
    while True:
        got = ready()
        if got:
            return got
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready after {seconds:.0f}s")
        time.sleep(every)


@dataclass
class Node:
    short: str  # n1, n2, ...: also its hostname and its swarm node name
    container: str
    folder: Path  # holds the engine's socket
    address: str = ""

    @property
    def host(self) -> str:
        return f"unix://{self.folder}/docker.sock"

    def docker(self, *args: str, check: bool = True, timeout: float = 300):
        return sh(["docker", "-H", self.host, *args], check=check, timeout=timeout)

    def engine_answers(self) -> bool:
        return self.docker("info", "--format", "{{.ServerVersion}}", check=False).returncode == 0


class Cluster:
    """Nodes n1..nN of run ``run``; n1 starts the swarm as its manager."""

    def __init__(self, run: str, base_image: str, size: int = 4) -> None:
        self.run, self.base_image = run, base_image
        self.network = f"{run}-net"
        self.folder = STATE / f"dockyard-cluster-{run}"
        self.nodes = [
            Node(f"n{i}", f"{run}-n{i}", self.folder / f"n{i}") for i in range(1, size + 1)
        ]
        self.registry: Registry | None = None
        self.gateway = ""

    def node(self, short: str) -> Node:
        return next(n for n in self.nodes if n.short == short)

    # -- life cycle ------------------------------------------------------------------
    def up(self) -> None:
        """Network, registry and engines: every node's dockerd answers."""
        image = build_node_image(self.base_image)
        prefix = self._create_network()
        self.gateway = f"{prefix}.1"
        for index, node in enumerate(self.nodes):
            node.address = f"{prefix}.{11 + index}"  # fixed: a restarted node keeps it
        self.registry = Registry(self.folder / "registry", self.gateway)
        self.registry.start()
        for node in self.nodes:
            self._start_node(node, image)
        for node in self.nodes:
            _wait(node.engine_answers, 60, f"the engine of {node.container}")

    def _create_network(self) -> str:
        """A bridge network on the first free 10.213.X.0/24; its first three octets."""
        for third in range(16, 250):
            prefix = f"10.213.{third}"
            proc = sh(["docker", "network", "create", "--driver", "bridge",
                       "--subnet", f"{prefix}.0/24", "--gateway", f"{prefix}.1",
                       "--label", f"{LABEL}={self.run}", self.network], check=False)  # fmt: skip
            if proc.returncode == 0:
                return prefix
            if "overlap" not in proc.stderr:
                raise ClusterError(f"docker network create {self.network}: {proc.stderr.strip()}")
        raise ClusterError("no free 10.213.X.0/24 for the cluster's network")

    def _start_node(self, node: Node, image: str) -> None:
        assert self.registry is not None
        node.folder.mkdir(parents=True, exist_ok=True)
        volume = f"{node.container}-docker"
        sh(["docker", "volume", "create", "--label", f"{LABEL}={self.run}", volume])
        sh(["docker", "run", "-d", "--name", node.container, "--hostname", node.short,
            "--privileged", "--init", "--network", self.network, "--ip", node.address,
            "--label", f"{LABEL}={self.run}",
            "-v", f"{volume}:/var/lib/docker", "-v", f"{node.folder}:/run/dockyard",
            "-e", f"NODE_REGISTRY_ALIAS={self.registry.alias}",
            "-e", f"NODE_REGISTRY={self.registry.bridge}", image])  # fmt: skip

    def down(self) -> list[str]:
        """Remove every container, volume and network of the run; what could not be removed."""
        left = []
        label = f"label={LABEL}={self.run}"
        ids = sh(["docker", "ps", "-aq", "--filter", label], check=False).stdout.split()
        if ids:
            sh(["docker", "rm", "-f", "-v", *ids], check=False, timeout=300)
        for kind in ("volume", "network"):
            names = sh(["docker", kind, "ls", "-q", "--filter", label], check=False).stdout
            for name in names.split():
                if sh(["docker", kind, "rm", name], check=False).returncode != 0:
                    left.append(f"{kind} {name}")
        if self.registry is not None:
            self.registry.stop()
        _stop_recorded_registries(self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)
        return left

    # -- swarm -------------------------------------------------------------------------
    @property
    def first(self) -> Node:
        return self.nodes[0]

    def form_swarm(self) -> None:
        """n1 initialises the swarm; the other nodes join it as workers."""
        lead = self.first
        lead.docker(
            "swarm", "init", "--advertise-addr", lead.address, "--default-addr-pool", "10.20.0.0/16"
        )  # apart from the nodes' own 10.213.x
        token = lead.docker("swarm", "join-token", "-q", "worker").stdout.strip()
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda n: n.docker("swarm", "join", "--token", token,
                                             f"{lead.address}:2377"), self.nodes[1:]))  # fmt: skip
        self.wait_ready(self.first, [n.short for n in self.nodes])

    def swarm_nodes(self, manager: Node) -> dict[str, dict]:
        """Each swarm node's `docker node ls` row, by hostname, as a manager sees it."""
        out = manager.docker("node", "ls", "--format", "{{json .}}").stdout.splitlines()
        return {row["Hostname"]: row for row in map(json.loads, out)}

    def wait_ready(self, manager: Node, names: list[str], timeout: float = 90) -> None:
        def ready() -> bool:
            rows = self.swarm_nodes(manager)
            return all(rows.get(n, {}).get("Status") == "Ready" for n in names)

        _wait(ready, timeout, f"swarm nodes {', '.join(names)} Ready", every=1)

    def label(self, manager: Node, node: str, **labels: str) -> None:
        args = [a for key, value in labels.items() for a in ("--label-add", f"{key}={value}")]
        manager.docker("node", "update", *args, node)

    def kill(self, node: Node) -> None:
        """Power loss: the node's container (its engine and every task on it) is killed."""
        sh(["docker", "kill", node.container])

    def restart(self, node: Node) -> None:
        sh(["docker", "start", node.container])
        _wait(node.engine_answers, 60, f"the engine of {node.container}")


if __name__ == "__main__":
    # Remove what an interrupted run left behind: python tests/cluster/harness.py down RUN
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "down":
        sys.exit("usage: python tests/cluster/harness.py down RUN   (RUN: e.g. dkc1a2b3c)")
    left = Cluster(sys.argv[2], base_image="").down()
    sys.exit(f"could not remove: {', '.join(left)}" if left else 0)
