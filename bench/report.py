"""Summaries, target verdicts and the BENCHMARKS.md text, from the raw results (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.deploy_report import deploy_section, deploy_targets
from bench.stats import human_bytes, median, same_run_ratios, seconds, times

VARIANTS = ("dockyard", "seed", "uvrec")
LABELS = {"dockyard": "dockyard", "seed": "seed-style", "uvrec": "uv-recommended"}
TIME_METRICS = (
    ("cold", "Cold build of all prod images"),
    ("noop", "No-op rebuild"),
    ("lib_edit", "Edit one function of the shared library, rebuild all"),
    ("app_edit", "Edit one app only, rebuild all"),
    ("add_dep", "Add one small dependency to one app (the bot), rebuild all"),
    (
        "add_dep_parser",
        "Add one small dependency to the parser (scikit-learn under it), rebuild all",
    ),
    ("noop_bake", "BuildKit's own no-op bake of dockyard's bake file (dockyard only)"),
    ("start", "Container start: import each app's entry point, sum of the apps"),
    (
        "start_flat",
        "Container start of the same dockyard images flattened to one layer each "
        "(what the layers cost; dockyard only)",
    ),
    (
        "first_healthy",
        "First deploy of parser + api, the same compose file for each variant's images: "
        "`docker compose up -d --wait` until both are healthy",
    ),
)
BYTE_METRICS = (
    ("unique_bytes", "Total unique bytes of all prod images (compressed, layers once)"),
    ("push_first", "Bytes pushed: first push of all apps"),
    ("push_lib_edit", "Bytes pushed after the shared-library edit"),
    ("push_add_dep_parser", "Bytes pushed: the parser image after adding its dependency"),
    (
        "transfer_lib_edit",
        'Bytes a `transfer = "ssh"` deploy sends after the shared-library edit (parser + api)',
    ),
    ("save_lib_edit", "`dockyard save` of the same images (parser + api: whole images)"),
    ("pyc_bytes", "Bytecode (.pyc) in all prod images, uncompressed"),
)
SHARE_METRICS = (
    ("share_tarball", "bytes", "`dockyard share scripts --save`: the .tar.gz a colleague gets"),
    (
        "share_answer",
        "time",
        "From `docker load` of it until the printed `docker run` has Jupyter answering",
    ),
    ("share_load", "time", "of which `docker load`"),
)
NOT_MEASURED = "not measured in this run"
ONE_MB = 1_000_000


def _target(name: str, value: float | None, ok: bool | None, goal: str, shown: str) -> dict:
    return {"target": name, "goal": goal, "value": value, "shown": shown, "met": ok}


def targets(runs: Mapping[str, list[Mapping[str, Any]]]) -> list[dict]:
    """The issue's targets, each from ratios measured in the same run (median over runs)."""
    lib_seed = median(same_run_ratios(runs, "lib_edit", "seed", "dockyard"))
    lib_uv = median(same_run_ratios(runs, "lib_edit", "uvrec", "dockyard"))
    cold_uv = median(same_run_ratios(runs, "cold", "uvrec", "dockyard"))
    size = median(same_run_ratios(runs, "unique_bytes", "dockyard", "seed"))
    pushed = median(r.get("push_lib_edit") for r in runs.get("dockyard", []))
    noop_seed = median(same_run_ratios(runs, "noop", "seed", "dockyard"))
    noop_uv = median(same_run_ratios(runs, "noop", "uvrec", "dockyard"))
    noop_bake = median(
        r["noop_bake"] / r["noop"]
        for r in runs.get("dockyard", [])
        if r.get("noop_bake") and r.get("noop")
    )
    app_seed = median(same_run_ratios(runs, "app_edit", "seed", "dockyard"))
    dep_seed = median(same_run_ratios(runs, "add_dep_parser", "seed", "dockyard"))
    dep_uv = median(same_run_ratios(runs, "add_dep_parser", "uvrec", "dockyard"))
    dep_bytes = median(r.get("push_add_dep_parser") for r in runs.get("dockyard", []))
    start_uv = median(same_run_ratios(runs, "start", "uvrec", "dockyard"))
    healthy_uv = median(same_run_ratios(runs, "first_healthy", "uvrec", "dockyard"))
    sent = median(r.get("transfer_lib_edit") for r in runs.get("dockyard", []))

    def faster(r: float | None) -> str:
        """``16.9x faster``; a ratio under 1 says ``(slower)`` instead."""
        return times(r) + (" (slower)" if r is not None and r < 1 else " faster")

    def at_least(v: float | None, floor: float) -> bool | None:
        return None if v is None else v >= floor

    return [
        _target(
            "Shared-library edit rebuild vs seed-style",
            lib_seed,
            at_least(lib_seed, 20),
            ">= 20x faster",
            faster(lib_seed),
        ),
        _target(
            "Shared-library edit rebuild vs uv-recommended",
            lib_uv,
            at_least(lib_uv, 1),
            "no slower (>= 1.0x)",
            faster(lib_uv),
        ),
        _target(
            "Cold build vs uv-recommended",
            cold_uv,
            at_least(cold_uv, 1),
            "no slower (>= 1.0x)",
            faster(cold_uv),
        ),
        _target(
            "Total unique bytes of all prod images vs seed-style",
            size,
            None if size is None else size <= 0.60,
            "<= 60% of seed-style",
            "n/a" if size is None else f"{size:.0%} of seed-style",
        ),
        _target(
            "Bytes pushed after a shared-library edit (all apps)",
            pushed,
            None if pushed is None else pushed < ONE_MB,
            "< 1 MB",
            human_bytes(pushed),
        ),
        _target(
            'Bytes a `transfer = "ssh"` deploy sends after a shared-library edit (parser + api)',
            sent,
            None if sent is None else sent < ONE_MB,
            "< 1 MB",
            human_bytes(sent),
        ),
        _target(
            "No-op rebuild vs BuildKit's own no-op bake",
            noop_bake,
            at_least(noop_bake, 1),
            "no slower (>= 1.0x)",
            faster(noop_bake),
        ),
        _target(
            "No-op rebuild vs seed-style",
            noop_seed,
            at_least(noop_seed, 1),
            "no slower (>= 1.0x)",
            faster(noop_seed),
        ),
        _target(
            "No-op rebuild vs uv-recommended",
            noop_uv,
            at_least(noop_uv, 1),
            "no slower (>= 1.0x)",
            faster(noop_uv),
        ),
        _target(
            "App-only edit vs seed-style",
            app_seed,
            at_least(app_seed, 1),
            "no slower (>= 1.0x)",
            faster(app_seed),
        ),
        _target(
            "Add a dependency to the parser vs seed-style",
            dep_seed,
            at_least(dep_seed, 5),
            ">= 5x faster",
            faster(dep_seed),
        ),
        _target(
            "Add a dependency to the parser vs uv-recommended",
            dep_uv,
            at_least(dep_uv, 5),
            ">= 5x faster",
            faster(dep_uv),
        ),
        _target(
            "New layers in the parser image after adding its dependency",
            dep_bytes,
            None if dep_bytes is None else dep_bytes < 5 * ONE_MB,
            "< 5 MB",
            human_bytes(dep_bytes),
        ),
        _target(
            "Container start (import of each app's entry point) vs uv-recommended",
            start_uv,
            at_least(start_uv, 1),
            "no slower (>= 1.0x)",
            faster(start_uv),
        ),
        _target(
            "First deploy of parser + api until healthy, each variant's images under the same "
            "compose file, vs uv-recommended's images",
            healthy_uv,
            at_least(healthy_uv, 1),
            "no slower (>= 1.0x)",
            faster(healthy_uv),
        ),
        *deploy_targets(runs),
    ]


def summarize(results: Mapping[str, Any]) -> dict:
    """Medians per variant and metric, per-app sizes, same-run ratios and target verdicts."""
    runs = results["runs"]
    summary: dict[str, dict[str, float | None]] = {}
    sizes: dict[str, dict[str, dict[str, float | None]]] = {}
    for variant, reps in runs.items():
        keys = [k for k, _ in TIME_METRICS + BYTE_METRICS]
        keys += [k for k, _, _ in SHARE_METRICS]
        summary[variant] = {k: median(r.get(k) for r in reps) for k in keys}
        apps = sorted({app for r in reps for app in r.get("sizes", {})})
        sizes[variant] = {
            app: {
                kind: median(r.get("sizes", {}).get(app, {}).get(kind) for r in reps)
                for kind in ("compressed",)
            }
            for app in apps
        }
    ratios = {
        f"{metric}:{base}/dockyard": median(same_run_ratios(runs, metric, base, "dockyard"))
        for metric in [k for k, _ in TIME_METRICS + BYTE_METRICS]
        for base in ("seed", "uvrec")
    }
    return {"summary": summary, "sizes": sizes, "ratios": ratios, "targets": targets(runs)}


def _cell(kind: str, value: float | None) -> str:
    return seconds(value) if kind == "time" else human_bytes(value)


def scenario_table(results: Mapping[str, Any], derived: Mapping[str, Any]) -> list[str]:
    present = [v for v in VARIANTS if v in results["runs"]]
    bases = [v for v in ("seed", "uvrec") if v in present]
    head = ["Scenario", *(LABELS[v] for v in present)]
    head += [f"{LABELS[b]} ÷ dockyard" for b in bases]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = [(k, label, "time") for k, label in TIME_METRICS]
    rows += [(k, label, "bytes") for k, label in BYTE_METRICS]
    for key, label, kind in rows:
        cells = [label] + [_cell(kind, derived["summary"][v].get(key)) for v in present]
        cells += [times(derived["ratios"].get(f"{key}:{b}/dockyard")) for b in bases]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def share_summary(rec: Mapping[str, Any]) -> str:
    """One progress line of the share scenario's figures."""
    return (
        f"share tarball {human_bytes(rec.get('share_tarball'))}, docker load -> Jupyter "
        f"answers {seconds(rec.get('share_answer'))} (load {seconds(rec.get('share_load'))})"
    )


def share_table(derived: Mapping[str, Any]) -> list[str]:
    summary = derived["summary"].get("dockyard", {})
    lines = ["| Scenario (dockyard only) | Median |", "|---|---|"]
    for key, kind, label in SHARE_METRICS:
        value = summary.get(key)
        shown = "— (not measured: `--share off`, or no scripts app)" if value is None else None
        lines.append(f"| {label} | {shown or _cell(kind, value)} |")
    return lines


def size_table(derived: Mapping[str, Any]) -> list[str]:
    sizes = derived["sizes"]
    present = [v for v in VARIANTS if v in sizes]
    apps = sorted({a for v in present for a in sizes[v]})
    head = ["Prod image", *(LABELS[v] for v in present)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for app in apps:
        cells = [app]
        for v in present:
            cells.append(human_bytes(sizes[v].get(app, {}).get("compressed")))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def target_table(derived: Mapping[str, Any]) -> list[str]:
    lines = ["| Target | Goal | Measured (median of same-run ratios) | Met? |", "|---|---|---|---|"]
    for t in derived["targets"]:
        verdict = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {t['goal']} | {t['shown']} | {verdict} |")
    return lines


def meta_lines(meta: Mapping[str, Any]) -> list[str]:
    return [f"- **{key}**: {value}" for key, value in meta.items()]


def failure_line(runs: Mapping[str, list[Mapping[str, Any]]]) -> str:
    """How many runs were thrown away because a build failed (and repeated from scratch)."""
    counts = {v: sum(r.get("discarded_attempts", 0) for r in reps) for v, reps in runs.items()}
    shown = ", ".join(f"{LABELS.get(v, v)} {n}" for v, n in counts.items())
    return f"- **runs repeated from scratch after a failed build**: {shown}"


def render_markdown(results: Mapping[str, Any], derived: Mapping[str, Any], notes: str) -> str:
    """BENCHMARKS.md: the tables, then how it was measured, then the notes on misses."""
    parts = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (bench/run.py); raw figures in bench/results.json.",
        f"Each figure is the median of {results['config']['reps']} runs; each ratio is the "
        "median of ratios measured within the same run. `A ÷ dockyard` > 1 means dockyard "
        "is faster (times) or smaller (bytes).",
        "",
        "## Scenarios",
        "",
        *scenario_table(results, derived),
        "",
        *deploy_section(results["runs"], results["config"].get("deploy", {}).get("reps")),
        "",
        "## Sharing an environment",
        "",
        "The example's scripts environment as a colleague gets it (README: Sharing an "
        "environment). The engine keeps the base image's layers (other images use them).",
        "",
        *share_table(derived),
        "",
        "## Targets",
        "",
        *target_table(derived),
        "",
        "## Prod image size per app",
        "",
        "Median; compressed layers + config, as the registry stores them.",
        "",
        *size_table(derived),
        "",
        "## Machine",
        "",
        *meta_lines(results["meta"]),
        failure_line(results["runs"]),
        "",
        notes.strip(),
        "",
    ]
    return "\n".join(parts)
