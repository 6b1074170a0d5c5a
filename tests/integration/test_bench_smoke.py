"""The benchmark harness end to end, once, on a tiny subset (dockyard, the api app).

Real engine, real BuildKit, a real loopback registry; checks the harness measures
every scenario, writes both outputs and leaves none of its images behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, docker

REGISTRY = "127.0.0.1:18251"  # this test's own registry (the bench's is 18250)


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
            "api",
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
    assert run["unique_bytes"] == run["sizes"]["api"]["compressed"] > 1_000_000
    # The first push carries the app's own layers; a library edit only its small top layer.
    assert 0 < run["push_lib_edit"] < 1_000_000 < run["push_first"]
    text = out_md.read_text()
    assert "| Cold build of all prod images |" in text
    assert "not measured yet (needs dockyard deploy)" in text
    left = docker(
        "image",
        "ls",
        "--filter",
        f"reference=bench-dockyard-{run['nonce']}/*",
        "--format",
        "{{.Repository}}",
    ).stdout
    assert left.strip() == ""
