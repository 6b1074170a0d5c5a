"""The proxy's switch itself, many times over under load, on the real dockyard-proxy
(Caddy) and two real app containers: not one request may fail.

A switch used to change Caddy's config through its admin API. Caddy then reloads: it
opens new listening sockets (SO_REUSEPORT) and closes the old ones, and a connection
that arrives at that instant is closed unanswered. One deploy in about twenty lost a
request or two that way under the deploy test's load; 20 switches in a row lost some
every time. Now the upstream is a file Caddy reads at each request, a switch rewrites
it, and Caddy's config stays as it was: this test holds it to that.
"""

from __future__ import annotations

import threading
import time
import urllib.request
import uuid
from collections import Counter
from types import SimpleNamespace

import pytest
from deploystory import remove_proxy

from dockyard.deploy.proxy import Proxy
from dockyard.engine.remote import TargetEngine
from dockyard.render.server import Port
from helpers import docker, free_port

PORT = Port("127.0.0.1", free_port(18295), 8000)
URL = f"http://127.0.0.1:{PORT.published}/"
SWITCHES = 20
CLIENTS = 8


class _Load:
    """CLIENTS clients, each sending its next request as soon as the last is answered,
    until stopped (at most 300 s): counts requests and failures (loopback only)."""

    def __init__(self) -> None:
        self.requests, self.errors = 0, Counter[str]()
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def _run(self) -> None:
        deadline = time.monotonic() + 300
        while not self._stop.is_set() and time.monotonic() < deadline:
            error = None
            try:
                with urllib.request.urlopen(URL, timeout=10) as response:
                    response.read()
            except OSError as exc:
                error = repr(exc)[:120]
            with self._lock:
                self.requests += 1
                if error:
                    self.errors[error] += 1

    def __enter__(self) -> _Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


@pytest.fixture
def switching(monkeypatch: pytest.MonkeyPatch, base_image: str):
    name = f"dkp{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("DOCKYARD_PROXY", f"{name}-proxy")
    config = SimpleNamespace(drain_seconds=10, proxy_image=None)
    target = SimpleNamespace(
        name="switch",
        compose_project=name,
        config=config,
        project=SimpleNamespace(base_image=base_image),
        engine=TargetEngine("switch", None, None),
    )
    result = Proxy(target)  # type: ignore[arg-type]
    apps = [f"{name}-api-{n}" for n in (1, 2)]
    try:
        result.ensure([PORT], base_image)
        server = ["python3", "-m", "http.server", "8000"]  # answers 200 at /
        for app in apps:
            docker("run", "--detach", "--name", app, "--network", result.name,
                   "--workdir", "/tmp", base_image, *server)  # fmt: skip
        yield result, apps
    finally:
        docker("rm", "--force", *apps, check=False)
        remove_proxy(result.name)


def _served(container: str) -> int:
    """How many requests the container's http.server logged."""
    return docker("logs", container).stderr.count('"GET / HTTP/1.1" 200')


def test_twenty_switches_under_load_lose_no_request(switching) -> None:
    proxy, apps = switching
    dials = [f"{app}:{PORT.container}" for app in apps]
    assert proxy.switch("api", PORT, dials[0]) is None  # the port's first route
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the app answers through the proxy
        try:
            urllib.request.urlopen(URL, timeout=5).close()
            break
        except OSError:
            time.sleep(0.5)
    config = proxy._admin("GET", "/config/")
    with _Load() as load:
        for n in range(SWITCHES):
            dial = dials[(n + 1) % 2]
            before = proxy.switch("api", PORT, dial)
            assert before == dials[n % 2]  # it knows where the port pointed
            assert proxy.upstream("api", PORT) == dial
            # the old container is left with no connection from the proxy
            assert proxy.drain([before], 10) == 0
    print(f"{SWITCHES} switches: {load.requests} requests, {dict(load.errors)}")
    assert load.requests >= 20 * SWITCHES  # the clients ran throughout
    assert not load.errors, load.errors.most_common(3)
    assert proxy._admin("GET", "/config/") == config  # Caddy never reloaded
    assert min(_served(app) for app in apps) > 0  # both took requests
