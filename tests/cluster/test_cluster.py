"""The example on a multi-node swarm of real engines (nested on this machine), as one
story in file order: the cluster -> deploy -> faults. See tests/cluster/harness.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from harness import Cluster, Node, sh
from traffic import Load

from dockyard.deploy.proxy import dockerfile
from dockyard.engine.proxy import CADDY_VERSION, build_image
from dockyard.engine.remote import TargetEngine

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / ".work" / "cluster-figures.json"


def test_nodes_form_one_swarm(cluster: Cluster) -> None:
    rows = cluster.swarm_nodes(cluster.first)
    assert sorted(rows) == [n.short for n in cluster.nodes]
    assert all(row["Status"] == "Ready" for row in rows.values())
    assert [h for h, row in rows.items() if row["ManagerStatus"]] == ["n1"]
    for node in cluster.nodes:  # each its own engine, on its own volume, not vfs
        info = node.docker("info", "--format", "{{.Name}} {{.Driver}} {{.Swarm.LocalNodeState}}")
        assert info.stdout.split() == [node.short, "overlay2", "active"]


def test_every_node_pulls_from_the_registry(cluster: Cluster, tmp_path: Path) -> None:
    """The registry answers each node on the bridge, and under the loopback name too."""
    assert cluster.registry is not None
    ref = f"{cluster.registry.alias}/{cluster.run}/probe:1"
    (tmp_path / "probe.txt").write_text(f"pulled from the registry of {cluster.run}\n")
    tarball = sh(["tar", "-C", str(tmp_path), "-cf", str(tmp_path / "probe.tar"), "probe.txt"])
    assert tarball.returncode == 0
    sh(["docker", "import", str(tmp_path / "probe.tar"), ref])  # a one-file image
    try:
        sh(["docker", "push", "-q", ref])
        digests = sh(["docker", "image", "inspect", ref, "--format", "{{json .RepoDigests}}"])
        repo = ref.rsplit(":", 1)[0]
        pinned = next(d for d in json.loads(digests.stdout) if d.startswith(repo + "@sha256:"))
        direct = pinned.replace(cluster.registry.alias, cluster.registry.bridge)

        def pull(node: Node) -> str:
            node.docker("pull", "-q", pinned, timeout=600)  # the name the stack files use
            node.docker("pull", "-q", direct, timeout=600)  # the bridge address itself
            return node.docker("image", "inspect", "--format", "{{.Id}}", pinned).stdout

        with ThreadPoolExecutor(len(cluster.nodes)) as pool:
            ids = set(pool.map(pull, cluster.nodes))
        assert len(ids) == 1  # the same image on every node
    finally:
        sh(["docker", "image", "rm", ref], check=False)


# -- the example, deployed by dockyard -------------------------------------------------

EXAMPLE = REPO / "examples" / "lol_data"
PARSER_PROBE = '["lol-data-parser", "--health"] }'
API_PROBE = '{ http = "http://127.0.0.1:8000/health" }'
# Probes that tolerate a slow, shared machine: a task may take 300 s to start, and a probe
# 10 s to answer, before it counts as failed.
SLOW_START = ', interval = "2s", timeout = "10s", retries = 5, start-period = "300s" }'
FAST_API_PROBE = API_PROBE.replace(" }", SLOW_START)
BROKEN_API_PROBE = '{ command = ["false"], interval = "2s", retries = 2, start-period = "1s" }'
REPLICAS = 4
TARGET = """
[tool.dockyard.deploy.cluster]
kind = "swarm"
host = "{host}"
apps = ["parser", "api"]
directory = "/var/tmp/dockyard-{name}"
health-timeout = "900s"  # a shared 2-core machine pulls and starts slowly
# No IPVS here, so no routing mesh: dockyard's gateway (Caddy) publishes the api's port
# in host mode on each edge node and spreads requests over the api's tasks. Its image
# is in the registry (pinned by digest), so every node can pull it.
routing = "gateway"
gateway-placement = ["node.labels.{name}.edge == true"]
proxy-image = "{proxy_image}"

# SQLite has one writer: the parser runs where its volumes live (the node labelled
# {name}.db), and the matches to ingest arrive in a volume there too.
[tool.dockyard.deploy.cluster.app.parser]
volumes = ["db:/data", "incoming:/incoming", "logs:/app/logs"]
placement = ["node.labels.{name}.db == true"]

[tool.dockyard.deploy.cluster.app.api]
ports = ["{port}:8000"]
replicas = {replicas}
"""
PORT = 8080  # the api's port on the edge nodes


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=root, capture_output=True, text=True, check=True)  # fmt: skip
    return proc.stdout.strip()


class Story:
    """The example copy deployed to the cluster, and what each step measured."""

    def __init__(self, cluster: Cluster, root: Path) -> None:
        self.cluster, self.root = cluster, root
        self.name = cluster.run
        self.stack = f"{self.name}-cluster"
        self.manager = cluster.first  # the node DOCKER_HOST points at
        self.versions: list[str] = []
        self.ingested = 0
        self.expected: dict[str, int] = {}  # the rows every later step must still find
        self.figures: dict[str, dict] = {}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "dockyard", *args], cwd=self.root,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if check and proc.returncode != 0:
            raise AssertionError(f"dockyard {' '.join(args)}: {proc.stderr[-4000:]}{self.why()}")
        return proc

    def why(self) -> str:
        """What Swarm says about the stack's tasks (for a failure message)."""
        tasks = self.manager.docker(
            "service", "ps", "--no-trunc", f"{self.stack}_parser", f"{self.stack}_api",
            "--format", "{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}",
            check=False,
        )  # fmt: skip
        return f"\n--- tasks\n{tasks.stdout}{tasks.stderr}"

    def release(self, message: str) -> str:
        """Regenerate, commit, build and push parser + api; the new version tag."""
        self.run("generate")
        _git(self.root, "add", "-A")
        _git(self.root, "commit", "-qm", message)
        self.run("build", "parser", "api")
        self.run("push", "parser", "api")
        return f"0.1.0-{_git(self.root, 'rev-parse', '--short=12', 'HEAD')}"

    def retarget(self, manager: Node) -> None:
        """Point the deploy target at another manager (DOCKER_HOST of the target)."""
        _rewrite(self.root / "pyproject.toml", self.manager.host, manager.host)
        self.manager = manager

    def tasks(self, app: str) -> list[tuple[str, str, str]]:
        """(node, current state, image) of each task of ``app`` meant to be running."""
        out = self.manager.docker(
            "service", "ps", f"{self.stack}_{app}", "--filter", "desired-state=running",
            "--no-trunc", "--format", "{{.Node}}\t{{.CurrentState}}\t{{.Image}}",
        ).stdout  # fmt: skip
        return [tuple(line.split("\t")) for line in out.splitlines()]  # type: ignore[misc]

    def running(self, app: str) -> list[str]:
        return sorted(n for n, state, _ in self.tasks(app) if state.startswith("Running"))

    def parser_container(self) -> str:
        n3 = self.cluster.node("n3")
        label = f"label=com.docker.swarm.service.name={self.stack}_parser"
        ids = n3.docker("ps", "-q", "--filter", label, "--filter", "status=running").stdout.split()
        assert len(ids) == 1, f"parser containers on n3: {ids}"
        return ids[0]

    def rows(self) -> dict[str, int]:
        """Row counts of the parser's database, read on its node."""
        script = (
            "import json, sqlite3; db = sqlite3.connect('file:/data/lol.db?mode=ro', uri=True); "
            "print(json.dumps({t: db.execute(f'select count(*) from {t}').fetchone()[0] "
            "for t in ('games', 'participations', 'ingested_files')}))"
        )
        out = self.cluster.node("n3").docker(
            "exec", self.parser_container(), "/opt/venv/bin/python", "-c", script
        )
        return json.loads(out.stdout)

    def ingest(self, count: int) -> None:
        """Drop ``count`` more match files into the parser's incoming volume; wait for them."""
        n3, cid = self.cluster.node("n3"), self.parser_container()
        matches = sorted((self.root / "data" / "matches").glob("*.json"))
        for match in matches[self.ingested : self.ingested + count]:
            n3.docker("cp", str(match), f"{cid}:/incoming/.{match.name}.part")
            n3.docker("exec", "-u", "0", cid, "mv", f"/incoming/.{match.name}.part",
                      f"/incoming/{match.name}")  # fmt: skip
        self.ingested += count
        deadline = time.monotonic() + 120
        while self.rows()["games"] < self.ingested and time.monotonic() < deadline:
            time.sleep(1)
        self.expected = self.rows()
        assert self.expected["games"] == self.expected["ingested_files"] == self.ingested

    @property
    def edge(self) -> str:
        return f"http://{self.cluster.node('n2').address}:{PORT}/health"


def _proxy_image(cluster: Cluster, name: str) -> str:
    """dockyard's proxy image (the official Caddy binary on the base image), built here,
    pushed to the run's registry; its reference by digest, for `proxy-image`."""
    assert cluster.registry is not None
    tag = f"{cluster.registry.alias}/{name}/dockyard-proxy:caddy-{CADDY_VERSION}"
    local = TargetEngine("cluster", None, None)
    build_image(local, dockerfile(cluster.base_image), tag)
    sh(["docker", "push", "-q", tag])
    digests = sh(["docker", "image", "inspect", tag, "--format", "{{json .RepoDigests}}"])
    repo = tag.rsplit(":", 1)[0]
    return next(d for d in json.loads(digests.stdout) if d.startswith(repo + "@sha256:"))


@pytest.fixture(scope="module")
def story(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cluster") / "lol"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.db"))
    _git(root, "init", "-q")
    manifest = root / "pyproject.toml"
    assert cluster.registry is not None
    name = cluster.run
    _rewrite(
        manifest,
        'name = "lol-data" ',
        f'name = "{name}"\nregistry = "{cluster.registry.alias}/{name}" ',
    )
    _rewrite(
        manifest,
        PARSER_PROBE,
        PARSER_PROBE.replace(" }", SLOW_START),
    )
    _rewrite(manifest, API_PROBE, FAST_API_PROBE)
    proxy_image = _proxy_image(cluster, name)
    with manifest.open("a") as handle:
        handle.write(
            TARGET.format(
                host=cluster.first.host, name=name, replicas=REPLICAS, port=PORT,
                proxy_image=proxy_image,
            )
        )  # fmt: skip
    story = Story(cluster, root)
    story.run("lock")
    cluster.label(cluster.first, "n3", **{f"{name}.db": "true"})
    cluster.label(cluster.first, "n2", **{f"{name}.edge": "true"})
    try:
        yield story
    finally:
        FIGURES.parent.mkdir(exist_ok=True)
        FIGURES.write_text(json.dumps(story.figures, indent=2) + "\n")
        tags = sh(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).stdout
        mine = [t for t in tags.split() if f"/{name}/" in t or t.startswith(f"{name}/")]
        if mine:
            sh(["docker", "image", "rm", *mine], check=False)


def test_deploy_spreads_the_api_and_pins_the_parser(story: Story) -> None:
    story.versions.append(story.release("first"))
    proc = story.run("deploy", "cluster")
    assert "is live on 'cluster' (swarm)" in proc.stderr
    assert story.running("api") == ["n1", "n2", "n3", "n4"]  # one replica per node
    assert story.running("parser") == ["n3"]  # where its volumes live
    for app in ("api", "parser"):
        images = {image for _, _, image in story.tasks(app)}
        assert len(images) == 1 and "@sha256:" in images.pop()  # by digest, every node
    # dockyard's gateway: one Caddy on the edge node (n2), in host mode, pulled by digest
    gateways = story.manager.docker(
        "service", "ps", f"{story.stack}_api-gateway", "--filter", "desired-state=running",
        "--format", "{{.Node}} {{.Image}}",
    ).stdout.split("\n")  # fmt: skip
    assert [g.split()[0] for g in gateways if g] == ["n2"], gateways
    assert "@sha256:" in gateways[0]
    deadline = time.monotonic() + 180
    while not _ok(story.edge) and time.monotonic() < deadline:
        time.sleep(1)
    assert _ok(story.edge)
    story.ingest(5)
    assert story.rows()["games"] == 5 and story.expected["participations"] > 0


def _ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


# -- faults under a bounded load on the edge node ---------------------------------------


def _versions(story: Story) -> dict[str, tuple[str, str]]:
    """app -> (version, 'running/wanted') from `dockyard status cluster`."""
    out = story.run("status", "cluster").stdout.splitlines()
    rows = [line.split() for line in out[2:] if line and not line.startswith("release")]
    # the gateway's row has no version of the example's (it stays across releases)
    return {row[0]: (row[2], row[3]) for row in rows if row[0] != "api-gateway"}


def _wait_running(
    story: Story, app: str, count: int, avoid: str = "", timeout: float = 180
) -> float:
    """Seconds until ``count`` tasks of ``app`` run, none on node ``avoid``."""
    started = time.monotonic()
    while True:
        nodes = story.running(app)
        if len(nodes) >= count and avoid not in nodes:
            return round(time.monotonic() - started, 1)
        assert time.monotonic() - started < timeout, f"{app} runs on {nodes} after {timeout}s"
        time.sleep(0.5)


def test_rolling_update_of_every_app(story: Story) -> None:
    library = story.root / "packages" / "lol_data" / "src" / "lol_data" / "__init__.py"
    library.write_text(library.read_text() + "\n# release 2: the shared library changed\n")
    story.versions.append(story.release("second"))
    with Load([story.edge]) as load:
        started = time.monotonic()
        story.run("deploy", "cluster")
        seconds = round(time.monotonic() - started, 1)
    story.figures["rolling_update"] = {**load.figures(), "deploy_s": seconds}
    assert load.requests >= 100, load.figures()
    assert load.figures()["failed"] == 0, load.figures()
    current = story.versions[-1]
    assert _versions(story) == {
        "api": (current, f"{REPLICAS}/{REPLICAS}"),
        "parser": (current, "1/1"),
    }
    assert story.rows() == story.expected


def test_broken_release_is_rolled_back_by_swarm(story: Story) -> None:
    manifest = story.root / "pyproject.toml"
    _rewrite(manifest, FAST_API_PROBE, BROKEN_API_PROBE)
    story.versions.append(story.release("broken"))
    with Load([story.edge]) as load:
        started = time.monotonic()
        proc = story.run("deploy", "cluster", check=False)
        seconds = round(time.monotonic() - started, 1)
    story.figures["broken_release"] = {**load.figures(), "deploy_s": seconds}
    assert proc.returncode == 2, proc.stderr + story.why()
    assert "Swarm rolled back by itself" in proc.stderr.strip().splitlines()[-1], proc.stderr
    assert load.figures()["failed"] == 0, load.figures()
    _wait_running(story, "api", REPLICAS)  # the task Swarm replaced may still be starting
    assert _versions(story)["api"] == (story.versions[1], f"{REPLICAS}/{REPLICAS}")
    assert story.rows() == story.expected
    _rewrite(manifest, BROKEN_API_PROBE, FAST_API_PROBE)  # the next release is good again


def test_node_drained_for_maintenance(story: Story) -> None:
    """n1 (the manager) is drained: its api task moves to another node, no request fails."""
    assert "n1" in story.running("api")
    with Load([story.edge]) as load:
        story.manager.docker("node", "update", "--availability", "drain", "n1")
        seconds = _wait_running(story, "api", REPLICAS, avoid="n1")
        time.sleep(3)
    story.figures["drain"] = {**load.figures(), "moved_s": seconds}
    story.manager.docker("node", "update", "--availability", "active", "n1")
    assert load.figures()["failed"] == 0, load.figures()
    assert story.rows() == story.expected


def test_worker_killed_under_load(story: Story) -> None:
    """n4 dies with its api tasks: Swarm starts them elsewhere. Only a request already
    sent to one of them may fail (see test_manager_lost_in_a_three_manager_swarm)."""
    cluster, n4 = story.cluster, story.cluster.node("n4")
    lost = story.running("api").count("n4")
    assert lost >= 1, story.running("api")
    with Load([story.edge]) as load:
        cluster.kill(n4)
        killed = load.elapsed
        seconds = _wait_running(story, "api", REPLICAS, avoid="n4")
        time.sleep(5)  # keep measuring after the recovery
    figures = load.figures()
    story.figures["worker_killed"] = {**figures, "api_tasks_lost": lost, "rescheduled_s": seconds}
    print("worker killed:", story.figures["worker_killed"])
    assert not load.failures_begun_after(killed), (killed, load.failures)
    assert figures["requests"] >= 100
    cluster.restart(n4)  # the machine comes back and rejoins the swarm
    cluster.wait_ready(story.manager, ["n4"])
    story.ingest(5)
    assert story.rows()["games"] == 10


def test_manager_lost_in_a_three_manager_swarm(story: Story) -> None:
    """Three managers; the leader dies: the apps keep serving and the next deploy lands.

    n1 also runs an api task. A request the gateway had already sent to it when the
    node died gets no answer and no reset, and the gateway sets no response timeout
    that would let Caddy retry it elsewhere, so that one may time out, as in
    test_worker_killed_under_load. Any request begun after the kill must succeed."""
    cluster = story.cluster
    story.manager.docker("node", "promote", "n2", "n3")
    deadline = time.monotonic() + 60
    while sum(bool(r["ManagerStatus"]) for r in cluster.swarm_nodes(story.manager).values()) < 3:
        assert time.monotonic() < deadline
        time.sleep(1)
    leader = next(
        h for h, r in cluster.swarm_nodes(story.manager).items() if r["ManagerStatus"] == "Leader"
    )
    assert leader == "n1"
    n2 = cluster.node("n2")
    story.retarget(n2)  # committed with the release below, so its images match the revision
    library = story.root / "packages" / "lol_data" / "src" / "lol_data" / "__init__.py"
    library.write_text(library.read_text() + "# release 4: deployed after losing a manager\n")
    story.versions.append(story.release("after losing a manager"))
    with Load([story.edge]) as load:
        cluster.kill(cluster.node("n1"))
        killed = load.elapsed

        def new_leader() -> bool:
            rows = cluster.swarm_nodes(n2)
            return rows["n1"]["Status"] == "Down" and any(
                r["ManagerStatus"] == "Leader" for r in rows.values()
            )

        deadline = time.monotonic() + 120
        while True:
            try:
                if new_leader():
                    break
            except AssertionError:
                pass  # no leader yet: the managers are electing one
            assert time.monotonic() < deadline, "no new leader after 120s"
            time.sleep(1)
        elected = round(load.elapsed, 1)
        story.run("deploy", "cluster")
    story.figures["manager_lost"] = {**load.figures(), "leader_elected_s": elected}
    print("manager lost:", story.figures["manager_lost"])
    current = story.versions[-1]
    assert _versions(story) == {
        "api": (current, f"{REPLICAS}/{REPLICAS}"),
        "parser": (current, "1/1"),
    }
    assert "n1" not in story.running("api")
    assert not load.failures_begun_after(killed), (killed, load.failures)
    assert story.rows() == story.expected and story.expected["games"] == 10
