"""Container start: how long each prod image takes to import its app's entry point, and
how many bytes of bytecode it carries (the price of a fast start).

The three variants are timed side by side, not each inside its own run: every variant's
images are built first (warm, untimed) and kept, then each round runs one fresh
container per variant and app, the variants' order rotating from round to round. One
import of the parser's stack varied from 1.1 s to 1.5 s between two runs of the same
image on this shared machine, so timings taken minutes apart (each variant after its
own cold build) compared the machine's load as much as the images.
"""

from __future__ import annotations

import json
import secrets
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bench import engine
from bench.deploy_plan import API_ENV, PARSER_ENV
from bench.engine import BenchError, docker, quiet
from bench.variants import VARIANTS, Context, Variant, copy_example

# What each app imports on start (the parser's stack as the issue measured it).
IMPORTS = {
    "parser": "sklearn.ensemble, sqlalchemy, lol_data_parser",
    "api": "lol_data_api.app",
    "scripts": "pandas, lol_data_scripts",
    "bot": "lol_data_bot",
}
_PROBE = (
    "import time; t = time.perf_counter(); import {modules}; "
    "print(round(time.perf_counter() - t, 4))"
)
# Every .pyc outside the base image's own interpreter, uncompressed.
_PYC_BYTES = (
    "find / -xdev -name '*.pyc' -not -path '/usr/lib/python3*' -printf '%s\\n' 2>/dev/null"
    " | awk '{s += $1} END {print s + 0}'"
)

# Rounds per repetition: each round is one fresh container per variant and app; the
# median of a repetition's rounds is its figure.
ROUNDS = 7
FLAT = "dockyard, one layer"  # dockyard's images flattened, timed beside the others
# Rounds per repetition of the first deploy until healthy (each one a whole `up --wait`).
DEPLOY_ROUNDS = 3
WAIT_TIMEOUT = 120  # seconds `up --wait` may take before the scenario fails
# The same health checks for every variant's images (the manifest's, in a form the
# seed-style image runs too: it has no `lol-data-parser` script, only the module). The
# parser is healthy once its worker has imported its stack and finished a first scan.
_TIMING = {"interval": "10s", "timeout": "5s", "start_period": "60s", "start_interval": "500ms"}
_HEALTH = {
    "parser": ["CMD", "python", "-m", "lol_data_parser", "--health"],
    "api": [
        "CMD", "python", "-c",
        "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("
        "'http://127.0.0.1:8000/health', timeout=5).status == 200 else 1)",
    ],
}  # fmt: skip


def import_seconds(image: str, app: str) -> float:
    """Seconds to import ``app``'s entry point in one fresh container of ``image``."""
    modules = IMPORTS.get(app, app)
    out = docker(
        "run", "--rm", "--entrypoint", "python3", image, "-c", _PROBE.format(modules=modules)
    )
    return float(out.strip().splitlines()[-1])


def pyc_bytes(image: str) -> int:
    out = docker("run", "--rm", "--entrypoint", "sh", image, "-c", _PYC_BYTES)
    return int(out.strip().splitlines()[-1])


def healthy_compose(images: dict[str, str]) -> str:
    """parser + api of one variant's images, health-checked the same way for every variant;
    named volumes (the dockyard images run as a non-root user that a fresh bind mount
    would not let write), nothing published."""
    services = {
        "parser": {
            "image": images["parser"],
            "environment": PARSER_ENV,
            "volumes": ["db:/data", "./incoming:/incoming:ro", "logs:/app/logs"],
            "healthcheck": {"test": _HEALTH["parser"], **_TIMING},
        },
        "api": {
            "image": images["api"],
            "environment": API_ENV,
            "volumes": ["db:/data"],
            "depends_on": ["parser"],
            "healthcheck": {"test": _HEALTH["api"], **_TIMING},
        },
    }
    doc = {"services": services, "volumes": {"db": {}, "logs": {}}}
    return yaml.safe_dump(doc, sort_keys=False)


def healthy_seconds(directory: Path, project: str) -> float:
    """Seconds `docker compose up -d --wait` takes from nothing to parser and api healthy
    (networks and volumes created, both containers started, both health checks passed);
    everything is removed again afterwards, untimed."""
    compose = ["docker", "compose", "-p", project]
    argv = [*compose, "up", "-d", "--wait", "--wait-timeout", str(WAIT_TIMEOUT)]
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=directory, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    engine.log(argv, proc)
    try:
        if proc.returncode != 0:
            logs = quiet("compose", "-p", project, "logs", "--no-color", "--tail", "20").stdout
            tail = "\n".join((proc.stderr + logs).strip().splitlines()[-20:])
            raise BenchError(f"{project}: `up -d --wait` exited {proc.returncode}:\n{tail}")
        return seconds
    finally:
        down = [*compose, "down", "--volumes", "--timeout", "2"]
        engine.log(down, subprocess.run(down, cwd=directory, capture_output=True, text=True))


def first_healthy(images: dict[str, dict[str, str]], workdir: Path, nonce: str,
                  rounds: int = DEPLOY_ROUNDS) -> dict[str, float]:  # fmt: skip
    """variant -> the median over ``rounds`` interleaved rounds of healthy_seconds() for
    its parser and api."""
    dirs = {}
    for key, apps in images.items():
        dirs[key] = workdir / f"healthy-{key}-{nonce}"
        (dirs[key] / "incoming").mkdir(parents=True, exist_ok=True)
        (dirs[key] / "compose.yaml").write_text(healthy_compose(apps))
    times: dict[str, list[float]] = {key: [] for key in images}
    try:
        for order in rotations(list(images), rounds):
            for key in order:
                times[key].append(healthy_seconds(dirs[key], f"bench-healthy-{key}-{nonce}"))
    finally:
        for directory in dirs.values():
            shutil.rmtree(directory, ignore_errors=True)
    return {key: round(statistics.median(ts), 3) for key, ts in times.items()}


def flatten(image: str, tag: str) -> str:
    """A copy of ``image`` as one layer (`docker export` | `docker import`) with the
    environment, user and working directory it runs with: the same files, read through
    one overlay layer instead of the image's stack of them."""
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image))
    changes = [f"ENV {env.split('=', 1)[0]}={env.split('=', 1)[1]}" for env in config["Env"]]
    changes += [f"WORKDIR {config['WorkingDir'] or '/'}"]
    if config.get("User"):
        changes.append(f"USER {config['User']}")
    container = docker("create", image).strip()
    try:
        export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        argv = ["docker", "import", *(f"--change={c}" for c in changes), "-", tag]
        imported = subprocess.run(argv, stdin=export.stdout, capture_output=True, check=False)
        export.wait()
        if export.returncode or imported.returncode:
            raise BenchError(f"flattening {image}: {imported.stderr.decode().strip()}")
    finally:
        quiet("rm", "--force", container)
    return tag


def rotations(keys: list[str], rounds: int) -> list[list[str]]:
    """The variants' order in each round: every variant first as often as the others."""
    return [keys[i % len(keys) :] + keys[: i % len(keys)] for i in range(rounds)]


def interleaved(images: dict[str, dict[str, str]], rounds: int = ROUNDS) -> dict[str, dict]:
    """variant -> {"start": the sum over its apps of each app's median import time,
    "start_apps": app -> that median}; ``images`` is variant -> app -> image."""
    times: dict[str, dict[str, list[float]]] = {
        key: {app: [] for app in apps} for key, apps in images.items()
    }
    for order in rotations(list(images), rounds):
        for key in order:
            for app, ref in images[key].items():
                times[key][app].append(import_seconds(ref, app))
    out = {}
    for key, apps in times.items():
        per_app = {app: round(statistics.median(ts), 4) for app, ts in apps.items()}
        out[key] = {"start": sum(per_app.values()), "start_apps": per_app}
    return out


def start_phase(
    keys: list[str],
    reps: int,
    ctx: Context,
    base: str,
    workdir: Path,
    say: Callable[[str], None],
) -> dict[str, list[dict]]:
    """Build every variant's images (on the base itself, untimed), keep them all,
    then ``reps`` repetitions of ROUNDS interleaved rounds; variant -> one record per
    repetition (start, start_apps, pyc_bytes, pyc_apps and, with parser and api among the
    apps, first_healthy; dockyard's also start_flat and start_flat_apps: its images
    flattened to one layer each, timed in the same rounds). The images go again at the
    end."""
    variants: dict[str, Variant] = {}
    nonce = secrets.token_hex(4)  # one for the phase: its images, folders and projects
    try:
        for key in keys:
            root = workdir / f"start-{key}-{nonce}"
            engine.LOG[:] = [workdir / f"start-{key}-{nonce}.log"]
            copy_example(root)
            variants[key] = variant = VARIANTS[key](ctx, root, nonce, base)
            say(f"start: building {key}'s images (untimed)")
            variant.prepare()
            variant.build()
        engine.LOG[:] = [workdir / "start.log"]
        images = {key: v.images() for key, v in variants.items()}
        if "dockyard" in variants:  # what the layers cost at start: the same files, flat
            say("start: flattening dockyard's images to one layer each")
            flat = f"{variants['dockyard'].name}/flat"
            images[FLAT] = {app: flatten(ref, f"{flat}-{app}:latest")
                            for app, ref in images["dockyard"].items()}  # fmt: skip
        pyc = {key: {app: pyc_bytes(ref) for app, ref in images[key].items()}
               for key in keys}  # fmt: skip
        interleaved(images, rounds=1)  # untimed: the first container of an image pays more
        runs: dict[str, list[dict]] = {key: [] for key in keys}
        deploys = {"parser", "api"} <= set(ctx.apps)
        for rep in range(reps):
            figures = interleaved(images)
            for key in keys:
                record = {**figures[key], "pyc_bytes": sum(pyc[key].values()),
                          "pyc_apps": pyc[key], "start_nonce": nonce}  # fmt: skip
                runs[key].append(record)
            if FLAT in figures:
                runs["dockyard"][-1]["start_flat"] = figures[FLAT]["start"]
                runs["dockyard"][-1]["start_flat_apps"] = figures[FLAT]["start_apps"]
            say(
                f"start rep {rep + 1}/{reps}: imports "
                + ", ".join(f"{key} {figures[key]['start']:.2f} s" for key in figures)
            )
            if not deploys:
                continue
            pairs = {key: {app: images[key][app] for app in ("parser", "api")}
                     for key in keys}  # fmt: skip
            healthy = first_healthy(pairs, workdir, f"{nonce}-{rep}")
            for key in keys:
                runs[key][-1]["first_healthy"] = healthy[key]
            say(
                f"start rep {rep + 1}/{reps}: parser + api healthy "
                + ", ".join(f"{key} {healthy[key]:.2f} s" for key in keys)
            )
        return runs
    finally:
        for variant in variants.values():
            engine.remove_images(engine.images_named(f"{variant.name}/*"))
            shutil.rmtree(variant.root, ignore_errors=True)
