"""The deploy scenarios' pure parts: the files they deploy, the tally, the report rows."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench import report  # noqa: E402
from bench.deploy_plan import (  # noqa: E402
    Tally,
    baseline_compose,
    both,
    dockyard_targets,
    failed_cell,
    set_registry,
)
from bench.engine import BenchError  # noqa: E402
from bench.load import Load, wait_answer  # noqa: E402

from dockyard.manifest import DockyardConfig  # noqa: E402

EXAMPLE = REPO / "examples" / "lol_data" / "pyproject.toml"


def test_baseline_compose_is_the_seeds_server_file_for_parser_and_api() -> None:
    images = {"parser": "reg/p:prod", "api": "reg/a:prod"}
    doc = yaml.safe_load(baseline_compose(images, 18480, "bench-deploy-seed-x-parser"))
    parser, api = doc["services"]["parser"], doc["services"]["api"]
    assert parser["container_name"] == "bench-deploy-seed-x-parser"  # stopped by name
    assert parser["image"] == "reg/p:prod" and api["image"] == "reg/a:prod"
    assert "./logs:/app/logs" in parser["volumes"] and "db:/data" in api["volumes"]
    assert api["ports"] == ["127.0.0.1:18480:8000"]  # loopback only
    assert "healthcheck" not in api and doc["volumes"] == {"db": {}}


def test_dockyard_targets_are_valid_local_targets() -> None:
    text = set_registry(EXAMPLE.read_text(), "bench-deploy-ab12", "127.0.0.1:18450/bench-x")
    text += dockyard_targets("/var/tmp/bench-deploy-ab12", 18480, 18481)
    tool = tomllib.loads(text)["tool"]["dockyard"]
    assert tool["name"] == "bench-deploy-ab12"
    assert tool["registry"] == "127.0.0.1:18450/bench-x"
    config = DockyardConfig.model_validate(tool)  # dockyard's own manifest model
    single, swarm = config.deploy["single"], config.deploy["swarm"]
    assert single.host is None and single.context is None  # the local engine
    assert single.kind == "compose" and swarm.kind == "swarm" and swarm.routing == "gateway"
    assert single.app["api"].ports == ["127.0.0.1:18480:8000"]
    assert swarm.app["api"].ports == ["127.0.0.1:18481:8000"] and swarm.app["api"].replicas == 2
    assert single.directory == "/var/tmp/bench-deploy-ab12/single"


def test_set_registry_needs_the_name_line() -> None:
    with pytest.raises(ValueError):
        set_registry("[project]\nversion = 1\n", "n", "r")


def test_tally_counts_failures_and_the_outage() -> None:
    tally = Tally()
    for at, ok in ((0.0, True), (1.0, False), (1.5, False), (3.25, False), (4.0, True)):
        tally.add(ok, at)
    assert (tally.requests, tally.failures) == (5, 3)
    assert tally.outage() == 2.25 and tally.first_success == 0.0
    assert Tally().outage() == 0.0


def test_cells() -> None:
    assert failed_cell(12.0, 340.5) == "12 of 340"
    assert failed_cell(None, 3) == "n/a"
    assert failed_cell(229, 466, 12.44) == "229 of 466 (down 12.4 s)"
    assert failed_cell(0, 940, 0.0) == "0 of 940"
    assert both("1.0 s", "2.0 s") == "compose 1.0 s / swarm 2.0 s"
    assert both("1.0 s", None) == "compose 1.0 s"


def test_load_and_polls_stay_on_loopback() -> None:
    with pytest.raises(BenchError, match="loopback"):
        Load("http://10.0.0.1:8000/health")
    with pytest.raises(BenchError, match="loopback"):
        wait_answer("http://example.invalid/health", bound=0)


def _deploy_runs() -> dict:
    dockyard = {
        "deploy_first": 14.0,
        "deploy_first_answer": 9.0,
        "deploy_update": 16.0,
        "update_failed": 40,
        "update_requests": 300,
        "update_outage": 3.0,
        "swarm_first": 30.0,
        "swarm_update": 44.0,
        "swarm_failed": 0,
        "swarm_requests": 880,
    }
    seed = {"deploy_first": 7.0, "deploy_update": 12.0, "update_failed": 90, "update_requests": 200}
    return {"dockyard": [dockyard, dockyard], "seed": [seed, {**seed, "deploy_update": 14.0}]}


def test_deploy_rows_show_compose_and_swarm_for_dockyard() -> None:
    results = {"meta": {}, "config": {"reps": 2}, "runs": _deploy_runs()}
    derived = report.summarize(results)
    text = report.render_markdown(results, derived, "")
    first, answer, update = (label for _, _, label in report.DEPLOY_TIMES)
    failed = report.DEPLOY_FAILED
    assert f"| {first} | compose 14.0 s / swarm 30.0 s | 7.0 s | 0.5x |" in text
    assert f"| {update} | compose 16.0 s / swarm 44.0 s | 13.0 s | 0.8x |" in text
    assert f"| {answer} | compose 9.0 s | n/a | n/a |" in text  # no swarm figure: n/a
    assert f"| {failed} | compose 40 of 300 (down 3.0 s) / swarm 0 of 880 | 90 of 200 | — |" in text
    assert report.NOT_MEASURED not in text


def test_deploy_summary_line() -> None:
    rec = _deploy_runs()["dockyard"][0]
    assert report.deploy_summary(rec) == (
        "deploy 14.0 s, update 16.0 s, failed 40 of 300; "
        "swarm deploy 30.0 s, update 44.0 s, failed 0 of 880"
    )
    assert report.deploy_summary({}) == "deploy scenarios not run"
