"""dockyard.engine.docker: what needs no engine (retry decisions)."""

from __future__ import annotations


def test_only_buildkits_lost_graph_state_is_worth_a_second_try() -> None:
    from dockyard.engine.docker import is_transient

    lost = "ERROR: failed to solve: failed to get edge: inconsistent graph state"
    assert is_transient(["#12 [api deps-api 1/1] RUN ...", lost])
    assert not is_transient(["ERROR: failed to solve: process did not complete: exit code: 1"])
    assert not is_transient([])
