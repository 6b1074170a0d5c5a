"""The Deploys section of BENCHMARKS.md and the deploy targets, from the runs (pure).

A run's record holds its deploy figures flat (bench/deploy.py): ``<target>_<step>`` with
target ``deploy`` (a compose server: dockyard's compose target, or a baseline's server)
or ``swarm`` (dockyard's swarm target), step ``first``, ``good_seq``, ``good_conc``,
``broken_seq``, ``broken_conc``, and suffixes ``_failed``, ``_requests``, ``_outage``,
``_serving`` (good updates), ``_exit`` and ``_kept`` (broken updates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.deploy_plan import failed_cell
from bench.load import LABELS, MAX_SECONDS, TIMEOUT
from bench.stats import median, same_run_ratios, seconds, times

Runs = Mapping[str, Sequence[Mapping[str, Any]]]

# (variant, target prefix, column heading)
COLUMNS = (
    ("dockyard", "deploy", "dockyard, compose target"),
    ("dockyard", "swarm", "dockyard, swarm target"),
    ("seed", "deploy", "seed's procedure (stop, pull, `up -d`)"),
    ("uvrec", "deploy", "plain `docker compose up -d`"),
)
SERVING_GOAL = 5.0  # seconds from the images on the server to the new release serving
NOT_RUN = "not measured in this run"


def _values(runs: Runs, variant: str, key: str) -> list[Any]:
    return [r[key] for r in runs.get(variant, ()) if r.get(key) is not None]


def measured(runs: Runs) -> bool:
    return any(r.get("deploy_good_seq") is not None for reps in runs.values() for r in reps)


def _times(runs: Runs, variant: str, key: str) -> str:
    """``seq / conc`` medians of a time, for 1 client and 8 clients."""
    cells = [seconds(median(_values(runs, variant, key.format(kind)))) for kind in ("seq", "conc")]
    return " / ".join(cells)


def _failed(runs: Runs, variant: str, key: str) -> str:
    """Median failed of median total (down: first to last failure), and the worst run."""
    failed = _values(runs, variant, f"{key}_failed")
    if not failed:
        return "n/a"
    cell = failed_cell(
        median(failed),
        median(_values(runs, variant, f"{key}_requests")),
        median(_values(runs, variant, f"{key}_outage")),
    )
    return cell + (f"; worst run {max(failed)}" if max(failed) != median(failed) else "")


def _exits(runs: Runs, variant: str, key: str) -> str:
    codes = {c for kind in ("seq", "conc") for c in _values(runs, variant, f"{key}{kind}_exit")}
    codes = sorted(codes)
    return ", ".join(str(c) for c in codes) or "n/a"


def _kept(runs: Runs, variant: str, key: str) -> str:
    kept = [k for kind in ("seq", "conc") for k in _values(runs, variant, f"{key}{kind}_kept")]
    return f"{sum(kept)} of {len(kept)} updates" if kept else "n/a"


def rows() -> list[tuple[str, Any]]:
    """(label, cell function of (runs, variant, target prefix))."""
    seq, conc = LABELS["seq"], LABELS["conc"]
    return [
        (
            "First deploy (parser + api): until healthy (the baselines: until the API answers)",
            lambda r, v, t: seconds(median(_values(r, v, f"{t}_first"))),
        ),
        (
            "First deploy: until the API first answers /health",
            lambda r, v, t: seconds(median(_values(r, v, f"{t}_first_answer"))),
        ),
        (
            "Good update: from the command until healthy, the pull included "
            "(under 1 client / under 8 clients)",
            lambda r, v, t: _times(r, v, t + "_good_{}"),
        ),
        (
            "Good update: from the images on the server to the new release serving "
            "(1 client / 8 clients)",
            lambda r, v, t: _times(r, v, t + "_good_{}_serving"),
        ),
        (
            f"Good update, {seq}: failed of all requests",
            lambda r, v, t: _failed(r, v, f"{t}_good_seq"),
        ),
        (
            f"Good update, {conc}: failed of all requests",
            lambda r, v, t: _failed(r, v, f"{t}_good_conc"),
        ),
        (
            "Broken update (the api raises at import): until the procedure returned "
            "(1 client / 8 clients)",
            lambda r, v, t: _times(r, v, t + "_broken_{}"),
        ),
        (
            f"Broken update, {seq}: failed of all requests",
            lambda r, v, t: _failed(r, v, f"{t}_broken_seq"),
        ),
        (
            f"Broken update, {conc}: failed of all requests",
            lambda r, v, t: _failed(r, v, f"{t}_broken_conc"),
        ),
        ("Broken update: exit code of the procedure", lambda r, v, t: _exits(r, v, f"{t}_broken_")),
        (
            "Broken update: the release before still runs and answers afterwards",
            lambda r, v, t: _kept(r, v, f"{t}_broken_"),
        ),
    ]


def deploy_table(runs: Runs) -> list[str]:
    present = [c for c in COLUMNS if c[0] in runs]
    if present and not any(_values(runs, v, f"{t}_first") for v, t, _ in present):
        present = [c for c in present if c[1] == "deploy"]
    head = ["Deploy scenario", *(heading for _, _, heading in present)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, cell in rows():
        if measured(runs):
            cells = [cell(runs, variant, target) for variant, target, _ in present]
        else:
            cells = [NOT_RUN] * len(present)
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return lines


def deploy_section(runs: Runs, reps: int | None) -> list[str]:
    """The "Deploys" section: what ran, then the table."""
    counted = max((len([r for r in rs if r.get("deploy_good_seq") is not None])
                   for rs in runs.values()), default=0)  # fmt: skip
    swarm = len(_values(runs, "dockyard", "swarm_good_seq"))
    return [
        "## Deploys",
        "",
        f"parser + api on the local engine as the server; each figure is the median of "
        f"{counted} runs (Swarm: {swarm}). Load on loopback only, per update: "
        f"{LABELS['seq']}, or {LABELS['conc']}; a request fails without an HTTP 200 "
        f"within {TIMEOUT:.0f} s; each load stops by itself after {MAX_SECONDS:.0f} s. "
        "Side by side: dockyard, the seed's own procedure and a plain "
        "`docker compose up -d` (each step by step: Deploy scenarios, under How it was "
        "measured).",
        "",
        *deploy_table(runs),
    ]


def _target(name: str, goal: str, shown: str, met: bool | None) -> dict:
    return {"target": name, "goal": goal, "value": None, "shown": shown, "met": met}


def deploy_targets(runs: Runs) -> list[dict]:
    """The issue's deploy targets: 0 failed requests in every case (the worst run counts),
    the broken update exits non-zero and keeps the release before, a good update of
    parser + api serving within 5 s of the images being on the server."""
    if not measured(runs):
        return []
    out = []
    for target, where in (("deploy", "compose target"), ("swarm", "swarm target")):
        steps = [f"{target}_{s}_{k}" for s in ("good", "broken") for k in ("seq", "conc")]
        worst = [max(_values(runs, "dockyard", f"{s}_failed"), default=None) for s in steps]
        done = all(w is not None for w in worst)
        out.append(_target(
            f"Failed requests during a dockyard deploy ({where}): good and broken update, "
            "1 client and 8 clients",
            "0 in every run",
            "not measured" if not done else "worst run: " + " / ".join(str(w) for w in worst),
            None if not done else not any(worst),
        ))  # fmt: skip
        broken = [f"{target}_broken_{k}" for k in ("seq", "conc")]
        exits = [c for key in broken for c in _values(runs, "dockyard", f"{key}_exit")]
        kept = [c for key in broken for c in _values(runs, "dockyard", f"{key}_kept")]
        out.append(_target(
            f"Broken update ({where}): `dockyard deploy` exits non-zero, the release "
            "before keeps serving",
            "every run",
            f"exit {', '.join(str(c) for c in sorted(set(exits)))}; kept in {sum(kept)} of "
            f"{len(kept)}" if exits else "not measured",
            None if not exits else all(exits) and all(kept),
        ))  # fmt: skip
        serving = [median(_values(runs, "dockyard", f"{target}_good_{k}_serving"))
                   for k in ("seq", "conc")]  # fmt: skip
        known = [s for s in serving if s is not None]
        out.append(_target(
            f"Good update of parser + api ({where}): from the images on the server to "
            "the new release serving",
            f"<= {SERVING_GOAL:.0f} s",
            " / ".join(seconds(s) for s in serving) + " (1 client / 8 clients)"
            if known else "not measured",
            None if not known else max(known) <= SERVING_GOAL,
        ))  # fmt: skip
    out.append(first_deploy_target(runs))
    return out


def first_deploy_target(runs: Runs) -> dict:
    """Issue 13's first-deploy-to-healthy, against uv-recommended's plain `docker compose
    up -d`: until the API first answers (the baselines have no healthcheck to wait for),
    dockyard's compose and swarm targets, each ratio taken within the same repetition."""
    cells, verdicts = [], []
    for target, where in (("deploy", "compose"), ("swarm", "swarm")):
        value = median(same_run_ratios(
            runs, "deploy_first_answer", "uvrec", "dockyard", f"{target}_first_answer"
        ))  # fmt: skip
        if value is not None:
            mine = median(_values(runs, "dockyard", f"{target}_first_answer"))
            cells.append(f"{where} {times(value)} ({seconds(mine)})")
            verdicts.append(value >= 1)
    theirs = median(_values(runs, "uvrec", "deploy_first_answer"))
    return _target(
        "First deploy of parser + api on an empty server, until the API first answers, vs "
        "uv-recommended (`docker compose up -d`)",
        "no slower (>= 1.0x)",
        ", ".join(cells) + f" vs {seconds(theirs)}" if cells else "not measured",
        all(verdicts) if verdicts else None,
    )


def deploy_summary(rec: Mapping[str, Any]) -> str:
    """One progress line of a run's deploy figures."""
    parts = []
    for target, name in (("deploy", "compose"), ("swarm", "swarm")):
        if f"{target}_good_seq" not in rec:
            continue
        failed = [rec.get(f"{target}_{s}_{k}_failed") for s in ("good", "broken")
                  for k in ("seq", "conc")]  # fmt: skip
        parts.append(
            f"{name}: first {seconds(rec.get(f'{target}_first'))}, good update "
            f"{seconds(rec.get(f'{target}_good_seq'))} (serving "
            f"{seconds(rec.get(f'{target}_good_seq_serving'))} after the images), "
            f"failed {'/'.join(str(f) for f in failed)}, broken exit "
            f"{rec.get(f'{target}_broken_seq_exit')}"
        )
    if "swarm_error" in rec:
        parts.append(f"swarm failed: {rec['swarm_error']}")
    return "; ".join(parts) or "deploy scenarios not run"


def is_deploy_key(key: str) -> bool:
    """A run record's key that a deploy scenario wrote (this harness's or an older one's)."""
    return key.startswith(("deploy_", "swarm_", "update_"))


def merge_deploy_runs(
    data: Mapping[str, Any], runs: Runs, info: str, config: Mapping[str, Any]
) -> dict[str, Any]:
    """``data`` (a results JSON: meta, config, runs) with every deploy figure replaced by
    those of ``runs`` (a deploy-only run), repetition by repetition; a repetition the
    data lacks gets a record of its own. The other figures stay as they were."""
    merged = {k: [dict(r) for r in reps] for k, reps in data["runs"].items()}
    for variant, records in runs.items():
        mine = merged.setdefault(variant, [])
        mine[:] = [{k: v for k, v in r.items() if not is_deploy_key(k)} for r in mine]
        for index, record in enumerate(records):
            if index == len(mine):
                mine.append({"nonce": record.get("nonce"), "deploy only": True})
            mine[index].update({k: v for k, v in record.items() if is_deploy_key(k)})
    meta = {**data["meta"], "deploy scenarios": info}
    previous = data["config"].get("deploy") or {}
    deploy = {**previous, **config}
    return {"meta": meta, "config": {**data["config"], "deploy": deploy}, "runs": merged}
