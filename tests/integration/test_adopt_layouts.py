"""Repositories laid out the way people lay them out, adopted on a real engine.

One fixture per kind of layout `dockyard init` used to get wrong (issue 17): each goes
`init --write` -> `lock` -> `build --all` -> `test` -> its prod image started and talked
to (HTTP apps answer, CLI apps print). One build per fixture, shared by its tests.
Unique [tool.dockyard] names; host ports 18340-18349; images removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from dockyard import importcheck
from helpers import FIXTURES, REPO, copy_project, docker, dockyard


def _manifest(root: Path) -> dict:
    return tomlkit.parse((root / "pyproject.toml").read_text())["tool"]["dockyard"]


def _adopt(
    tmp: Path, fixture: str, ports: dict[str, str] | None = None, **env: str
) -> tuple[Path, str]:
    """A git copy of the fixture adopted with `init --write` (report returned), renamed."""
    root = copy_project(FIXTURES / fixture, tmp / fixture)
    report = dockyard(root, "init", "--write", env={**os.environ, **env}).stdout
    assert "done; next: dockyard lock" in report
    path = root / "pyproject.toml"
    document = tomlkit.parse(path.read_text())
    for app, port in (ports or {}).items():
        document["tool"]["dockyard"]["apps"][app]["ports"] = [port]
    document["tool"]["dockyard"]["name"] = (
        f"adopt-{fixture.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    )
    path.write_text(tomlkit.dumps(document))
    return root, report


def _clean_up(root: Path) -> None:
    name = _manifest(root)["name"]
    refs = docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
    mine = [ref for ref in refs if ref.startswith(f"{name}/")]
    if mine:
        docker("image", "rm", "--force", *mine, check=False)


def _built(
    tmp: Path, fixture: str, ports: dict[str, str] | None = None
) -> Iterator[tuple[Path, str]]:
    root, report = _adopt(tmp, fixture, ports)
    try:
        dockyard(root, "lock")
        dockyard(root, "build", "--all")
        yield root, report
    finally:
        _clean_up(root)


def _image(root: Path, app: str) -> str:
    manifest = _manifest(root)
    member = manifest["apps"][app]["member"]
    version = next(
        tomlkit.parse(p.read_text())["project"]["version"]
        for p in [
            root / "pyproject.toml",
            *root.glob("*/pyproject.toml"),
            *root.glob("*/*/pyproject.toml"),
        ]
        if tomlkit.parse(p.read_text()).get("project", {}).get("name") == member
    )
    return f"{manifest['name']}/{app}:{version}"


def _serve(root: Path, app: str, port: int, path: str) -> dict:
    """Start the app's prod container (compose.yaml, as deployed), return ``path``'s JSON."""
    compose = ["docker", "compose", "-f", "compose.yaml"]
    up = [*compose, "up", "-d", "--wait", "--wait-timeout", "120", app]
    subprocess.run(up, cwd=root, check=True, capture_output=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    return json.load(r)
            except OSError:
                if time.monotonic() > deadline:
                    logs = subprocess.run([*compose, "logs"], cwd=root, capture_output=True)
                    raise AssertionError(f"{app} never answered:\n{logs.stdout}") from None
                time.sleep(0.5)
    finally:
        down = [*compose, "down", "--volumes", "--remove-orphans"]
        subprocess.run(down, cwd=root, capture_output=True)


def _tests_passed(root: Path) -> str:
    return dockyard(root, "test").stderr.strip().splitlines()[-1]


# --- 1. a dev Dockerfile: `uv run fastapi dev` ------------------------------------------


@pytest.fixture(scope="module")
def dev_command_app(tmp_path_factory, base_image: str) -> Iterator[tuple[Path, str]]:
    yield from _built(tmp_path_factory.mktemp("adopt"), "dev_command_app", {"quotes": "18340:8000"})


def test_dev_dockerfile_gives_a_prod_command_and_a_dev_command(dev_command_app) -> None:
    root, report = dev_command_app
    app = _manifest(root)["apps"]["quotes"]
    assert app["command"] == ["uvicorn", "quotes.main:app", "--host", "0.0.0.0", "--port", "8000"]
    assert app["dev-command"] == ["fastapi", "dev", "--host", "0.0.0.0", "src/quotes"]
    assert app["environment"] == {"QUOTES_BY": "the-zen"}  # UV_NO_DEV & co. are uv's
    assert "add uvicorn" not in report  # fastapi[standard] brings it
    assert _tests_passed(root) == "tests passed for: quotes"
    answer = _serve(root, "quotes", 18340, "/quote/4")
    assert answer == {"day": 4, "quote": "Readability counts.", "by": "the-zen"}


# --- 2. per-member Dockerfiles -----------------------------------------------------------


@pytest.fixture(scope="module")
def member_dockerfiles(tmp_path_factory, base_image: str) -> Iterator[tuple[Path, str]]:
    yield from _built(
        tmp_path_factory.mktemp("adopt"), "member_dockerfiles", {"board": "18341:8080"}
    )


def test_member_dockerfiles_make_apps(member_dockerfiles) -> None:
    root, report = member_dockerfiles
    apps = _manifest(root)["apps"]
    assert sorted(apps) == ["board", "pinger"]
    assert apps["pinger"]["command"] == ["python", "-m", "pinger.run"]
    assert "ports: 8080:8080" in report  # from board's Dockerfile CMD
    assert "  signals: no console script" in report  # the library, and why
    assert _tests_passed(root) == "tests passed for: signals, board"
    out = docker("run", "--rm", _image(root, "pinger")).stdout.splitlines()
    assert out == ["ping -> pong", "marco -> polo"]
    assert _serve(root, "board", 18341, "/status") == {"ping": "pong"}


# --- 3. a member whose build reaches outside its folder (bricks) --------------------------


@pytest.fixture(scope="module")
def bricks(tmp_path_factory, base_image: str) -> Iterator[tuple[Path, str]]:
    yield from _built(tmp_path_factory.mktemp("adopt"), "bricks")


def test_bricks_outside_the_member_reach_its_wheel(bricks) -> None:
    root, _ = bricks
    dockerfile = (root / "Dockerfile").read_text()
    assert "source=components/acme/greeting,target=/src/components/acme/greeting" in dockerfile
    assert "!bases/acme/greet_cli" in (root / ".dockerignore").read_text()
    lint = subprocess.run(
        [str(REPO / ".venv/bin/hadolint"), "Dockerfile"], cwd=root, capture_output=True, text=True
    )
    assert (lint.returncode, lint.stdout) == (0, "")
    assert _tests_passed(root) == "tests passed for: greeter"
    image = _image(root, "greeter")
    assert docker("run", "--rm", image, "greet", "bricks").stdout == "Hello, bricks!\n"
    # the check `dockyard build` ran after baking, on the same image: a module the
    # wheel lacks is named, one that it holds passes
    assert importcheck._probe(image, "acme.greeting") is None
    assert importcheck._probe(image, "acme.invoices") == "No module named 'acme.invoices'"


# --- 4. tests at the workspace root -------------------------------------------------------


@pytest.fixture(scope="module")
def root_tests(tmp_path_factory, base_image: str) -> Iterator[tuple[Path, str]]:
    yield from _built(tmp_path_factory.mktemp("adopt"), "root_tests")


def test_root_tests_run_in_the_dev_container_of_the_app(root_tests) -> None:
    root, report = root_tests
    assert "tests/ at the root (imports shelf-cli, shelf-core)" in report
    proc = dockyard(root, "test")
    assert "== shelf: python -m pytest in the cli dev container (.) ==" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "tests passed for: shelf"
    out = docker("run", "--rm", _image(root, "cli"), "shelf", "The Hobbit", "dune").stdout
    assert out.splitlines() == ["1. dune", "2. The Hobbit"]


# --- 5. a namespace package with __main__.py, requirements layout -------------------------


@pytest.fixture(scope="module")
def namespace_main(tmp_path_factory, base_image: str) -> Iterator[tuple[Path, str]]:
    yield from _built(tmp_path_factory.mktemp("adopt"), "namespace_main")


def test_namespace_package_becomes_the_app(namespace_main) -> None:
    root, report = namespace_main
    app = _manifest(root)["apps"]["report"]
    assert (app["member"], app["command"]) == ("tally-report", ["python", "-m", "tally_report"])
    assert "requirements_report.txt -> dependencies of tally-report" in report
    assert _tests_passed(root) == "tests passed for: tally, tally-report"
    out = docker(
        "run", "--rm", _image(root, "report"), "python", "-m", "tally_report", "a", "b", "a"
    )
    assert [line.split() for line in out.stdout.splitlines()[2:]] == [["a", "2"], ["b", "1"]]


# --- 6. requires-python above the base's Python -------------------------------------------


@pytest.fixture(scope="module")
def newer_base(engine: str) -> str:
    """The base init should pick for requires-python >= 3.12: the official image when a
    registry serves it, else the one `dockyard base bootstrap --suite trixie` builds."""
    official = "python:3.12-slim-bookworm"
    if docker("buildx", "imagetools", "inspect", official, check=False).returncode == 0:
        return official
    tag = "dockyard/python:3.13-trixie"
    if docker("image", "inspect", tag, check=False).returncode != 0:
        subprocess.run(
            [sys.executable, "-m", "dockyard", "base", "bootstrap", "--suite", "trixie"],
            check=True,
            timeout=900,
        )
    return tag


def test_requires_python_above_the_base(tmp_path: Path, base_image: str, newer_base: str):
    old = "dockyard/python:3.11-bookworm"
    docker("image", "inspect", old)  # what ensure-base.sh built; `make test` sets it up
    root, report = _adopt(tmp_path, "new_python", None, DOCKYARD_BASE_IMAGE=old)
    assert f"base-image {newer_base}" in report
    assert _manifest(root)["base-image"] == newer_base
    try:
        refused = dockyard(
            root, "lock", check=False, env={**os.environ, "DOCKYARD_BASE_IMAGE": old}
        )
        assert refused.returncode == 2
        *progress, line = refused.stderr.strip().splitlines()
        assert line.startswith("dockyard: error: ") and not any("error" in p for p in progress)
        assert not (root / "dockyard.lock").exists()
        assert f"'{old}' has Python 3.11." in line and "requires-python is '>=3.12'" in line
        assert "dockyard base bootstrap --suite trixie" in line
        env = {k: v for k, v in os.environ.items() if k != "DOCKYARD_BASE_IMAGE"}
        dockyard(root, "lock", env=env)
        dockyard(root, "build", "--all", env=env)
        assert dockyard(root, "test", env=env).stderr.strip().splitlines()[-1] == (
            "tests passed for: batches"
        )
        out = docker("run", "--rm", _image(root, "batches"), "batches", "a", "b", "c", "d")
        assert out.stdout.splitlines() == ["a b c", "d"]
    finally:
        _clean_up(root)
