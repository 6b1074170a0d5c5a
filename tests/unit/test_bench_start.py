"""The container-start scenario's bookkeeping: rounds interleave the variants, figures
land in each variant's runs by repetition."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench import start  # noqa: E402
from bench.run import merge_start  # noqa: E402


def test_every_variant_leads_a_round_as_often_as_the_others() -> None:
    orders = start.rotations(["dockyard", "seed", "uvrec"], 6)
    assert orders[:3] == [
        ["dockyard", "seed", "uvrec"],
        ["seed", "uvrec", "dockyard"],
        ["uvrec", "dockyard", "seed"],
    ]
    assert [o[0] for o in orders].count("uvrec") == 2


def test_rounds_alternate_variants_and_keep_each_apps_median(monkeypatch) -> None:
    calls: list[str] = []
    seconds = {"a/parser": [1.0, 3.0, 2.0], "a/bot": [0.1, 0.1, 0.4], "b/parser": [2.0] * 3}

    def fake(image: str, app: str) -> float:
        calls.append(image)
        return seconds[image][sum(1 for c in calls if c == image) - 1]

    monkeypatch.setattr(start, "import_seconds", fake)
    images = {"a": {"parser": "a/parser", "bot": "a/bot"}, "b": {"parser": "b/parser"}}
    out = start.interleaved(images, rounds=3)
    # no variant runs all its rounds before the other starts
    assert calls[:6] == ["a/parser", "a/bot", "b/parser", "b/parser", "a/parser", "a/bot"]
    assert out["a"]["start_apps"] == {"parser": 2.0, "bot": 0.1}
    assert out["a"]["start"] == 2.1
    assert out["b"]["start"] == 2.0


def test_start_figures_merge_by_repetition_and_keep_the_rest() -> None:
    runs = {"dockyard": [{"cold": 40.0, "start": 9.9}], "seed": []}
    phase = {
        "dockyard": [{"start": 1.5, "start_apps": {}, "pyc_bytes": 7, "pyc_apps": {}}] * 2,
        "seed": [{"start": 1.4, "start_apps": {}, "pyc_bytes": 9, "pyc_apps": {}}],
    }
    merge_start(runs, phase)
    assert runs["dockyard"][0] == {
        "cold": 40.0, "start": 1.5, "start_apps": {}, "pyc_bytes": 7, "pyc_apps": {}
    }  # fmt: skip
    assert runs["dockyard"][1]["start only"] is True
    assert runs["seed"][0]["start"] == 1.4
