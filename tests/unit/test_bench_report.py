"""The new build targets of bench/report.py, from synthetic same-run figures."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is not installed

from bench.report import render_markdown, summarize, targets  # noqa: E402


def _runs() -> dict:
    dockyard = {
        "cold": 20.0,
        "noop": 0.3,
        "noop_bake": 0.9,
        "app_edit": 1.0,
        "lib_edit": 2.0,
        "add_dep_parser": 3.0,
        "push_add_dep_parser": 2_000_000,
        "start": 4.0,
        "unique_bytes": 100,
        "push_lib_edit": 60_000,
    }
    seed = {
        "cold": 50.0,
        "noop": 0.6,
        "app_edit": 1.1,
        "lib_edit": 45.0,
        "add_dep_parser": 30.0,
        "start": 6.0,
        "unique_bytes": 200,
    }
    uvrec = {
        "cold": 30.0,
        "noop": 0.6,
        "app_edit": 20.0,
        "lib_edit": 20.0,
        "add_dep_parser": 25.0,
        "start": 3.6,
        "unique_bytes": 180,
    }
    return {"dockyard": [dockyard], "seed": [seed], "uvrec": [uvrec]}


def test_each_new_target_reads_its_own_figures() -> None:
    found = {t["target"]: t for t in targets(_runs())}
    assert found["No-op rebuild vs BuildKit's own no-op bake"]["value"] == 3.0
    assert found["No-op rebuild vs seed-style"]["met"] is True
    assert found["App-only edit vs seed-style"]["value"] == 1.1
    assert found["Add a dependency to the parser vs seed-style"]["met"] is True
    assert found["Add a dependency to the parser vs uv-recommended"]["value"] == 25 / 3
    assert found["New layers in the parser image after adding its dependency"]["met"] is True
    start = found["Container start (import of each app's entry point) vs uv-recommended"]
    assert start["value"] == 0.9 and start["met"] is False


def test_a_figure_no_run_measured_is_shown_as_not_measured() -> None:
    runs = _runs()
    for reps in runs.values():
        for rec in reps:
            rec.pop("start", None)
    found = {t["target"]: t for t in targets(runs)}
    start = found["Container start (import of each app's entry point) vs uv-recommended"]
    assert start["met"] is None and start["value"] is None
    results = {"meta": {}, "config": {"reps": 1}, "runs": runs}
    text = render_markdown(results, summarize(results), "")
    assert "| not measured |" in text
