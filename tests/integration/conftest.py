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


# Tool images the suite builds once and the next run (and `make demo`) uses again.
KEPT_PREFIXES = ("dockyard/", "dockyard-")


def _image_names() -> set[str]:
    """repository:tag of every named image, repository@digest of one pulled by digest only
    (a deploy's proxy image), and the ID of every unnamed (dangling) one."""
    listed = docker(
        "images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}", check=False
    )
    names = set()
    for repository, tag, digest in (line.split() for line in listed.stdout.splitlines()):
        if repository == "<none>":
            continue
        if tag != "<none>":
            names.add(f"{repository}:{tag}")
        elif digest != "<none>":
            names.add(f"{repository}@{digest}")
    dangling = docker("images", "--quiet", "--no-trunc", "--filter", "dangling=true", check=False)
    return names | set(dangling.stdout.split())


@pytest.fixture(scope="session", autouse=True)
def leave_no_images(engine: str):
    """Remove the image names this session made, and the images its rebuilds left unnamed.

    Every run tags new revisions (`mini/web:0.2.0-<commit>-dirty`) and rebuilds leave the
    old images dangling: an engine the suite runs on again and again would keep them all.
    What existed before the session stays, and so do the tool images. `docker rmi` without
    --force: an image a container still uses is left alone.
    """
    before = _image_names()
    yield
    made = sorted(n for n in _image_names() - before if not n.startswith(KEPT_PREFIXES))
    for start in range(0, len(made), 50):
        docker("rmi", *made[start : start + 50], check=False)
    dangling = docker("images", "--quiet", "--no-trunc", "--filter", "dangling=true", check=False)
    left = sorted(set(dangling.stdout.split()) - before)  # unnamed by the removals above
    if left:
        docker("rmi", *left, check=False)


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
