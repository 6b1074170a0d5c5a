"""Integration fixtures: a REAL Docker engine, BuildKit and Compose. Nothing is mocked.

`make test` provisions the engine and the base image before pytest starts; a
missing engine here is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
IGNORE = shutil.ignore_patterns(".venv", "__pycache__", ".pytest_cache", "*.db")


def dockyard(root: Path, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run the real CLI (the installed entry point) in ``root``."""
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        cwd=root,
        capture_output=True,
        text=True,
        **kw,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dockyard {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.stderr}")
    return proc


def inspect(ref: str) -> dict:
    return json.loads(docker("image", "inspect", ref).stdout)[0]


def layers(ref: str) -> list[str]:
    return inspect(ref)["RootFS"]["Layers"]


def copy_project(source: Path, target: Path) -> Path:
    """A copy of a project in a fresh git repository (revisions tag the images)."""
    shutil.copytree(source, target, ignore=IGNORE)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
        cwd=target,
        check=True,
    )
    return target


@pytest.fixture(scope="session", autouse=True)
def engine() -> str:
    proc = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.fail(
            "no Docker engine answers: run the suite with `make test`, which starts one "
            f"({proc.stderr.strip()})",
            pytrace=False,
        )
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def base_image(engine: str) -> str:
    image = os.environ.get("DOCKYARD_BASE_IMAGE")
    if not image or docker("image", "inspect", image, check=False).returncode != 0:
        pytest.fail(
            "DOCKYARD_BASE_IMAGE must name a base image on the engine; `make test` "
            "sets it (scripts/ensure-base.sh)",
            pytrace=False,
        )
    return image


@pytest.fixture(scope="session")
def mini_built(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Path:
    """The mini workspace, locked, generated and built (prod and dev)."""
    root = copy_project(FIXTURES / "mini", tmp_path_factory.mktemp("mini") / "mini")
    dockyard(root, "lock")
    dockyard(root, "build", "--all")
    return root
