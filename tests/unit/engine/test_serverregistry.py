"""What dockyard reads from the server registry's blob store and from `docker push`, and
the names and port it picks (pure)."""

from __future__ import annotations

import pytest

from dockyard.engine.serverregistry import (
    DEFAULT_PORT,
    parse_blob_sizes,
    pushed_digest,
    registry_name,
    wanted_port,
)
from dockyard.errors import DockyardError

DIGEST = "sha256:" + "37" * 32
# `docker push` (engine 26, containerd image store) of one tag, stdout
PUSHED = f"""\
The push refers to repository [127.0.0.1:40001/lol-data/api]
ddb0c7c80c42: Pushed
fe4d9363c61a: Layer already exists
5d7238a2f21f: Mounted from lol-data/parser
0.1.0-3eac79fe029d: digest: {DIGEST} size: 1617
"""


def test_the_blob_list_is_digest_and_size_per_line() -> None:
    text = f"{DIGEST} 1617\nsha256:{'ab' * 32} 57694338\n\nnot a blob 12\nsha256:x y\n"
    assert parse_blob_sizes(text) == {DIGEST: 1617, f"sha256:{'ab' * 32}": 57694338}


def test_the_pushed_digest_is_read_from_the_push() -> None:
    assert pushed_digest(PUSHED) == DIGEST
    assert pushed_digest("denied: requested access to the resource is denied") is None


def test_the_registry_name_and_port_default_and_can_be_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKYARD_REGISTRY_NAME", raising=False)
    monkeypatch.delenv("DOCKYARD_REGISTRY_PORT", raising=False)
    assert registry_name() == "dockyard-registry"
    assert wanted_port() == DEFAULT_PORT == 5555
    monkeypatch.setenv("DOCKYARD_REGISTRY_NAME", "test-registry")
    monkeypatch.setenv("DOCKYARD_REGISTRY_PORT", "18681")
    assert (registry_name(), wanted_port()) == ("test-registry", 18681)


@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_port_that_is_no_port_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DOCKYARD_REGISTRY_PORT", value)
    with pytest.raises(DockyardError, match="DOCKYARD_REGISTRY_PORT=.* is not a port number"):
        wanted_port()
