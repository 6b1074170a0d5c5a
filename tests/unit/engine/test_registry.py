"""engine/registry.py: which registries get plain HTTP, and a registry that does not answer
is one RegistryFailure at once (no oras-py retry loop). Loopback only."""

from __future__ import annotations

import socket
import time

import pytest

from dockyard.engine.images import plain_http
from dockyard.engine.registry import RegistryFailure, Repository


def test_only_loopback_registries_get_plain_http() -> None:
    assert plain_http("127.0.0.1:5000") and plain_http("localhost:5000")
    assert plain_http("127.0.0.2") and plain_http("[::1]:5000")
    assert not plain_http("registry.example.com") and not plain_http("10.0.0.1:5000")


def test_a_registry_that_does_not_answer_fails_at_once() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(RegistryFailure) as caught:
        Repository(f"127.0.0.1:{port}/team/api").manifest("1.0")
    assert caught.value.unreachable and caught.value.host == f"127.0.0.1:{port}"
    assert caught.value.detail == "connection refused"
    assert time.monotonic() - started < 10
