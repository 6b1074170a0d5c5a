"""dockyard.engine.docker: what needs no engine (retry decisions)."""

from __future__ import annotations

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
