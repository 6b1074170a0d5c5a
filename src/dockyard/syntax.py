"""The syntax Docker and Compose accept for the values a manifest passes on to them.

Each check raises ``ValueError`` with a message for the user (the manifest turns it
into one line naming the file and field), so bad input is refused when the manifest
is loaded, not deep inside `docker compose` or a build.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Compose project names: lower-case letters, digits, '-' and '_', starting with a
# letter or digit. The name also prefixes image names, which forbid a trailing
# separator, so it must end with a letter or digit too.
PROJECT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?")
# Docker volume names (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]+).
VOLUME_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
# Paths dockyard writes into Dockerfile RUN lines: no shell metacharacters.
SAFE_PATH = re.compile(r"/[A-Za-z0-9._@+/-]*")
VOLUME_MODES = {
    "ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated",
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
}  # fmt: skip
# registry[:port][/path]: a host name or [IPv6] address, lower-case repository path
_REGISTRY = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_PORT_SPEC = re.compile(
    r"(?:(?P<ip>\[[0-9A-Fa-f:.]+\]|[0-9.]+|[0-9A-Fa-f:]*::[0-9A-Fa-f:]*):)??"
    r"(?:(?P<published>[0-9]+(?:-[0-9]+)?)?:)?"
    r"(?P<target>[0-9]+(?:-[0-9]+)?)"
    r"(?:/(?P<protocol>tcp|udp|sctp))?"
)


@dataclass(frozen=True)
class PortSpec:
    """A Compose short-syntax port: ``[IP:][PUBLISHED:]TARGET[/PROTOCOL]``."""

    host_ip: str  # "" for every address; IPv6 without brackets
    published: str  # a port, a range "8000-8001", or "" (an ephemeral host port)
    target: str  # a port or a range
    protocol: str  # "tcp", "udp" or "sctp"

    def without_host_ip(self) -> str:
        published = f"{self.published}:" if self.published else ""
        return f"{published}{self.target}/{self.protocol}".removesuffix("/tcp")


def _port_range(text: str, spec: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    first, last = int(low), int(high or low)
    for number in (first, last):
        if not 1 <= number <= 65535:
            raise ValueError(f"'{spec}': port {number} is outside 1-65535")
    if last < first:
        raise ValueError(f"'{spec}': the range {text} ends before it starts")
    return first, last


def parse_port(spec: str) -> PortSpec:
    """Parse and check one port mapping, as `docker compose` would."""
    match = _PORT_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(
            f"'{spec}' is not a port mapping like '8000:8000', '127.0.0.1:8000:8000', "
            "'[::1]:8000:8000' or '8000-8001:8000-8001/udp'"
        )
    ip = (match["ip"] or "").strip("[]")
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ValueError(f"'{spec}': '{ip}' is not an IP address") from None
    published, target = match["published"] or "", match["target"]
    target_range = _port_range(target, spec)
    if published:
        published_range = _port_range(published, spec)
        widths = (published_range[1] - published_range[0], target_range[1] - target_range[0])
        if widths[1] and widths[0] != widths[1]:
            raise ValueError(f"'{spec}': the published and target ranges differ in size")
    return PortSpec(ip, published, target, match["protocol"] or "tcp")


def check_volume(spec: str) -> None:
    """``SOURCE:TARGET[:MODE]``: a volume name or a path, an absolute target, known modes."""
    parts = spec.split(":")
    example = "'data:/app/data', './logs:/app/logs' or './config:/app/config:ro'"
    if len(parts) < 2:
        raise ValueError(f"'{spec}' has no target path; write it as {example}")
    if len(parts) > 3:
        raise ValueError(f"'{spec}' has too many ':'; write it as {example}")
    source, target = parts[0], parts[1]
    if not source.startswith((".", "/", "~")) and not VOLUME_NAME.fullmatch(source):
        raise ValueError(
            f"'{spec}': the source '{source}' is neither a volume name (letters, digits, "
            "'_', '.', '-', at least 2 characters) nor a path starting with ./, / or ~"
        )
    check_container_path(target, spec)
    if len(parts) == 3:
        unknown = [mode for mode in parts[2].split(",") if mode not in VOLUME_MODES]
        if unknown:
            raise ValueError(
                f"'{spec}': unknown mode '{','.join(unknown)}'; use ro or rw (and z, Z, nocopy)"
            )


def check_container_path(path: str, spec: str | None = None) -> None:
    """An absolute path inside a container, neither `/` itself nor with `..` or odd characters."""
    what = f"'{spec}': '{path}'" if spec and spec != path else f"'{path}'"
    if not path.startswith("/"):
        raise ValueError(f"{what} is not an absolute path inside the container")
    if not SAFE_PATH.fullmatch(path):
        raise ValueError(f"{what} may hold only letters, digits and . _ @ + - /")
    parts = [part for part in path.split("/") if part]
    if not parts:
        raise ValueError(f"{what} is the root folder; name a folder below it")
    if ".." in parts or "." in parts:
        raise ValueError(f"{what} has '.' or '..' in it; write the folder it means")


def check_registry(value: str) -> None:
    """``host[:port][/path]``, as in an image name: no scheme, no tag."""
    if "://" in value:
        raise ValueError(
            f"'{value}' has a scheme; write the registry as in an image name, "
            f"e.g. '{value.split('://', 1)[1].rstrip('/') or 'registry.example.com/team'}'"
        )
    if not _REGISTRY.fullmatch(value.rstrip("/")):
        raise ValueError(
            f"'{value}' is not a registry like 'registry.example.com/team' or 'localhost:5000'"
        )
    port = re.search(r":([0-9]+)(?:/|$)", value)
    if port and not 1 <= int(port.group(1)) <= 65535:
        raise ValueError(f"'{value}': port {port.group(1)} is outside 1-65535")


def check_http_url(url: str) -> None:
    """An http(s) URL with a host (and a valid port when it has one)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"'{url}' is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{url}' is not a URL such as http://127.0.0.1:8000/health")
    if port == 0:
        raise ValueError(f"'{url}': port 0 is outside 1-65535")


def check_env_name(name: str) -> None:
    if not name or "=" in name or any(c.isspace() for c in name) or "\0" in name:
        raise ValueError(f"'{name}' is not a variable name (no '=', spaces or empty names)")
