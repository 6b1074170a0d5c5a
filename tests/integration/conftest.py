"""Integration fixtures: a REAL Docker engine, BuildKit and Compose. Nothing is mocked.

`make test` provisions the engine and the base image before pytest starts; a
missing engine here is a failure, never a skip.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# test_deploy.py and test_swarm.py still import these from here
from helpers import FIXTURES, REPO, copy_project, docker, dockyard  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder needs the engine: mark it, so `-m "not integration"` works."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


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
