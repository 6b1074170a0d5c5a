"""dockyard.graph: dependencies-first order and cycles."""

from __future__ import annotations

from dockyard.graph import dependencies_first, find_cycle

NEEDS = {"api": ["db", "cache"], "cache": ["db"], "db": [], "bot": ["api"]}


def test_dependencies_come_first_each_once() -> None:
    assert dependencies_first(["bot"], NEEDS.__getitem__) == ["db", "cache", "api", "bot"]
    assert dependencies_first(["cache", "api"], NEEDS.__getitem__) == ["db", "cache", "api"]


def test_a_cycle_is_named_from_where_it_starts() -> None:
    needs = {**NEEDS, "db": ["bot"]}
    assert find_cycle(needs, needs.__getitem__) == ["api", "db", "bot", "api"]
    assert find_cycle(NEEDS, NEEDS.__getitem__) == []
