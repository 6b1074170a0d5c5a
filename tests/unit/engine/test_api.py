"""dockyard.engine.api: which socket the docker CLI would use (no engine needed); the
answers themselves are compared with the CLI's in tests/integration/test_engine_api.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.engine import api


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    return monkeypatch


def test_the_default_socket_when_nothing_names_another(env: pytest.MonkeyPatch) -> None:
    assert api.local_socket() == "/var/run/docker.sock"


def test_docker_host_names_the_socket_or_rules_the_api_out(env: pytest.MonkeyPatch) -> None:
    env.setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock")
    assert api.local_socket() == "/run/user/1000/docker.sock"
    for remote in ("tcp://10.0.0.5:2376", "ssh://deploy@server", "npipe:////./pipe/x"):
        env.setenv("DOCKER_HOST", remote)
        assert api.local_socket() is None


def test_a_context_other_than_default_is_the_clis_to_resolve(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("DOCKER_CONTEXT", "staging")
    assert api.local_socket() is None
    env.setenv("DOCKER_CONTEXT", "default")
    assert api.local_socket() == "/var/run/docker.sock"
    env.delenv("DOCKER_CONTEXT")
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "rootless"}))
    assert api.local_socket() is None
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert api.local_socket() == "/var/run/docker.sock"


def test_no_socket_means_no_answer_and_the_caller_asks_the_cli(env: pytest.MonkeyPatch) -> None:
    env.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert api.inspect_images(["python:3.11"]) is None
    assert api.engine_version() is None
    assert api.tag("python:3.11", "x/y:z") is False
