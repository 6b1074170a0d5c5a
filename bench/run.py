"""`make bench`: every scenario for dockyard and both baselines, interleaved per repetition."""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sys
import time
from pathlib import Path

from bench import engine
from bench.deploy import deploy_scenarios
from bench.deploy_plan import DEPLOY_APPS
from bench.deploy_report import deploy_summary, merge_deploy_runs
from bench.engine import BenchError, timed
from bench.load import LABELS, MAX_SECONDS, TIMEOUT
from bench.report import render_markdown, share_summary, summarize
from bench.share import share_scenario
from bench.start import ROUNDS, start_phase
from bench.stats import image_bytes, new_bytes, seconds, unique_bytes
from bench.transfer import transfer_scenario
from bench.variants import (
    REPO,
    VARIANTS,
    Context,
    Dockyard,
    Variant,
    copy_example,
    edit_app,
    edit_library,
    example_apps,
    tool_version,
)

RETRIES = 4  # a failed run is repeated from scratch at most this often
DEPENDENCY = "tabulate==0.9.0"  # small, pure Python, in no app's lock yet
NOTES = Path(__file__).resolve().parent / "NOTES.md"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--reps",
        type=int,
        default=int(os.environ.get("BENCH_REPS", "2")),
        help="repetitions; each figure is their median [default: $BENCH_REPS or 2]",
    )
    p.add_argument(
        "--variants",
        default="dockyard,seed,uvrec",
        help="comma-separated subset of dockyard,seed,uvrec",
    )
    p.add_argument("--apps", default="", help="comma-separated subset of the example's apps")
    p.add_argument(
        "--render",
        action="store_true",
        help="only re-render BENCHMARKS.md from the existing results JSON",
    )
    p.add_argument("--registry", default="127.0.0.1:18250", help="loopback registry ADDR")
    p.add_argument(
        "--registry-root",
        type=Path,
        help="its storage root [default: /var/tmp/dockyard-registry-<port>]",
    )
    p.add_argument(
        "--deploy",
        choices=("all", "compose", "none"),
        default="all",
        help="deploy scenarios: all (dockyard's compose and swarm targets, the baselines' "
        "compose), compose (no swarm), none [default: all]",
    )
    p.add_argument(
        "--deploy-reps",
        type=int,
        default=int(os.environ.get("BENCH_DEPLOY_REPS", "2")),
        help="run the deploy scenarios in the first N repetitions only "
        "[default: $BENCH_DEPLOY_REPS or 2]",
    )
    p.add_argument(
        "--swarm-reps",
        type=int,
        default=int(os.environ.get("BENCH_SWARM_REPS", "1")),
        help="of those, run dockyard's swarm deploy in the first N only (a rolling "
        "update takes about a minute) [default: $BENCH_SWARM_REPS or 1]",
    )
    p.add_argument(
        "--deploy-port",
        type=int,
        default=18480,
        help="loopback port of the deployed api (swarm: the next one) [default: 18480]",
    )
    p.add_argument(
        "--share",
        choices=("on", "off", "only"),
        default="on",
        help="dockyard's share scenario (tarball size, `docker load` until Jupyter answers): "
        "on, off, or only (no other scenario; figures to WORKDIR/share.json) [default: on]",
    )
    p.add_argument(
        "--share-port",
        type=int,
        default=18490,
        help="loopback port of the shared image's Jupyter [default: 18490]",
    )
    p.add_argument(
        "--transfer-port",
        type=int,
        default=18695,
        help="server loopback port of the transfer scenario's registry (bench/transfer.py); "
        "0: no transfer scenario [default: 18695]",
    )
    p.add_argument(
        "--only",
        choices=("build", "deploy", "transfer", "start"),
        help="build: every scenario but the deploy, share and transfer ones, whose figures "
        "are kept from the results JSON by repetition; start: only the container-start "
        "scenario (all variants side by side), merged into the results JSON by repetition; "
        "deploy: only the deploy scenarios "
        "(parser + api, built untimed without the cold-build nonce layer), their figures "
        "merged into the results JSON by repetition (the other figures kept) and "
        'BENCHMARKS.md re-rendered; transfer: likewise, only the transfer = "ssh" '
        "scenario (dockyard's images, A then B)",
    )
    p.add_argument(
        "--keep-cache",
        action="store_true",
        help="keep the BuildKit cache of each cold run's builds (to debug them); by default "
        "the records above the run's nonce layer are pruned when it ends",
    )
    p.add_argument("--workdir", type=Path, default=REPO / ".work" / "bench")
    p.add_argument("--markdown", type=Path, default=REPO / "BENCHMARKS.md")
    p.add_argument("--json", type=Path, default=REPO / "bench" / "results.json")
    args = p.parse_args(argv)
    args.workdir = args.workdir.resolve()  # builds run in copies below it
    return args


def registry_root(args: argparse.Namespace) -> Path:
    root = args.registry_root or Path(
        f"/var/tmp/dockyard-registry-{args.registry.rsplit(':', 1)[1]}"
    )
    config = root / "config.yml"
    if not config.is_file() or args.registry not in config.read_text():
        raise BenchError(
            f"{config} does not configure a registry on {args.registry}; start it with "
            f"scripts/ensure-registry.sh {args.registry} or pass --registry-root"
        )
    return root


def context(args: argparse.Namespace) -> Context:
    from dockyard.buildenv import find_ca_bundle
    from dockyard.engine.uv import uv_bin

    apps = example_apps()
    if args.apps:
        wanted = args.apps.split(",")
        unknown = sorted(set(wanted) - set(apps))
        if unknown:
            raise BenchError(f"--apps: unknown app(s) {', '.join(unknown)}; know {', '.join(apps)}")
        apps = {a: m for a, m in apps.items() if a in wanted}
    dockyard = shutil.which("dockyard", path=str(Path(sys.executable).parent)) or "dockyard"
    ca = find_ca_bundle(None)
    return Context(dockyard, uv_bin(), str(ca) if ca else None, apps)


def meta(base: str, args: argparse.Namespace, ctx: Context) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().split()[1]
    base_id = engine.docker("image", "inspect", "--format", "{{.Id}}", base).strip()
    return {
        "date (UTC)": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "machine": f"{platform.node()}: {os.cpu_count()} cores ({cpu}), "
        f"{int(mem) / 2**20:.0f} GiB RAM, {platform.platform()}",
        "engine": tool_version(
            ["docker", "version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"]
        ),
        "image store": tool_version(["docker", "info", "--format", "{{.DriverStatus}}"]),
        "buildx": tool_version(["docker", "buildx", "version"]),
        "compose": tool_version(["docker", "compose", "version"]),
        "dockyard": tool_version([ctx.dockyard, "--version"]),
        "uv": tool_version([ctx.uv, "--version"]),
        "python (host)": platform.python_version(),
        "base image": f"{base} ({base_id[:19]})",
        "registry": f"{tool_version(['docker-registry', '--version'])} on {args.registry}",
        "apps": ", ".join(ctx.apps),
        "added dependency": DEPENDENCY,
    }


def push_all(variant: Variant, args: argparse.Namespace, root: Path, label: str):
    """Push every app image; the registry's blob-store growth and the pushed manifests."""
    before = engine.blob_store_bytes(root)
    manifests = {}
    for app, ref in variant.images().items():
        repo = f"{variant.name}/{app}"
        engine.push(ref, f"{args.registry}/{repo}:{label}")
        manifests[app] = engine.image_manifest(args.registry, repo, label)
    return engine.blob_store_bytes(root) - before, manifests


def scenarios(
    variant: Variant, args: argparse.Namespace, root: Path, ctx: Context, rep: int
) -> dict:
    rec: dict = {"nonce": variant.nonce}
    tag = f"{variant.key} rep {variant.nonce}"
    rec["cold"] = timed(variant.build)
    say(f"{tag}: cold build {seconds(rec['cold'])}")
    _, manifests = push_all(variant, args, root, "first")
    # What a first push sends is every blob of the images, counted once: an empty
    # registry needs them all. (Storage growth would undercount on a registry that
    # already holds identical layers from an earlier run: dockyard's layers are
    # reproducible, so every rep and every `make bench` yields the same bytes.)
    rec["push_first"] = unique_bytes(manifests.values())
    rec["sizes"] = {app: {"compressed": image_bytes(m)} for app, m in manifests.items()}
    rec["unique_bytes"] = unique_bytes(manifests.values())
    rec["noop"] = timed(variant.build)
    if isinstance(variant, Dockyard):  # BuildKit's own no-op of the same bake, for the floor
        rec["noop_bake"] = timed(variant.bake_again)
    edit_library(variant.root, variant.nonce)
    rec["lib_edit"] = timed(variant.build)
    rec["push_lib_edit"], _ = push_all(variant, args, root, "libedit")
    if isinstance(variant, Dockyard) and args.transfer_port:  # A: the "first" push's tags
        first = {app: f"{args.registry}/{variant.name}/{app}:first" for app in ctx.apps}
        base = os.environ["DOCKYARD_BASE_IMAGE"]
        rec.update(transfer_scenario(first, variant.images(), base, variant.nonce,
                                     args.transfer_port))  # fmt: skip
    edit_app_name = "api" if "api" in ctx.apps else next(iter(ctx.apps))
    edit_app(variant.root, ctx.apps[edit_app_name], variant.nonce)
    rec["app_edit"] = timed(variant.build)
    dep_app = "bot" if "bot" in ctx.apps else next(iter(ctx.apps))
    rec["add_dep"] = timed(lambda: variant.add_dependency(dep_app, DEPENDENCY))
    if "parser" in ctx.apps:  # its heavy stack (scikit-learn, scipy, numpy) stays put
        parser = variant.images()["parser"]
        engine.push(parser, f"{args.registry}/{variant.name}/parser:before-dep")
        rec["add_dep_parser"] = timed(lambda: variant.add_dependency("parser", DEPENDENCY))
        engine.push(parser, f"{args.registry}/{variant.name}/parser:after-dep")
        # The blobs the new image has and the one before lacks, not the store's growth:
        # dockyard's layers are reproducible, so a registry that kept an earlier run's
        # (the same tabulate layer) would grow by the manifest alone.
        repo = f"{variant.name}/parser"
        rec["push_add_dep_parser"] = new_bytes(
            engine.image_manifest(args.registry, repo, "before-dep"),
            engine.image_manifest(args.registry, repo, "after-dep"),
        )
    keys = ("noop", "noop_bake", "lib_edit", "app_edit", "add_dep", "add_dep_parser")
    say(f"{tag}: " + ", ".join(f"{k} {seconds(rec[k])}" for k in keys if k in rec))
    if args.deploy != "none" and rep < args.deploy_reps:
        # A = the "first" push, B = the "libedit" push, both of this run.
        swarm = args.deploy == "all" and rep < args.swarm_reps
        started = time.perf_counter()
        rec.update(deploy_scenarios(variant, args.registry, args.deploy_port, swarm))
        rec["deploy_wall"] = time.perf_counter() - started  # the scenarios' own cost
        say(f"{tag}: {deploy_summary(rec)}")
    if args.share == "on" and variant.key == "dockyard" and "scripts" in ctx.apps:
        rec.update(share(variant, args))
        say(f"{tag}: {share_summary(rec)}")
    return rec


def share(variant: Variant, args: argparse.Namespace) -> dict:
    env = {**os.environ, "DOCKYARD_BASE_IMAGE": variant.base}
    return share_scenario(variant.ctx.dockyard, variant.root, env, variant.name, args.share_port)


def one_run(
    key: str, rep: int, args: argparse.Namespace, root: Path | None, ctx: Context, base: str
):
    nonce = secrets.token_hex(4)
    workdir = args.workdir / f"{key}-{rep}-{nonce}"
    engine.LOG[:] = [args.workdir / f"{key}-{rep}-{nonce}.log"]
    copy_example(workdir)
    nonce_tag = engine.nonce_base(base, nonce)
    variant = VARIANTS[key](ctx, workdir, nonce, nonce_tag)
    try:
        variant.prepare()
        if args.share == "only":
            rec = {"nonce": nonce, **share(variant, args)}
            say(f"{key} rep {nonce}: {share_summary(rec)}")
            return rec
        assert root is not None
        return scenarios(variant, args, root, ctx, rep)
    finally:
        engine.remove_images(engine.images_named(f"{variant.name}/*"))
        engine.remove_images(engine.images_named(f"{args.registry}/{variant.name}/*"))
        engine.remove_images([nonce_tag])
        if not args.keep_cache:  # after the images: BuildKit keeps what one still uses
            engine.prune_cache(nonce, f"{key} rep {nonce}")
        shutil.rmtree(workdir, ignore_errors=True)


def attempts(
    key: str,
    rep: int,
    args: argparse.Namespace,
    root: Path | None,
    ctx: Context,
    base: str,
    runner=None,
):
    """One run; a failed one (BuildKit sometimes fails with an internal error such as
    "inconsistent graph state") is discarded and repeated from scratch with a new nonce."""
    runner = runner or one_run
    for attempt in range(1 + RETRIES):
        try:
            return {**runner(key, rep, args, root, ctx, base), "discarded_attempts": attempt}
        except BenchError as error:
            if attempt == RETRIES:
                raise
            say(f"{key}: run failed, repeating it from scratch: {str(error).splitlines()[-1]}")
    raise AssertionError("unreachable")


def warm_up(args: argparse.Namespace, ctx: Context, base: str) -> None:
    """Fill the uv download cache both uv-based variants share (untimed)."""
    from bench.variants import Dockyard

    workdir = args.workdir / "warm-up"
    shutil.rmtree(workdir, ignore_errors=True)
    engine.LOG[:] = [args.workdir / "warm-up.log"]
    variant = Dockyard(ctx, copy_example(workdir), "warmup", base)
    try:
        variant.prepare()
        variant.build()
    finally:
        engine.remove_images(engine.images_named(f"{variant.name}/*"))
        shutil.rmtree(workdir, ignore_errors=True)


def share_only(args: argparse.Namespace, ctx: Context, base: str) -> int:
    """Only the share scenario (dockyard), BENCH_REPS times; figures to WORKDIR/share.json."""
    runs = [attempts("dockyard", rep, args, None, ctx, base) for rep in range(args.reps)]
    out = args.workdir / "share.json"
    out.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    medians = summarize({"runs": {"dockyard": runs}})["summary"]["dockyard"]
    say(f"median of {len(runs)}: {share_summary(medians)}")
    say(f"wrote {out}")
    return 0


def deploy_run(
    key: str, rep: int, args: argparse.Namespace, root: Path | None, ctx: Context, base: str
) -> dict:
    """The deploy scenarios alone: A and B built on the base itself (warm, untimed)."""
    nonce = secrets.token_hex(4)
    workdir = args.workdir / f"deploy-{key}-{rep}-{nonce}"
    engine.LOG[:] = [args.workdir / f"deploy-{key}-{rep}-{nonce}.log"]
    copy_example(workdir)
    variant = VARIANTS[key](ctx, workdir, nonce, base)
    try:
        variant.prepare()
        variant.build()
        for label in ("first", "libedit"):
            for app, ref in variant.images().items():
                engine.push(ref, f"{args.registry}/{variant.name}/{app}:{label}")
            if label == "first":
                edit_library(variant.root, nonce)
                variant.build()
        swarm = args.deploy == "all" and rep < args.swarm_reps
        rec = {"nonce": nonce, **deploy_scenarios(variant, args.registry, args.deploy_port, swarm)}
        say(f"{key} rep {nonce}: {deploy_summary(rec)}")
        return rec
    finally:
        engine.remove_images(engine.images_named(f"{variant.name}/*"))
        engine.remove_images(engine.images_named(f"{args.registry}/{variant.name}/*"))
        shutil.rmtree(workdir, ignore_errors=True)


def deploy_only(args: argparse.Namespace, keys: list[str], base: str) -> int:
    """`--only deploy`: the deploy scenarios, merged into the results JSON by repetition."""
    if not args.apps:
        args.apps = ",".join(DEPLOY_APPS)
    root, ctx = registry_root(args), context(args)
    started, load = time.monotonic(), [os.getloadavg()[0]]
    runs: dict[str, list[dict]] = {k: [] for k in keys}
    for rep in range(args.reps):
        for key in keys:
            say(f"deploy rep {rep + 1}/{args.reps}: {key}")
            runs[key].append(attempts(key, rep, args, root, ctx, base, deploy_run))
            load.append(os.getloadavg()[0])
            (args.workdir / "deploy.json").write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    argv = " ".join(sys.argv[1:])
    info = (
        f"`python -m bench {argv}` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{args.reps} reps interleaved, {(time.monotonic() - started) / 60:.0f} min, load "
        f"average (1 min) {min(load):.1f}-{max(load):.1f}; every other figure is from the "
        "run described above"
    )
    data = json.loads(args.json.read_text())
    swarm = min(args.reps, args.swarm_reps) if args.deploy == "all" else 0
    config = {
        "scenarios": args.deploy,
        "reps": args.reps,
        "swarm reps": swarm,
        "load": f"{LABELS['seq']}, or {LABELS['conc']}; at most {MAX_SECONDS:.0f} s each, "
        f"{TIMEOUT:.0f} s timeout",
    }
    results = merge_deploy_runs(data, runs, info, config)
    write_results(args, results)
    say(f"merged the deploy figures into {args.json}; wrote {args.markdown}")
    return 0


def transfer_run(
    key: str, rep: int, args: argparse.Namespace, root: Path | None, ctx: Context, base: str
) -> dict:
    """The transfer scenario alone: dockyard's A and B built on the base (warm, untimed)."""
    nonce = secrets.token_hex(4)
    workdir = args.workdir / f"transfer-{rep}-{nonce}"
    engine.LOG[:] = [args.workdir / f"transfer-{rep}-{nonce}.log"]
    copy_example(workdir)
    variant = VARIANTS[key](ctx, workdir, nonce, base)
    try:
        variant.prepare()
        variant.build()
        first = {app: f"{variant.name}/{app}:first" for app in ctx.apps}
        for app, ref in variant.images().items():
            engine.run(["docker", "tag", ref, first[app]])
        edit_library(variant.root, nonce)
        variant.build()
        rec = transfer_scenario(first, variant.images(), base, nonce, args.transfer_port)
        say(f"transfer rep {nonce}: {rec}")
        return {"nonce": nonce, **rec}
    finally:
        engine.remove_images(engine.images_named(f"{variant.name}/*"))
        shutil.rmtree(workdir, ignore_errors=True)


def transfer_only(args: argparse.Namespace, base: str) -> int:
    """`--only transfer`: the transfer scenario, its figures merged into dockyard's runs
    by repetition (every other figure kept)."""
    if not args.transfer_port:
        raise BenchError("--only transfer needs a --transfer-port")
    args.apps = args.apps or ",".join(DEPLOY_APPS)
    ctx, started = context(args), time.monotonic()
    records = [attempts("dockyard", rep, args, None, ctx, base, transfer_run)
               for rep in range(args.reps)]  # fmt: skip
    data = json.loads(args.json.read_text())
    mine = data["runs"].setdefault("dockyard", [])
    for index, record in enumerate(records):
        if index == len(mine):
            mine.append({"nonce": record["nonce"], "transfer only": True})
        mine[index].update(
            {k: v for k, v in record.items() if k.startswith(("transfer_", "save_"))}
        )
    data["meta"]["transfer scenario"] = (
        f"`python -m bench {' '.join(sys.argv[1:])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {args.reps} reps, "
        f"{(time.monotonic() - started) / 60:.0f} min"
    )
    results = {k: data[k] for k in ("meta", "config", "runs")}
    write_results(args, results)
    say(f"merged the transfer figures into {args.json}; wrote {args.markdown}")
    return 0


START_KEYS = (
    "start", "start_apps", "start_flat", "start_flat_apps", "pyc_bytes", "pyc_apps",
    "first_healthy", "start_nonce",
)  # fmt: skip


def merge_start(runs: dict[str, list[dict]], start: dict[str, list[dict]]) -> None:
    """The start phase's records into each variant's runs, by repetition."""
    for key, records in start.items():
        mine = runs.setdefault(key, [])
        for index, record in enumerate(records):
            if index == len(mine):
                mine.append({"start only": True})
            mine[index].update({k: v for k, v in record.items() if k in START_KEYS})


def start_only(args: argparse.Namespace, keys: list[str], base: str) -> int:
    """`--only start`: the container-start scenario, its figures merged into the results
    JSON by repetition (every other figure kept)."""
    ctx, started = context(args), time.monotonic()
    load = [os.getloadavg()[0]]
    start = start_phase(keys, args.reps, ctx, base, args.workdir, say)
    load.append(os.getloadavg()[0])
    data = json.loads(args.json.read_text())
    merge_start(data["runs"], start)
    data["meta"]["start scenario"] = (
        f"`python -m bench {' '.join(sys.argv[1:])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {args.reps} reps of "
        f"{ROUNDS} interleaved rounds, {(time.monotonic() - started) / 60:.0f} min, load "
        f"average (1 min) {min(load):.1f}-{max(load):.1f}"
    )
    results = {k: data[k] for k in ("meta", "config", "runs")}
    write_results(args, results)
    say(f"merged the container-start figures into {args.json}; wrote {args.markdown}")
    return 0


def write_results(args: argparse.Namespace, results: dict) -> None:
    """The results JSON (raw figures and what is derived from them) and BENCHMARKS.md."""
    derived = summarize(results)
    args.json.write_text(json.dumps({**results, **derived}, indent=2) + "\n")
    args.markdown.write_text(render_markdown(results, derived, NOTES.read_text()))


def render(args: argparse.Namespace) -> int:
    data = json.loads(args.json.read_text())
    results = {k: data[k] for k in ("meta", "config", "runs")}
    write_results(args, results)
    say(f"wrote {args.markdown} from {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.render:
        return render(args)
    try:
        return _main(args)
    except BenchError as error:
        say(f"error: {error}")
        return 1


def _main(args: argparse.Namespace) -> int:
    base = os.environ.get("DOCKYARD_BASE_IMAGE")
    if not base:
        raise BenchError("DOCKYARD_BASE_IMAGE is not set; run `make bench` (it sets one up)")
    keys = args.variants.split(",")
    if unknown := sorted(set(keys) - set(VARIANTS)):
        raise BenchError(f"--variants: unknown {', '.join(unknown)}; know {', '.join(VARIANTS)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.only == "deploy":
        return deploy_only(args, keys, base)
    if args.only == "transfer":
        return transfer_only(args, base)
    if args.only == "start":
        return start_only(args, keys, base)
    if args.share == "only":  # needs no registry: the colleague gets a .tar.gz
        return share_only(args, context(args), base)
    kept = None
    if args.only == "build":  # the other figures come from the results JSON
        kept = json.loads(args.json.read_text())
        args.deploy, args.share, args.transfer_port = "none", "off", 0
    root, ctx = registry_root(args), context(args)
    info, started = meta(base, args, ctx), time.monotonic()
    load = [os.getloadavg()[0]]
    say(f"pushing the base image to {args.registry} once (no variant pays for it)")
    engine.push(base, f"{args.registry}/dockyard-bench/base:latest")
    engine.remove_images([f"{args.registry}/dockyard-bench/base:latest"])  # the tag only
    say("warm-up: filling the shared uv download cache (untimed)")
    warm_up(args, ctx, base)
    runs: dict[str, list[dict]] = {k: [] for k in keys}
    config = {"reps": args.reps, "variants": keys, "apps": list(ctx.apps), "dependency": DEPENDENCY}
    config["deploy"] = {
        "scenarios": args.deploy,
        "reps": min(args.reps, args.deploy_reps) if args.deploy != "none" else 0,
        "swarm reps": min(args.reps, args.deploy_reps, args.swarm_reps)
        if args.deploy == "all"
        else 0,
        "load": f"{LABELS['seq']}, or {LABELS['conc']}; at most {MAX_SECONDS:.0f} s each, "
        f"{TIMEOUT:.0f} s timeout",
    }
    for rep in range(args.reps):
        for key in keys:
            say(f"rep {rep + 1}/{args.reps}: {key}")
            runs[key].append(attempts(key, rep, args, root, ctx, base))
            load.append(os.getloadavg()[0])
            partial = {"meta": info, "config": config, "runs": runs}
            args.json.write_text(json.dumps(partial, indent=2) + "\n")  # --render recovers it
    say(f"container start: every variant's images side by side, {ROUNDS} rounds per rep")
    merge_start(runs, start_phase(keys, args.reps, ctx, base, args.workdir, say))
    load.append(os.getloadavg()[0])
    info["load average (1 min) during the run"] = (
        f"{min(load):.1f}-{max(load):.1f} (the engine and CPUs are shared with other "
        "engineers building and testing at the same time)"
    )
    info["wall-clock of the whole run"] = f"{(time.monotonic() - started) / 60:.0f} min"
    results = {"meta": info, "config": config, "runs": runs}
    if kept is not None:
        results = keep_other_figures(results, kept)
    write_results(args, results)
    say(f"wrote {args.markdown} and {args.json}")
    return 0


KEPT_PREFIXES = ("deploy_", "swarm_", "transfer_", "save_", "share_")


def keep_other_figures(results: dict, kept: dict) -> dict:
    """`--only build`: the deploy, swarm, transfer and share figures of the earlier results,
    each run's by repetition, beside this run's build figures (an earlier repetition this
    run did not reach is kept as a record of its own); the Machine section says which run
    each comes from."""
    for key, old in kept["runs"].items():
        runs = results["runs"].setdefault(key, [])
        for index, earlier in enumerate(old):
            figures = {k: v for k, v in earlier.items() if k.startswith(KEPT_PREFIXES)}
            if index < len(runs):
                runs[index].update(figures)
            elif figures:
                runs.append({"kept only": True, **figures})
    meta = results["meta"]
    for name in ("deploy scenarios", "transfer scenario", "share scenario"):
        if name in kept["meta"]:  # a figure kept twice still names the run that measured it
            meta[name] = kept["meta"][name]
    meta.setdefault(
        "share scenario",
        f"from the run of {kept['meta'].get('date (UTC)', 'an earlier date')} UTC; this run "
        "(`--only build`) measured the build, size, push and start figures",
    )
    if "deploy" in kept.get("config", {}):
        results["config"]["deploy"] = kept["config"]["deploy"]
    return results
