"""The bundled example end to end: lock, build, each member's tests, the prod stack."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO, copy_project, docker, dockyard, inspect, layers

API = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Path:
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("ex") / "lol_data")
    dockyard(root, "lock")
    dockyard(root, "build", "--all")
    return root


def test_generated_dockerfile_passes_hadolint(example: Path) -> None:
    text = (example / "Dockerfile").read_text()
    assert "# syntax=" not in text
    assert "/usr/local/bin/python" not in text
    proc = subprocess.run(
        [str(REPO / ".venv/bin/hadolint"), "Dockerfile"],
        cwd=example,
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stdout) == (0, "")


def test_every_member_passes_its_tests_in_a_dev_container(example: Path) -> None:
    proc = dockyard(example, "test")
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("tests passed for:")
    for member in (
        "lol-data",
        "lol-data-parser",
        "lol-data-api",
        "lol-data-scripts",
        "lol-data-bot",
    ):
        assert member in summary
    assert "no tests ran" not in proc.stdout


def test_a_failing_test_fails_dockyard_test(example: Path) -> None:
    broken = example / "packages/lol_data/tests/test_zz_broken.py"
    broken.write_text("def test_broken():\n    assert 1 == 2\n")
    try:
        proc = dockyard(example, "test", "lol-data", check=False)
    finally:
        broken.unlink()
    assert proc.returncode == 1
    assert "tests failed for: lol-data" in proc.stderr


def _get(path: str):
    with urllib.request.urlopen(API + path, timeout=10) as response:
        return json.load(response)


def test_prod_stack_ingests_and_serves(example: Path) -> None:
    compose = ["docker", "compose", "-f", "compose.yaml"]
    try:
        subprocess.run(
            [*compose, "up", "-d", "--wait", "--wait-timeout", "180"],
            cwd=example,
            check=True,
            capture_output=True,
        )
        samples = len(list((example / "data/matches").glob("*.json")))
        deadline = time.monotonic() + 60
        while _get("/health")["games"] < samples and time.monotonic() < deadline:
            time.sleep(1)
        assert _get("/health") == {"status": "ok", "games": samples}
        players = _get("/players")
        assert players
        assert {r["role"] for r in _get("/roles")} == {"top", "jungle", "mid", "bot", "support"}
        # prod containers run as the non-root app user
        ps = subprocess.run(
            [*compose, "ps", "-q", "api"], cwd=example, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert docker("exec", ps, "id", "-u").stdout.strip() == "10001"
    finally:
        subprocess.run(
            [*compose, "down", "--volumes", "--remove-orphans"], cwd=example, capture_output=True
        )
    assert not subprocess.run(
        [*compose, "ps", "-aq"], cwd=example, capture_output=True, text=True
    ).stdout.strip()


def test_scripts_image_is_an_environment(example: Path) -> None:
    config = inspect("lol-data/scripts:0.1.0")["Config"]
    assert config["User"] == "10001:10001"
    out = docker(
        "run",
        "--rm",
        "lol-data/scripts:0.1.0",
        "python",
        "-c",
        "import pandas, jupyterlab, lol_data_scripts; print('ok')",
    )
    assert out.stdout.strip() == "ok"


def test_bot_without_token_says_so(example: Path) -> None:
    proc = docker("run", "--rm", "lol-data/bot:0.1.0", check=False)
    assert proc.returncode == 2
    assert "DISCORD_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_apps_share_the_layers_of_what_they_share(example: Path, base_image: str) -> None:
    """Every app image starts from the same venv layer, then copies its heavy packages
    (numpy once for parser and scripts), its groups (deps-common in all four, sqlalchemy
    once for parser, api and scripts), its own packages, and the first-party code (the
    shared library's once for the three apps that use it): one blob wherever it is."""
    n = len(layers(base_image)) + 3  # base, the user layer, WORKDIR /app, the venv
    parser, api, scripts, bot = (
        layers(f"lol-data/{app}:0.1.0") for app in ("parser", "api", "scripts", "bot")
    )
    assert parser[:n] == api[:n] == scripts[:n] == bot[:n]
    assert parser[n] == scripts[n]  # heavy.numpy, then parser: heavy.scikit-learn, .scipy;
    # scripts: heavy.babel, .jupyterlab, .pandas
    assert parser[n + 3] == api[n] == scripts[n + 4] == bot[n]  # deps-common
    assert parser[n + 4] == api[n + 1] == scripts[n + 5] != bot[n + 1]  # deps.parser.api.scripts
    own = {parser[n + 5], scripts[n + 6], api[n + 2], bot[n + 1]}  # deps-<app>
    assert len(own) == 4
    # then the first-party code: the library's layer, the same blob in parser, api and
    # scripts, then the app's own, then the app's writable dirs
    assert len(parser) == n + 9
    assert parser[n + 6] == api[n + 3] == scripts[n + 7]  # code-lol-data
    assert len({parser[n + 7], api[n + 4], scripts[n + 8], bot[n + 2]}) == 4
    requirements = example / ".dockyard/requirements"
    common = (requirements / "common.txt").read_text()
    assert "pydantic==" in common and "sqlalchemy" not in common.lower()
    assert "numpy==" in (requirements / "heavy.numpy.txt").read_text()
    assert "scipy==" in (requirements / "heavy.scipy.txt").read_text()
    assert "sqlalchemy==" in (requirements / "deps.parser.api.scripts.txt").read_text()


def test_prod_images_are_reproducible(example: Path) -> None:
    """Two builds with no build cache give bit-identical images, equal to `dockyard build`'s."""
    dockyard(example, "build")
    proc = dockyard(example, "verify", "--json")
    results = json.loads(proc.stdout)
    assert {r["app"] for r in results} == {"parser", "api", "scripts", "bot"}
    for r in results:
        assert r["identical"], r
        assert r["matches_built_image"], r


def test_tests_run_while_the_apps_host_port_is_taken(example: Path) -> None:
    """The bot's tests start a live API; a running stack on :8000 must not get in the way."""
    import socket

    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("0.0.0.0", 8000))
        holder.listen()
        proc = dockyard(example, "test", "bot", check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.strip().endswith("tests passed for: lol-data-bot")
