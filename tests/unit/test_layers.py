"""Which app groups get a shared layer: laminar, greedy by bytes, exact per app."""

from __future__ import annotations

from dockyard.layers import choose_groups, placement

F = frozenset


def test_placement_covers_the_users_with_the_widest_groups_inside() -> None:
    family = [F("abcd"), F("abc"), F("ab")]
    assert placement(F("abcd"), family) == [F("abcd")]
    assert placement(F("abc"), family) == [F("abc")]
    assert placement(F("abd"), family) == [F("ab"), F("d")]
    assert placement(F("cd"), family) == [F("c"), F("d")]


def test_groups_must_nest_or_be_disjoint() -> None:
    users = {"x": F("ab"), "y": F("bc")}  # overlapping: only one of them can get a layer
    family = choose_groups(users, {"x": 5_000_000, "y": 3_000_000}.__getitem__, "abc")
    assert family == [F("abc"), F("ab")]


def test_groups_are_taken_by_the_bytes_they_save() -> None:
    users = {"x": F("ab"), "y": F("bc")}
    family = choose_groups(users, {"x": 3_000_000, "y": 5_000_000}.__getitem__, "abc")
    assert family == [F("abc"), F("bc")]


def test_a_group_saving_less_than_the_threshold_gets_no_layer() -> None:
    users = {"x": F("ab"), "y": F("abc")}
    assert choose_groups(users, lambda _: 10, "abc", min_bytes=1_000) == [F("abc")]
    assert choose_groups(users, lambda _: 10, "abc", min_bytes=10) == [F("abc"), F("ab")]


def test_nested_groups_each_get_a_layer() -> None:
    users = {"sqla": F("pas"), "numpy": F("ps"), "pyd": F("pasb")}
    sizes = {"sqla": 3_000_000, "numpy": 16_000_000, "pyd": 2_000_000}
    family = choose_groups(users, sizes.__getitem__, "pasb")
    assert family == [F("pasb"), F("ps"), F("pas")]
