"""Docker and Compose syntax rules for manifest values (pure)."""

from __future__ import annotations

import pytest

from dockyard.syntax import (
    PortSpec,
    check_container_path,
    check_http_url,
    check_registry,
    check_volume,
    parse_port,
)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("8000", PortSpec("", "", "8000", "tcp")),
        ("8000:8000", PortSpec("", "8000", "8000", "tcp")),
        ("127.0.0.1:80:8000", PortSpec("127.0.0.1", "80", "8000", "tcp")),
        ("[::1]:8000:8000", PortSpec("::1", "8000", "8000", "tcp")),
        ("8000-8001:8000-8001", PortSpec("", "8000-8001", "8000-8001", "tcp")),
        ("9000-9010:80", PortSpec("", "9000-9010", "80", "tcp")),
        ("53:53/udp", PortSpec("", "53", "53", "udp")),
        ("127.0.0.1::8000", PortSpec("127.0.0.1", "", "8000", "tcp")),
        ("65535:1/sctp", PortSpec("", "65535", "1", "sctp")),
    ],
)
def test_valid_compose_ports_are_accepted(spec: str, parsed: PortSpec) -> None:
    assert parse_port(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("99999", "outside 1-65535"),
        ("0:80", "outside 1-65535"),
        ("8000:0", "outside 1-65535"),
        ("eighty", "not a port mapping"),
        ("8001-8000:80", "ends before it starts"),
        ("8000-8001:80-82", "differ in size"),
        ("999.1.1.1:80:80", "not an IP address"),
        ("[::g]:80:80", "not a port mapping"),
        ("80/icmp", "not a port mapping"),
        ("", "not a port mapping"),
    ],
)
def test_bad_ports_are_refused(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_port(spec)


def test_swarm_form_drops_the_host_address() -> None:
    assert parse_port("[::1]:80:8000/udp").without_host_ip() == "80:8000/udp"
    assert parse_port("127.0.0.1:80:8000").without_host_ip() == "80:8000"


@pytest.mark.parametrize(
    "spec", ["db:/var/lib/db", "./logs:/app/logs", "/srv/x:/x:ro", "~/c:/c:rw,z", "a.b-c_d:/d"]
)
def test_valid_volumes(spec: str) -> None:
    check_volume(spec)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("db", "no target path"),
        ("./x", "no target path"),
        ("db:data:rw:x", "too many"),
        ("db:data", "not an absolute path"),
        ("db:/data:rw,x", "unknown mode 'x'"),
        ("d:/data", "neither a volume name"),
        ("$HOME/x:/x", "neither a volume name"),
        ("db:/", "root folder"),
        ("db:/a/../b", "'..'"),
    ],
)
def test_bad_volumes_are_refused(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_volume(spec)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/", "root folder"),
        ("//", "root folder"),
        ("/a/../..", "'..'"),
        ("relative", "not an absolute path"),
        ("/x; rm -rf /", "may hold only"),
    ],
)
def test_writable_paths(path: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_container_path(path)
    check_container_path("/app/state")


@pytest.mark.parametrize(
    "value", ["registry.example.com/team", "localhost:5000", "127.0.0.1:5000/a/b", "[::1]:5000"]
)
def test_registries(value: str) -> None:
    check_registry(value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("https://registry.example.com", "has a scheme; .*'registry.example.com'"),
        ("registry.example.com/Team", "not a registry"),
        ("reg istry", "not a registry"),
        ("localhost:99999", "outside 1-65535"),
        ("host/repo:tag", "not a registry"),
    ],
)
def test_bad_registries(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_registry(value)


@pytest.mark.parametrize("url", ["http://", "http:///health", "ftp://x/", "http://x:99999/", "x"])
def test_bad_health_urls(url: str) -> None:
    with pytest.raises(ValueError):
        check_http_url(url)
    check_http_url("http://127.0.0.1:8000/health")
