"""A first deploy on an empty server (the local engine, no ssh) whose proxy cannot start,
because another program holds the port it publishes. The proxy starts while the app's
first container comes up (compose.roll), so the failure surfaces when the app would be
routed: the deploy fails in one line that names the proxy and the port, leaves nothing
of the project running and no proxy container, and the same deploy goes through once
the port is free. Real engine, real registry on 127.0.0.1:5000, real Caddy.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.request
import uuid

import pytest
from deploystory import remove_proxy

from helpers import FIXTURES, REPO, copy_project, docker, dockyard, rewrite_manifest

REGISTRY = "127.0.0.1:5000"
TARGET = """
[tool.dockyard.deploy.t]
apps = ["web"]
directory = "{directory}"
health-timeout = "600s"

[tool.dockyard.deploy.t.app.web]
ports = ["127.0.0.1:{port}:8080"]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    """The mini fixture's web app, built and pushed, with a local target on a free port;
    its own proxy (DOCKYARD_PROXY), removed with everything else afterwards."""
    subprocess.run([str(REPO / "scripts/ensure-registry.sh")], capture_output=True, check=True)
    name = f"dy-first-{uuid.uuid4().hex[:6]}"
    directory = tmp_path_factory.mktemp("server") / "srv"
    root = copy_project(FIXTURES / "mini", tmp_path_factory.mktemp("first") / "mini")
    rewrite_manifest(
        root,
        '[tool.dockyard]\nname = "mini"',
        f'[tool.dockyard]\nname = "{name}"\nregistry = "{REGISTRY}/{name}"',
    )
    port = _free_port()
    with (root / "pyproject.toml").open("a") as manifest:
        manifest.write(TARGET.format(directory=directory, port=port))
    dockyard(root, "lock")
    dockyard(root, "build", "web")
    dockyard(root, "push", "web")
    env = {**os.environ, "DOCKYARD_PROXY": f"{name}-proxy"}
    try:
        yield root, name, port, env
    finally:
        subprocess.run(
            ["docker", "compose", "-p", f"{name}-t", "down", "--volumes", "--remove-orphans"],
            capture_output=True, check=False,
        )  # fmt: skip
        docker("rm", "--force", f"{name}-t-dockyard-lock", check=False)
        remove_proxy(f"{name}-proxy")
        tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        mine = [t for t in tags if t.startswith((f"{REGISTRY}/{name}/", f"{name}/"))]
        if mine:
            docker("image", "rm", *mine, check=False)


def _project_containers(name: str) -> list[str]:
    label = f"label=com.docker.compose.project={name}-t"
    return docker("ps", "-aq", "--filter", label).stdout.split()


def test_a_proxy_that_cannot_start_fails_the_first_deploy_cleanly(mini) -> None:
    root, name, port, env = mini
    with socket.socket() as busy:  # another program holds the port the proxy publishes
        busy.bind(("127.0.0.1", port))
        busy.listen()
        proc = dockyard(root, "deploy", "t", check=False, env=env)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert f"could not start the proxy {name}-proxy" in last, proc.stderr
    assert f"127.0.0.1:{port}:{port}" in last and "no earlier release" in last, last
    assert "Traceback" not in proc.stderr
    assert _project_containers(name) == [], "a failed first deploy leaves no container"
    assert docker("ps", "-aq", "--filter", f"name=^{name}-proxy$").stdout.strip() == ""


def test_the_same_first_deploy_goes_through_once_the_port_is_free(mini) -> None:
    root, name, port, env = mini
    proc = dockyard(root, "deploy", "t", env=env)
    assert f"starting the proxy {name}-proxy" in proc.stderr
    assert "release 1" in proc.stderr and "is live" in proc.stderr
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        assert response.status == 200
    web = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={name}-t").stdout
    ports = json.loads(docker("inspect", web.split()[0]).stdout)[0]["NetworkSettings"]["Ports"]
    assert not any(ports.values()), "the app publishes nothing: the proxy owns the port"
