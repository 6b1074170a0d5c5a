"""The harness's only contact with the outside: subprocesses, the engine, the registry."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import buildcache
from bench.stats import INDEX_TYPES, MANIFEST_TYPES, human_bytes, image_manifests

LOG: list[Path] = []  # the current step's log file (set by run.py)


class BenchError(Exception):
    """A step of the benchmark failed; the message names it and ends with its output."""


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 1800,
) -> str:
    """Run a command, append its output to the log; raise BenchError with the tail on failure."""
    argv = [str(a) for a in args]
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        input=input,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if LOG:
        with LOG[0].open("a") as log:
            log.write(f"$ {' '.join(argv)}  (cwd {cwd})\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise BenchError(f"`{' '.join(argv[:4])} ...` exited {proc.returncode}:\n{tail}")
    return proc.stdout


def log(argv: Sequence[str], proc: subprocess.CompletedProcess) -> None:
    """Append a finished command and its output to the step's log."""
    if LOG:
        with LOG[0].open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n{proc.stdout or ''}{proc.stderr or ''}\n")


def run_lines(
    args: Sequence[str], *, cwd: Path, env: dict[str, str], marks: dict[str, str]
):  # -> deploy_plan.Outcome
    """Run a command, reading its stderr as it comes: its exit code, its seconds, and
    for each of ``marks`` (name -> text) when the first stderr line holding the text
    came (``serving``, when no line did: the end). Never raises on a non-zero exit."""
    from bench.deploy_plan import Outcome

    started = time.perf_counter()
    seen: dict[str, float] = {}
    lines: list[str] = []
    with subprocess.Popen(
        list(args), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    ) as proc:  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            for name, text in marks.items():
                if name not in seen and text in line:
                    seen[name] = time.perf_counter() - started
    seconds = time.perf_counter() - started
    log(args, subprocess.CompletedProcess(args, proc.returncode, "", "".join(lines)))
    return Outcome(proc.returncode, seconds, seen.get("images"), seen.get("serving", seconds))


def quiet(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A docker command for clean-up and polling: never raises, output kept aside."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, timeout=timeout
    )


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def timed(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def docker(*args: str, **kw) -> str:
    return run(["docker", *args], **kw)


def nonce_base(base: str, nonce: str) -> str:
    """``base`` plus one tiny layer unique to this run: nothing below it can hit a cache."""
    tag = f"dockyard-bench/base:{nonce}"
    dockerfile = f"FROM {base}\nRUN echo {nonce} > {buildcache.NONCE_FILE}\n"
    docker("buildx", "build", "--load", "--quiet", "-t", tag, "-", input=dockerfile)
    return tag


def remove_images(refs: Sequence[str]) -> None:
    present = [r for r in refs if r]
    if present:
        subprocess.run(["docker", "image", "rm", *present], capture_output=True, check=False)


def prune_cache(nonce: str, label: str) -> None:
    """Remove the BuildKit cache records this nonce's builds made (bench.buildcache), after
    its images are gone (BuildKit keeps a record an image still uses); say what went, in
    one line. Never raises: a failure is a warning, the run's figures are measured by then.
    A dockyard cold run here: 52 records, 869 MB, 10 s (0.5 s of it `buildx du`)."""
    started = time.perf_counter()
    try:
        listing = quiet("buildx", "du", "--verbose")  # ~1 MB on a busy engine: not logged
        if listing.returncode != 0:
            raise BenchError(f"`docker buildx du` exited {listing.returncode}: {listing.stderr}")
        ids = buildcache.made_by(buildcache.records(listing.stdout), nonce)
        pruned: dict[str, dict[str, str]] = {}
        for value in buildcache.id_filters(ids):
            out = docker("buildx", "prune", "--force", "--verbose", "--filter", value, timeout=600)
            pruned.update(buildcache.records(out))
        size = sum(buildcache.size_bytes(r.get("Size", "0B")) for r in pruned.values())
        say(
            f"{label}: pruned {len(pruned)} of its {len(ids)} build-cache records, "
            f"{human_bytes(size)} ({time.perf_counter() - started:.1f} s)"
        )
    except (BenchError, ValueError, OSError, subprocess.SubprocessError) as error:
        why = (str(error).strip().splitlines() or [type(error).__name__])[-1]
        say(f"{label}: warning: its build cache is left in place: {why}")


def images_named(pattern: str) -> list[str]:
    out = docker(
        "image", "ls", "--filter", f"reference={pattern}", "--format", "{{.Repository}}:{{.Tag}}"
    )
    return [line for line in out.splitlines() if line and "<none>" not in line]


def push(ref: str, remote: str) -> None:
    docker("tag", ref, remote)
    docker("push", "--quiet", remote)


def blob_store_bytes(root: Path) -> int:
    """Bytes of every blob the registry stores (its filesystem driver's blob directory)."""
    blobs = root / "data" / "docker" / "registry" / "v2" / "blobs"
    return sum(p.stat().st_size for p in blobs.rglob("data") if p.is_file())


def _get(url: str, accept: Sequence[str]) -> dict:
    request = urllib.request.Request(url, headers={"Accept": ", ".join(accept)})
    with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
        return json.loads(response.read())


def image_manifest(addr: str, repo: str, tag: str) -> dict:
    """The image manifest the registry serves for repo:tag (through an index if there is one)."""
    found = _get(f"http://{addr}/v2/{repo}/manifests/{tag}", INDEX_TYPES + MANIFEST_TYPES)
    if "manifests" in found:
        digests = image_manifests(found)
        if len(digests) != 1:
            raise BenchError(f"{repo}:{tag}: expected one image manifest, found {len(digests)}")
        found = _get(f"http://{addr}/v2/{repo}/manifests/{digests[0]}", MANIFEST_TYPES)
    return found
