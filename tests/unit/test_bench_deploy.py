"""The deploy scenarios' pure parts: the files they deploy, the tally, the report rows."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench import deploy_report, load  # noqa: E402
from bench.deploy_plan import (  # noqa: E402
    Outcome,
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


def test_loads_are_bounded_in_time_and_count() -> None:
    assert load.KINDS == {"seq": (1, 25), "conc": (8, 5)}
    assert load.max_requests("seq") == 25 * load.MAX_SECONDS
    assert load.max_requests("conc") == 8 * 5 * load.MAX_SECONDS
    assert "8 concurrent clients" in load.LABELS["conc"]


def test_an_outcome_measures_serving_from_the_images_on_the_server() -> None:
    assert Outcome(0, 9.0, 1.5, 6.5).serving_after_images() == 5.0
    assert Outcome(0, 3.0, None, 3.0).serving_after_images() == 3.0  # images there already
    assert Outcome(2, 3.0, 1.0, None).serving_after_images() is None  # never served


def _steps(target: str, failed: int = 0, serving: float = 4.0, kept: int = 1) -> dict:
    rec = {f"{target}_first": 9.0, f"{target}_first_answer": 6.0}
    for kind in ("seq", "conc"):
        good, broken = f"{target}_good_{kind}", f"{target}_broken_{kind}"
        rec.update({good: 7.0, f"{good}_serving": serving, f"{good}_failed": failed,
                    f"{good}_requests": 200, f"{good}_outage": 0.0})  # fmt: skip
        rec.update({broken: 3.0, f"{broken}_failed": 0, f"{broken}_requests": 150,
                    f"{broken}_outage": 0.0, f"{broken}_exit": 2,
                    f"{broken}_kept": kept})  # fmt: skip
    return rec


def _deploy_runs(failed: int = 0, serving: float = 4.0) -> dict:
    dockyard = {**_steps("deploy", serving=serving), **_steps("swarm", serving=40.0)}
    worse = {**dockyard, **_steps("deploy", failed=failed, serving=serving)}
    seed = {**_steps("deploy", failed=12, kept=0), "deploy_broken_seq_exit": 0,
            "deploy_broken_conc_exit": 0}  # fmt: skip
    return {"dockyard": [dockyard, worse, dockyard], "seed": [seed], "uvrec": [seed]}


def test_the_deploy_table_shows_dockyard_the_seed_and_plain_up_side_by_side() -> None:
    text = "\n".join(deploy_report.deploy_table(_deploy_runs(failed=3)))
    head = text.splitlines()[0]
    assert head == (
        "| Deploy scenario | dockyard, compose target | dockyard, swarm target | "
        "seed's procedure (stop, pull, `up -d`) | plain `docker compose up -d` |"
    )
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:] for line in text.splitlines()}
    good = rows["Good update, 1 client at 25 req/s: failed of all requests"]
    assert good[0] == "0 of 200; worst run 3" and good[1] == "0 of 200" and good[2] == "12 of 200"
    serving = rows["Good update: from the images on the server to the new release serving "
                   "(1 client / 8 clients)"]  # fmt: skip
    assert serving[:2] == ["4.0 s / 4.0 s", "40.0 s / 40.0 s"]
    assert rows["Broken update: exit code of the procedure"][0] == "2"
    assert rows["Broken update: exit code of the procedure"][2] == "0"
    kept = rows["Broken update: the release before still runs and answers afterwards"]
    assert kept[0] == "6 of 6 updates" and kept[2].rstrip(" |") == "0 of 2 updates"


def test_deploy_targets_count_the_worst_run_and_the_slower_load() -> None:
    verdicts = {t["target"]: t for t in deploy_report.deploy_targets(_deploy_runs(failed=3))}
    failed = next(v for k, v in verdicts.items() if k.startswith("Failed") and "compose" in k)
    assert failed["met"] is False and failed["shown"] == "worst run: 3 / 3 / 0 / 0"
    swarm = next(v for k, v in verdicts.items() if k.startswith("Failed") and "swarm" in k)
    assert swarm["met"] is True
    broken = next(v for k, v in verdicts.items() if k.startswith("Broken") and "compose" in k)
    assert broken["met"] is True and broken["shown"] == "exit 2; kept in 6 of 6"
    fast = next(v for k, v in verdicts.items() if k.startswith("Good") and "compose" in k)
    assert fast["met"] is True and fast["goal"] == "<= 5 s"
    slow = deploy_report.deploy_targets(_deploy_runs(serving=5.5))
    assert next(t for t in slow if t["target"].startswith("Good"))["met"] is False
    assert deploy_report.deploy_targets({"dockyard": [{"cold": 1.0}]}) == []


def test_a_deploy_only_run_replaces_every_deploy_figure_and_keeps_the_rest() -> None:
    data = {
        "meta": {"engine": "26"},
        "config": {"reps": 2, "deploy": {"reps": 2, "load": "old"}},
        "runs": {
            "dockyard": [
                {"cold": 50.0, "deploy_update": 14.6, "update_failed": 0},
                {"cold": 52.0, "swarm_update": 32.1},
            ]
        },  # fmt: skip
    }
    new = {"dockyard": [{"nonce": "a", "deploy_good_seq": 6.0}] * 3}
    merged = deploy_report.merge_deploy_runs(
        data, new, "python -m bench --only deploy", {"reps": 3}
    )
    runs = merged["runs"]["dockyard"]
    assert runs[0] == {"cold": 50.0, "deploy_good_seq": 6.0}
    assert runs[1] == {"cold": 52.0, "deploy_good_seq": 6.0}  # the old swarm figure is gone
    assert runs[2] == {"nonce": "a", "deploy only": True, "deploy_good_seq": 6.0}
    assert merged["config"]["deploy"] == {"reps": 3, "load": "old"}
    assert merged["meta"]["deploy scenarios"] == "python -m bench --only deploy"
    assert data["runs"]["dockyard"][0]["deploy_update"] == 14.6  # the input is left alone


def test_deploy_summary_line() -> None:
    rec = _deploy_runs()["dockyard"][0]
    line = deploy_report.deploy_summary(rec)
    assert line.startswith("compose: first 9.0 s, good update 7.0 s (serving 4.0 s after the ")
    assert "failed 0/0/0/0, broken exit 2; swarm: first 9.0 s" in line
    assert deploy_report.deploy_summary({}) == "deploy scenarios not run"


def test_the_first_deploy_is_held_against_plain_compose_up_in_the_same_repetition() -> None:
    runs = {
        "dockyard": [{"deploy_first_answer": 6.0, "swarm_first_answer": 4.0},
                     {"deploy_first_answer": 5.0, "swarm_first_answer": 3.0}],
        "uvrec": [{"deploy_first_answer": 1.5}, {"deploy_first_answer": 1.0}],
    }  # fmt: skip
    first = deploy_report.first_deploy_target(runs)
    assert first["met"] is False
    assert first["shown"] == "compose 0.2x (5.5 s), swarm 0.4x (3.5 s) vs 1.2 s"
    runs["uvrec"] = [{"deploy_first_answer": 7.0}, {"deploy_first_answer": 6.0}]
    assert deploy_report.first_deploy_target(runs)["met"] is True
    assert deploy_report.first_deploy_target({"dockyard": [{}]})["shown"] == "not measured"
