"""Swarm deploys on a real single-node swarm, reached over ssh like any server, and the
zero-downtime figure: a bounded client loop (20 requests/s, at most 60 s) on loopback
during an update of the API on Swarm (must see no failure) and on plain Compose (may).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from deploystory import (
    API_PROBE,
    FAST_PROBE,
    HOST,
    PARSER_PROBE,
    REGISTRY,
    Story,
    remove_proxy,
    rewrite,
    ssh,
)

from helpers import REPO, copy_project, docker, dockyard

SWARM_PORT = 18081
COMPOSE_PORT = 18082
FIGURES = REPO / ".work" / "zero-downtime.json"
SERVING = "parser, api: every task runs the new release now"  # dockyard's note

TARGETS = """
[tool.dockyard.deploy.swarm]
kind = "swarm"
routing = "gateway"  # this kernel has no IPVS for Swarm's routing mesh
host = "{host}"
apps = ["parser", "api"]
directory = "{directory}/swarm"
health-timeout = "120s"

[tool.dockyard.deploy.swarm.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]

[tool.dockyard.deploy.swarm.app.api]
ports = ["127.0.0.1:{swarm_port}:8000"]
replicas = 2

[tool.dockyard.deploy.single]
host = "{host}"
apps = ["parser", "api"]
directory = "{directory}/single"
health-timeout = "120s"

[tool.dockyard.deploy.single.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]

[tool.dockyard.deploy.single.app.api]
ports = ["127.0.0.1:{compose_port}:8000"]
"""


class Loop:
    """~20 requests/s to url until stopped (at most 60 s): counts requests and failures."""

    def __init__(self, url: str) -> None:
        self.url, self.requests, self.failures = url, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            self.requests += 1
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    ok = response.status == 200
            except OSError:
                ok = False
            self.failures += 0 if ok else 1
            time.sleep(max(0.0, 0.05 - (time.monotonic() - started)))

    def __enter__(self) -> Loop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _games(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        return json.load(response)["games"]


@pytest.fixture(scope="module")
def swarm(engine: str) -> str:
    state = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
    created = state != "active"
    if created:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    yield "created" if created else "existing"
    if created:
        docker("swarm", "leave", "--force")


@pytest.fixture(scope="module")
def story(tmp_path_factory, base_image: str, ssh_env: dict, swarm: str):
    name = f"dks{uuid.uuid4().hex[:6]}"
    directory = f"/var/tmp/dockyard-swarm-{name}"
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("swarm") / "lol")
    manifest = root / "pyproject.toml"
    rewrite(manifest, 'name = "lol-data" ', f'name = "{name}"\nregistry = "{REGISTRY}/{name}" ')
    rewrite(manifest, PARSER_PROBE, PARSER_PROBE.replace(" }", FAST_PROBE))
    rewrite(manifest, API_PROBE, API_PROBE.replace(" }", ', interval = "2s" }'))
    with manifest.open("a") as handle:
        handle.write(
            TARGETS.format(
                host=HOST, directory=directory, swarm_port=SWARM_PORT, compose_port=COMPOSE_PORT
            )
        )
    dockyard(root, "lock")
    # the single target's proxy: this run's own (one per server in real use)
    result = Story(root, {**ssh_env, "DOCKYARD_PROXY": f"{name}-proxy"}, name, directory)
    try:
        yield result
    finally:
        remote = {**ssh_env, "DOCKER_HOST": HOST}
        subprocess.run(["docker", "stack", "rm", f"{name}-swarm"], env=remote, check=False)
        subprocess.run(
            ["docker", "compose", "-p", f"{name}-single", "down", "--volumes"],
            env=remote, capture_output=True, check=False,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        label = f"label=com.docker.stack.namespace={name}-swarm"
        while docker("ps", "-aq", "--filter", label).stdout.strip():
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        docker("volume", "rm", f"{name}-swarm_db", check=False)
        remove_proxy(f"{name}-proxy")
        ssh(ssh_env, f"rm -rf {directory}")
        tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        mine = [t for t in tags if f"/{name}/" in t]
        if mine:
            docker("image", "rm", *mine, check=False)


def _ingest(story: Story, target: str, port: int) -> None:
    for match in sorted((story.root / "data/matches").glob("*.json"))[:5]:
        path = f"{story.directory}/{target}/incoming/{match.name}"
        ssh(story.env, f"cat > {path}.part && mv {path}.part {path}", match.read_bytes())
    deadline = time.monotonic() + 60
    while _games(port) < 5 and time.monotonic() < deadline:
        time.sleep(1)
    assert _games(port) == 5


def _stack_versions(story: Story) -> dict[str, tuple[str, str]]:
    out = story.run("status", "swarm").stdout.splitlines()
    rows = [line.split() for line in out[2:] if line and not line.startswith("release")]
    return {row[0]: (row[2], row[3]) for row in rows}


def test_first_stack_deploy(story: Story) -> None:
    story.versions.append(story.release("first"))
    proc = story.run("deploy", "swarm")
    assert "is live on 'swarm' (swarm)" in proc.stderr
    rows = _stack_versions(story)
    assert rows["api"] == (story.versions[0], "2/2")
    assert rows["parser"] == (story.versions[0], "1/1")
    assert rows["api-gateway"][1] == "1/1"
    stack = ssh(story.env, f"cat {story.directory}/swarm/compose.yaml")
    assert "order: start-first" in stack and "failure_action: rollback" in stack
    story.run("deploy", "single")
    _ingest(story, "swarm", SWARM_PORT)
    _ingest(story, "single", COMPOSE_PORT)


def test_rolling_update_loses_no_request_on_swarm_but_some_on_compose(story: Story) -> None:
    app = story.root / "packages/lol_data_api/src/lol_data_api/app.py"
    app.write_text(app.read_text() + "\n# version 2\n")
    story.versions.append(story.release("second"))
    with Loop(f"http://127.0.0.1:{SWARM_PORT}/health") as on_swarm:
        proc = story.run("deploy", "swarm")
    with Loop(f"http://127.0.0.1:{COMPOSE_PORT}/health") as on_compose:
        story.run("deploy", "single")
    figures = {
        "swarm": {"requests": on_swarm.requests, "failures": on_swarm.failures},
        "compose": {"requests": on_compose.requests, "failures": on_compose.failures},
    }
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    print("zero-downtime figures:", figures)
    assert on_swarm.requests >= 100  # the loop really ran through the update
    assert on_swarm.failures == 0
    assert _stack_versions(story)["api"][0] == story.versions[1]
    # the moment the new release serves is said before Swarm's verdict, which waits for
    # the last task's monitor window
    lines = proc.stderr.splitlines()
    serving = [i for i, line in enumerate(lines) if SERVING in line]
    live = [i for i, line in enumerate(lines) if "is live on 'swarm'" in line]
    assert len(serving) == 1 and live and serving[0] < live[0], proc.stderr
    assert _games(SWARM_PORT) == 5 and _games(COMPOSE_PORT) == 5


def test_broken_version_is_rolled_back_by_swarm(story: Story) -> None:
    manifest = story.root / "pyproject.toml"
    rewrite(
        manifest,
        API_PROBE.replace(" }", ', interval = "2s" }'),
        '{ command = ["false"], interval = "2s", retries = 2, start-period = "1s" }',
    )
    story.versions.append(story.release("broken"))
    with Loop(f"http://127.0.0.1:{SWARM_PORT}/health") as loop:
        proc = story.run("deploy", "swarm", check=False)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert "Swarm rolled back by itself to release 2" in last, last
    assert SERVING not in proc.stderr  # the broken api never ran
    assert loop.failures == 0
    assert _stack_versions(story)["api"] == (story.versions[1], "2/2")
    assert _games(SWARM_PORT) == 5


def test_rollback_command_on_swarm(story: Story) -> None:
    story.run("rollback", "swarm")
    assert _stack_versions(story)["api"] == (story.versions[0], "2/2")
    assert _games(SWARM_PORT) == 5
    logs = story.run("logs", "swarm", "parser", "--tail", "5")
    assert "lol_data_parser" in logs.stdout + logs.stderr  # the service's own streams
