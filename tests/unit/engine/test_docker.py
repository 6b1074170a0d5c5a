"""dockyard.engine.docker: what needs no engine (retry decisions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.engine import docker


def test_only_buildkits_lost_graph_state_is_worth_a_second_try() -> None:
    from dockyard.engine.docker import is_transient

    lost = "ERROR: failed to solve: failed to get edge: inconsistent graph state"
    assert is_transient(["#12 [api deps-api 1/1] RUN ...", lost])
    assert not is_transient(["ERROR: failed to solve: process did not complete: exit code: 1"])
    assert not is_transient([])


def test_a_bake_turns_off_buildx_git_lookup_unless_the_user_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BUILDX_GIT_INFO", raising=False)
    assert docker._bake_env()["BUILDX_GIT_INFO"] == "0"
    monkeypatch.setenv("BUILDX_GIT_INFO", "1")
    assert docker._bake_env()["BUILDX_GIT_INFO"] == "1"


def test_an_inspect_that_failed_only_for_missing_images_needs_no_engine_probe() -> None:
    missing = "Error: No such image: lol-data/api:0.1.0\nError: No such image: lol-data/bot:0.1.0\n"
    assert docker._only_missing(missing)
    assert docker._only_missing("Error response from daemon: No such image: x:1\n")
    # no engine, or anything else: require_engine is asked for its clear error
    down = "Cannot connect to the Docker daemon at unix:///nope.sock. Is the docker daemon running?"
    assert not docker._only_missing(down)
    assert not docker._only_missing(missing + down)
    assert not docker._only_missing("")
    assert not docker._only_missing(None)


def test_buildx_runs_as_its_own_binary_only_where_the_cli_would_find_it_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DOCKER_CLI_PLUGIN_EXTRA_DIRS", raising=False)
    monkeypatch.setattr(docker, "SYSTEM_PLUGIN_DIRS", (str(tmp_path / "system"),))
    config = tmp_path / "config"
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    assert docker.buildx_command() == ["docker", "buildx"]  # none anywhere: the CLI says so
    system = _plugin(tmp_path / "system")
    assert docker.buildx_command() == [str(system)]
    own = _plugin(config / "cli-plugins")  # the user's own directory comes first
    assert docker.buildx_command() == [str(own)]
    own.chmod(0o644)  # not executable: the CLI skips it too
    assert docker.buildx_command() == [str(system)]
    # a search path of the user's own: the CLI is left to read it
    (config / "config.json").write_text(json.dumps({"cliPluginsExtraDirs": ["/opt/x"]}))
    assert docker.buildx_command() == ["docker", "buildx"]
    (config / "config.json").write_text("{}")
    monkeypatch.setenv("DOCKER_CLI_PLUGIN_EXTRA_DIRS", "/opt/x")
    assert docker.buildx_command() == ["docker", "buildx"]


def _plugin(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / "docker-buildx"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return binary
