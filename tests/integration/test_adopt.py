"""Adopting existing repositories on a real engine: `init --write`, lock, build, test, run.

Each copy gets a unique [tool.dockyard] name (images, compose projects) and host ports
from 18300-18399; the images and networks it made are removed afterwards.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from helpers import FIXTURES, REPO, copy_project, docker, dockyard


def _adopt(tmp: Path, fixture: str, ports: dict[str, str] | None = None) -> Path:
    """A git copy of the fixture, adopted with `init --write`, with a unique name."""
    root = copy_project(FIXTURES / fixture, tmp / fixture)
    out = dockyard(root, "init", "--write").stdout
    assert "done; next: dockyard lock" in out
    path = root / "pyproject.toml"
    document = tomlkit.parse(path.read_text())
    manifest = document["tool"]["dockyard"]
    manifest["name"] = f"adopt-{fixture.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    for app, port in (ports or {}).items():
        manifest["apps"][app]["ports"] = [port]
    path.write_text(tomlkit.dumps(document))
    return root


def _clean_up(root: Path) -> None:
    """Remove the images built and the dev network `dockyard run` leaves behind."""
    subprocess.run(
        ["docker", "compose", "-f", "compose.dev.yaml", "down", "--remove-orphans"],
        cwd=root,
        capture_output=True,
    )
    name = tomlkit.parse((root / "pyproject.toml").read_text())["tool"]["dockyard"]["name"]
    # best effort: cleaning up must not fail a test that passed
    refs = docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
    mine = [ref for ref in refs if ref.startswith(f"{name}/")]
    if mine:
        docker("image", "rm", "--force", *mine, check=False)


def _adopted_and_built(tmp: Path, fixture: str, ports: dict[str, str] | None = None):
    root = _adopt(tmp, fixture, ports)
    try:
        dockyard(root, "lock")
        dockyard(root, "build", "--all")
        yield root
    finally:
        _clean_up(root)


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _up(root: Path) -> list[str]:
    compose = ["docker", "compose", "-f", "compose.yaml"]
    subprocess.run(
        [*compose, "up", "-d", "--wait", "--wait-timeout", "120"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return compose


def _down(root: Path, compose: list[str]) -> None:
    down = [*compose, "down", "--volumes", "--remove-orphans"]
    subprocess.run(down, cwd=root, capture_output=True)


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Iterator[Path]:
    yield from _adopted_and_built(tmp_path_factory.mktemp("adopt"), "seed", {"api": "18300:8000"})


def test_seed_layout_becomes_a_workspace(seed: Path) -> None:
    for name in ("Dockerfile", "requirements_base.txt", "requirements_parser.txt"):
        assert (seed / f"{name}.dockyard-backup").is_file()
    assert "FROM python:latest" not in (seed / "Dockerfile").read_text()  # generated anew
    lint = subprocess.run(
        [str(REPO / ".venv/bin/hadolint"), "Dockerfile"], cwd=seed, capture_output=True, text=True
    )
    assert (lint.returncode, lint.stdout) == (0, "")
    dockyard(seed, "generate", "--check")  # the converted project is stable
    assert (seed / "uv.lock").is_file()
    lock = (seed / "uv.lock").read_text()
    for package in ("sqlalchemy", "python-dateutil", "fastapi", "tabulate", "python-dotenv"):
        assert f'name = "{package}"' in lock


def test_seed_tests_pass_in_dev_containers(seed: Path) -> None:
    proc = dockyard(seed, "test")
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary == (
        "tests passed for: lol-data, lol-data-api, lol-data-parser, lol-data-scripts"
    )


def test_seed_prod_apps_start(seed: Path) -> None:
    compose = _up(seed)
    try:
        assert _get("http://127.0.0.1:18300/health") == {"status": "ok", "games": 0}
        deadline = time.monotonic() + 30
        logs = ""
        while "parsed 0 new match(es)" not in logs and time.monotonic() < deadline:
            time.sleep(1)
            logs = subprocess.run(
                [*compose, "logs", "parser"], cwd=seed, capture_output=True, text=True
            ).stdout
        assert "parsed 0 new match(es)" in logs
        state = subprocess.run(
            [*compose, "ps", "--format", "{{.Service}} {{.State}}"],
            cwd=seed,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        assert "parser running" in state and "api running" in state
    finally:
        _down(seed, compose)


@pytest.fixture(scope="module")
def fastapi_app(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("adopt")
    yield from _adopted_and_built(tmp, "fastapi_app", {"notes-api": "18301:8000"})


def test_fastapi_app_tests_run_and_serves(fastapi_app: Path) -> None:
    assert dockyard(fastapi_app, "test").stderr.strip().endswith("tests passed for: notes-api")
    code = "import notes_api; print(notes_api.__version__)"
    out = dockyard(fastapi_app, "run", "notes-api", "--", "python", "-c", code).stdout
    assert out.strip().splitlines()[-1] == "1.4.0"
    compose = _up(fastapi_app)
    try:
        assert _get("http://127.0.0.1:18301/healthz") == {"ok": True, "notes": 0}
    finally:
        _down(fastapi_app, compose)


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Iterator[Path]:
    yield from _adopted_and_built(tmp_path_factory.mktemp("adopt"), "cli_app")


def test_cli_app_tests_and_runs(cli_app: Path) -> None:
    assert dockyard(cli_app, "test").stderr.strip().endswith("tests passed for: matchstats")
    matches = cli_app / "matches"
    matches.mkdir()
    match = {"players": [{"champion": "Azir", "kills": 7}, {"champion": "Graves", "kills": 2}]}
    (matches / "m.json").write_text(json.dumps(match))
    out = dockyard(cli_app, "run", "matchstats", "--", "matchstats", "/workspace/matches").stdout
    assert out.strip().splitlines()[-2:] == ["Azir\t7", "Graves\t2"]
    name = tomlkit.parse((cli_app / "pyproject.toml").read_text())["tool"]["dockyard"]["name"]
    prod = docker("run", "--rm", f"{name}/matchstats:0.3.1", "matchstats", "--help").stdout
    assert "Print the champions with the most kills" in prod


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Iterator[Path]:
    yield from _adopted_and_built(tmp_path_factory.mktemp("adopt"), "uv_workspace")


def test_workspace_apps_get_images_libraries_do_not(workspace: Path) -> None:
    name = tomlkit.parse((workspace / "pyproject.toml").read_text())["tool"]["dockyard"]["name"]
    refs = docker("images", "--format", "{{.Repository}}").stdout.split()
    built = sorted({r for r in refs if r.startswith(f"{name}/")})
    assert built == [f"{name}/web", f"{name}/worker"]
    out = docker("run", "--rm", f"{name}/worker:0.5.0").stdout.splitlines()
    assert sorted(line.split()[0] for line in out) == ["caps", "chovy", "faker"]
    summary = dockyard(workspace, "test").stderr.strip().splitlines()[-1]
    assert summary == "tests passed for: ranking, ladder-web"
