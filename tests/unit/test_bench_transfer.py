"""The transfer scenario's rows and target in BENCHMARKS.md (bench/report.py), from
synthetic figures: a figure a run did not measure is shown as missing, never estimated."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is not installed

from bench.report import render_markdown, summarize  # noqa: E402

TARGET = 'Bytes a `transfer = "ssh"` deploy sends after a shared-library edit (parser + api)'


def _markdown(runs: dict) -> tuple[str, dict]:
    results = {"meta": {}, "config": {"reps": len(runs["dockyard"])}, "runs": runs}
    derived = summarize(results)
    return render_markdown(results, derived, "notes"), derived


def _row(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_measured_transfer_figures_are_rows_and_a_target() -> None:
    runs = {
        "dockyard": [
            {"transfer_lib_edit": 80_908, "save_lib_edit": 137_503_776},
            {"transfer_lib_edit": 81_000, "save_lib_edit": 137_505_265},
        ]
    }
    text, derived = _markdown(runs)
    assert _row(text, '| Bytes a `transfer = "ssh"` deploy sends after the shared').endswith(
        "| 81.0 kB |"
    )
    assert _row(text, "| `dockyard save` of the same images").endswith("| 138 MB |")
    verdict = next(t for t in derived["targets"] if t["target"] == TARGET)
    assert verdict["value"] == 80_954 and verdict["met"] is True
    assert f"| {TARGET} | < 1 MB | 81.0 kB | met |" in text


def test_a_run_without_the_transfer_scenario_shows_it_missing() -> None:
    text, derived = _markdown({"dockyard": [{"cold": 1.0}]})
    assert _row(text, "| `dockyard save` of the same images").endswith("| n/a |")
    assert f"| {TARGET} | < 1 MB | n/a | not measured |" in text
    assert next(t for t in derived["targets"] if t["target"] == TARGET)["met"] is None


def test_over_a_megabyte_misses_the_target() -> None:
    _, derived = _markdown({"dockyard": [{"transfer_lib_edit": 1_200_000}]})
    assert next(t for t in derived["targets"] if t["target"] == TARGET)["met"] is False
