"""Integration fixtures: a REAL Docker engine, BuildKit and Compose. Nothing is mocked.

`make test` provisions the engine and the base image before pytest starts; a
missing engine here is a failure, never a skip.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from deploystory import SSH_PORT

from helpers import FIXTURES, REPO, copy_project, docker, dockyard


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


def _script(name: str, *args: str) -> str:
    proc = subprocess.run(
        [str(REPO / "scripts" / name), *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def ssh_env(engine: str) -> dict[str, str]:
    """PATH with the test sshd's `ssh` wrapper first (its key, its known_hosts): the deploy
    stories reach their server over it (test_deploy, test_deploy_compose, test_swarm)."""
    _script("ensure-registry.sh", "127.0.0.1:5000")
    ssh_dir = _script("ensure-sshd.sh", str(SSH_PORT))
    return {**os.environ, "PATH": f"{ssh_dir}/bin:{os.environ['PATH']}"}
