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


def test_open_layer_reads_plain_gzip_and_zstd_tars() -> None:
    import gzip
    import io
    import tarfile

    import zstandard

    from dockyard.layerfile import open_layer

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("opt/venv/x.py")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"x = 1"))
    plain = buffer.getvalue()
    for blob in (plain, gzip.compress(plain), zstandard.ZstdCompressor().compress(plain)):
        with open_layer(io.BytesIO(blob)) as tar:
            assert [(m.name, tar.extractfile(m).read()) for m in tar] == [
                ("opt/venv/x.py", b"x = 1")
            ]


def test_only_buildkits_lost_graph_state_is_worth_a_second_try() -> None:
    from dockyard.engine.docker import is_transient

    lost = "ERROR: failed to solve: failed to get edge: inconsistent graph state"
    assert is_transient(["#12 [api deps-api 1/1] RUN ...", lost])
    assert not is_transient(["ERROR: failed to solve: process did not complete: exit code: 1"])
    assert not is_transient([])


def test_a_compose_update_replaces_running_apps_dependencies_first() -> None:
    from types import SimpleNamespace

    from dockyard.commands.deploy import rollout_order

    def app(*needs: str) -> SimpleNamespace:
        return SimpleNamespace(config=SimpleNamespace(depends_on=list(needs)))

    project = SimpleNamespace(apps={"api": app("parser"), "parser": app(), "bot": app("api")})
    running = {"api", "parser", "bot"}
    assert rollout_order(project, ["api", "parser", "bot"], running) == ["parser", "api", "bot"]
    # an app not running yet (first deploy, or a new app) is left to the final `up`
    assert rollout_order(project, ["api", "parser", "bot"], {"api"}) == ["api"]
    assert rollout_order(project, ["bot"], running) == ["bot"]
