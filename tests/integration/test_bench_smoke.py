"""The benchmark harness end to end, once, on a small subset (dockyard; parser and api,
the two apps the deploy scenarios run).

Real engine, real BuildKit, a real loopback registry; checks the harness measures
every scenario (the deploys on a compose target; Swarm is test_swarm.py's), writes both
outputs and leaves none of its images, containers, volumes or nonce build cache behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO, docker, free_port

# this test's own registry (the bench's is 18250) and the deployed api's port
REGISTRY = os.environ.get("BENCH_SMOKE_REGISTRY", "127.0.0.1:18251")
DEPLOY_PORT = str(free_port(18482))


def _left(kind: str, label: str) -> str:
    """IDs of containers (also stopped ones) or volumes with ``label`` still there."""
    args = ("ps", "-aq") if kind == "container" else ("volume", "ls", "-q")
    return docker(*args, "--filter", label).stdout.strip()


def test_bench_runs_every_scenario_on_a_subset(tmp_path: Path, base_image: str) -> None:
    registry = subprocess.run(
        [str(REPO / "scripts" / "ensure-registry.sh"), REGISTRY],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out_json, out_md = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--reps",
            "1",
            "--variants",
            "dockyard",
            "--apps",
            "parser,api",
            "--deploy",
            "compose",
            "--deploy-port",
            DEPLOY_PORT,
            "--registry",
            registry,
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(out_json),
            "--markdown",
            str(out_md),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKYARD_BASE_IMAGE": base_image},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(out_json.read_text())
    run = data["runs"]["dockyard"][0]
    for scenario in ("cold", "noop", "lib_edit", "app_edit", "add_dep"):
        assert run[scenario] > 0, scenario
    assert run["noop"] < run["cold"]
    sizes = [run["sizes"][app]["compressed"] for app in ("parser", "api")]
    assert max(sizes) < run["unique_bytes"] < sum(sizes)  # shared layers count once
    # The first push carries the app's own layers; a library edit only its small top layer.
    assert 0 < run["push_lib_edit"] < 1_000_000 < run["push_first"]
    text = out_md.read_text()
    assert "| Cold build of all prod images |" in text
    # Deployed, updated twice (1 client, 8 clients), healthy each time; the loads ran
    # through the updates; a broken release twice, refused, the one before kept.
    assert run["deploy_first"] > 0 and run["deploy_good_seq"] > 0 and run["deploy_good_conc"] > 0
    for step in ("good_seq", "good_conc", "broken_seq", "broken_conc"):
        assert 0 <= run[f"deploy_{step}_failed"] <= run[f"deploy_{step}_requests"], step
        assert run[f"deploy_{step}_requests"] >= 25, step  # at least a second of load
    assert 0 < run["deploy_good_seq_serving"] < run["deploy_good_seq"]
    assert run["deploy_broken_seq_exit"] == 2 and run["deploy_broken_seq_kept"] == 1
    assert "swarm_first" not in run  # --deploy compose
    # Container start: the images side by side with the same images flattened, and the
    # first deploy until healthy; that phase's images and compose projects went again.
    assert run["start"] > 0 and run["start_flat"] > 0 and run["first_healthy"] > 0
    assert set(run["start_apps"]) == {"parser", "api"}
    assert run["pyc_bytes"] > 0
    phase = run["start_nonce"]
    healthy = f"label=com.docker.compose.project=bench-healthy-dockyard-{phase}-0"
    assert _left("container", healthy) == "" and _left("volume", healthy) == ""
    assert "| Container start of the same dockyard images flattened" in text
    row = next(line for line in text.splitlines() if line.startswith("| Good update, 1 client"))
    assert f"| {run['deploy_good_seq_failed']} of {run['deploy_good_seq_requests']}" in row
    project = f"label=com.docker.compose.project=bench-deploy-{run['nonce']}-single"
    assert _left("container", project) == "" and _left("volume", project) == ""
    for nonce in (run["nonce"], phase):
        left = docker(
            "image",
            "ls",
            "--filter",
            f"reference=bench-dockyard-{nonce}/*",
            "--format",
            "{{.Repository}}",
        ).stdout
        assert left.strip() == "", nonce
    # Its build cache went too: the nonce layer's record, which BuildKit removes only
    # after every record above it (bench/buildcache.py).
    assert f"dockyard rep {run['nonce']}: pruned " in proc.stderr
    listing = docker("buildx", "du", "--verbose").stdout
    assert f"echo {run['nonce']} > /etc/dockyard-bench-nonce" not in listing
