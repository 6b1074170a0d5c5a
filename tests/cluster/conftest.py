"""Fixtures of the cluster tests: one swarm of nested engines for the whole run.

`make test-cluster` (part of `make test`) provides the engine, the base image and
Debian's docker-registry first; anything missing here is a failure, never a skip.
The cluster is removed by the fixture's finalizer whatever happened in the tests.
"""

from __future__ import annotations

import os
import subprocess
import uuid
import warnings

import pytest
from harness import Cluster

NODES = 4


@pytest.fixture(scope="session")
def base_image() -> str:
    image = os.environ.get("DOCKYARD_BASE_IMAGE")
    inspect = subprocess.run(["docker", "image", "inspect", image or "-"], capture_output=True)
    if not image or inspect.returncode != 0:
        pytest.fail(
            "DOCKYARD_BASE_IMAGE must name a base image on the engine; `make test-cluster` "
            "sets it (scripts/ensure-base.sh)",
            pytrace=False,
        )
    return image


@pytest.fixture(scope="session")
def cluster(base_image: str):
    """Nodes n1..n4 joined into one swarm: n1 its manager, the others workers."""
    cluster = Cluster(f"dkc{uuid.uuid4().hex[:6]}", base_image, size=NODES)
    try:
        cluster.up()
        cluster.form_swarm()
        yield cluster
    finally:
        left = cluster.down()
        if left:
            warnings.warn(f"{cluster.run}: could not remove {', '.join(left)}", stacklevel=1)
