"""The benchmark harness's pure parts: medians, ratios, layer arithmetic, the report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench import deploy_report, report, stats  # noqa: E402
from bench.engine import BenchError, blob_store_bytes  # noqa: E402
from bench.variants import LIB_FILE, edit_app, edit_library, example_apps  # noqa: E402


def _layer(digest: str, size: int) -> dict:
    return {"digest": f"sha256:{digest}", "size": size}


def _manifest(config: tuple[str, int], *layers: tuple[str, int]) -> dict:
    return {"config": _layer(*config), "layers": [_layer(d, s) for d, s in layers]}


def test_median_ignores_missing_values() -> None:
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, None, 2, 3]) == 2.5
    assert stats.median([None]) is None
    assert stats.median([]) is None


def test_ratios_pair_repetitions_of_the_same_run() -> None:
    runs = {
        "seed": [{"lib_edit": 100.0}, {"lib_edit": 90.0}, {"lib_edit": None}],
        "dockyard": [{"lib_edit": 4.0}, {"lib_edit": 3.0}, {"lib_edit": 2.0}],
    }
    assert stats.same_run_ratios(runs, "lib_edit", "seed", "dockyard") == [25.0, 30.0]
    assert stats.ratio(1.0, 0) is None


def test_index_lists_platform_manifests_but_not_attestations() -> None:
    index = {
        "manifests": [
            {"digest": "sha256:img", "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": "sha256:att", "platform": {"os": "unknown", "architecture": "unknown"}},
        ]
    }
    assert stats.image_manifests(index) == ["sha256:img"]


def test_unique_bytes_count_shared_layers_once() -> None:
    api = _manifest(("cfg-api", 10), ("base", 1000), ("common", 300), ("api", 5))
    bot = _manifest(("cfg-bot", 11), ("base", 1000), ("common", 300), ("bot", 7))
    assert stats.image_bytes(api) == 1315
    assert stats.image_bytes(bot) == 1318
    assert stats.unique_bytes([api, bot]) == 1000 + 300 + 5 + 7 + 10 + 11
    assert stats.unique_bytes([]) == 0


def test_human_formats() -> None:
    assert stats.human_bytes(18631) == "18.6 kB"
    assert stats.human_bytes(1_943_730) == "1.9 MB"
    assert stats.human_bytes(512_000_000) == "512 MB"
    assert stats.human_bytes(None) == "n/a"
    assert stats.seconds(7.73) == "7.7 s"
    assert stats.seconds(123.4) == "123 s"
    assert stats.times(2.41) == "2.4x"


def _runs() -> dict:
    def rep(cold, lib, unique, pushed):
        return {
            "cold": cold,
            "noop": 1.0,
            "lib_edit": lib,
            "app_edit": 2.0,
            "add_dep": 5.0,
            "unique_bytes": unique,
            "push_first": unique,
            "push_lib_edit": pushed,
            "sizes": {"api": {"compressed": unique}},
        }

    return {
        "dockyard": [
            rep(50.0, 4.0, 500, 20_000),
            {**rep(60.0, 5.0, 500, 30_000), "discarded_attempts": 1},
        ],
        "seed": [rep(150.0, 100.0, 1000, 2_000_000), rep(140.0, 80.0, 1000, 2_000_000)],
        "uvrec": [rep(40.0, 12.0, 520, 9_000_000), rep(50.0, 15.0, 520, 9_000_000)],
    }


def test_targets_use_same_run_ratios() -> None:
    verdicts = {t["target"]: t for t in report.targets(_runs())}
    lib_seed = verdicts["Shared-library edit rebuild vs seed-style"]
    assert lib_seed["value"] == pytest.approx((25.0 + 16.0) / 2)
    assert lib_seed["met"] is True
    assert verdicts["Shared-library edit rebuild vs uv-recommended"]["met"] is True
    cold = verdicts["Cold build vs uv-recommended"]
    assert cold["value"] == pytest.approx((0.8 + 50 / 60) / 2)
    assert cold["met"] is False
    assert verdicts["Total unique bytes of all prod images vs seed-style"]["met"] is True
    assert verdicts["Bytes pushed after a shared-library edit (all apps)"]["met"] is True


def test_targets_without_measurements_are_not_verdicts() -> None:
    verdicts = report.targets({"dockyard": [{"cold": 1.0}]})
    assert {t["met"] for t in verdicts} == {None}


def test_markdown_has_every_scenario_and_target() -> None:
    results = {"meta": {"engine": "26.1.5"}, "config": {"reps": 2}, "runs": _runs()}
    derived = report.summarize(results)
    text = report.render_markdown(results, derived, "## Notes\nwhy")
    for _, label in report.TIME_METRICS + report.BYTE_METRICS:
        assert f"| {label} |" in text
    cold = "| Cold build vs uv-recommended | no slower (>= 1.0x) | 0.8x (slower) | **missed** |"
    assert cold in text
    # no deploy figures in these runs: every cell of the deploy table (3 compose columns)
    assert text.count(report.NOT_MEASURED) == len(deploy_report.rows()) * 3
    assert "| api | 500 B | 1.0 kB | 520 B |" in text
    assert "- **engine**: 26.1.5" in text
    assert "after a failed build**: dockyard 1, seed-style 0, uv-recommended 0" in text
    assert text.rstrip().endswith("why")
    assert derived["summary"]["seed"]["lib_edit"] == 90.0


def test_blob_store_bytes_sums_blob_data_files(tmp_path: Path) -> None:
    blobs = tmp_path / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256"
    for name, size in (("aa/aa01", 10), ("bb/bb02", 32)):
        (blobs / name).mkdir(parents=True)
        (blobs / name / "data").write_bytes(b"x" * size)
    assert blob_store_bytes(tmp_path) == 42


def test_edits_touch_one_function_or_one_app(tmp_path: Path) -> None:
    src = REPO / "examples" / "lol_data"
    lib = tmp_path / LIB_FILE
    lib.parent.mkdir(parents=True)
    lib.write_text((src / LIB_FILE).read_text())
    edit_library(tmp_path, "t1")
    assert '    _bench_edit = "t1"  # noqa: F841\n' in lib.read_text()
    compile(lib.read_text(), str(lib), "exec")
    init = tmp_path / "packages/lol_data_api/src/lol_data_api/__init__.py"
    init.parent.mkdir(parents=True)
    init.write_text('"""api."""\n')
    edit_app(tmp_path, example_apps()["api"], "t2")
    assert init.read_text().endswith('_BENCH_EDIT = "t2"\n')
    lib.write_text("def other():\n    pass\n")
    with pytest.raises(BenchError, match="count_games"):
        edit_library(tmp_path, "t3")


def test_only_build_keeps_the_deploy_transfer_and_share_figures_by_repetition():
    from bench.run import keep_other_figures

    new = {
        "meta": {"date (UTC)": "today"},
        "config": {"deploy": {"scenarios": "none"}},
        "runs": {
            "dockyard": [{"cold": 1.0, "lib_edit": 2.0}, {"cold": 1.5}],
            "seed": [{"cold": 9}],
        },
    }
    old = {
        "meta": {"date (UTC)": "yesterday", "deploy scenarios": "D", "transfer scenario": "T"},
        "config": {"deploy": {"scenarios": "all", "reps": 3}},
        "runs": {
            "dockyard": [
                {
                    "cold": 5.0,
                    "deploy_first": 6.3,
                    "swarm_first": 6.2,
                    "transfer_lib_edit": 80,
                    "save_lib_edit": 137,
                    "share_tarball": 156,
                },
            ],
            "seed": [{"cold": 50, "deploy_first": 2.1}, {"deploy_first": 2.2}],
        },
    }
    merged = keep_other_figures(new, old)
    first = merged["runs"]["dockyard"][0]
    assert first["cold"] == 1.0 and first["lib_edit"] == 2.0  # this run's build figures
    assert (first["deploy_first"], first["swarm_first"]) == (6.3, 6.2)
    kept = (first["transfer_lib_edit"], first["save_lib_edit"], first["share_tarball"])
    assert kept == (80, 137, 156)
    assert merged["runs"]["dockyard"][1] == {"cold": 1.5}  # no earlier repetition to keep
    assert merged["runs"]["seed"][0] == {"cold": 9, "deploy_first": 2.1}
    # a repetition of the deploy run that this run did not reach is not lost
    assert merged["runs"]["seed"][1] == {"kept only": True, "deploy_first": 2.2}
    assert merged["meta"]["deploy scenarios"] == "D" and merged["meta"]["transfer scenario"] == "T"
    assert "yesterday" in merged["meta"]["share scenario"]
    assert merged["config"]["deploy"] == {"scenarios": "all", "reps": 3}
    # kept again by the next `--only build`: still the run that measured it
    again = {"meta": {"date (UTC)": "tomorrow"}, "config": {}, "runs": {}}
    share = keep_other_figures(again, merged)["meta"]["share scenario"]
    assert share.startswith("from the run of yesterday UTC;")


def test_new_bytes_counts_only_the_blobs_the_image_before_lacks() -> None:
    before = {"config": {"digest": "c1", "size": 10}, "layers": [{"digest": "a", "size": 100}]}
    after = {
        "config": {"digest": "c2", "size": 11},
        "layers": [{"digest": "a", "size": 100}, {"digest": "b", "size": 5}],
    }
    assert stats.new_bytes(before, after) == 16
    assert stats.new_bytes(after, after) == 0


def test_a_ratio_near_one_keeps_two_decimals_so_the_verdict_reads_right() -> None:
    from bench.stats import times

    assert times(0.953) == "0.95x" and times(1.04) == "1.04x"
    assert times(16.94) == "16.9x" and times(0.7) == "0.7x" and times(4776.2) == "4776x"
    assert times(None) == "n/a"
