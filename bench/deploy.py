"""The deploy scenarios, per variant, on the local engine as "the server".

Version A is the run's first build (pushed as ``:first``), version B the build after
the shared-library edit (``:libedit``: parser and api both change). Each variant:
1. deploys A on an empty server, timed until it is healthy;
2. updates to B under a bounded loopback load on the api's /health, timed until
   healthy, counting failed and total requests.
dockyard: `dockyard deploy` to a compose target (health-gated) and, when Swarm is
usable, to a swarm target (start-first rolling update). seed-style: the seed's own
procedure (`docker container stop` + `docker compose pull` + `up -d`). uv-recommended:
`docker compose up -d` of a compose file naming the new tag. Everything a scenario
starts is removed in a ``finally``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench import engine
from bench.deploy_plan import DEPLOY_APPS, baseline_compose, dockyard_targets, set_registry
from bench.engine import BenchError, timed
from bench.load import Load, wait_answer
from bench.variants import Variant, member_dir

SWARM_LEAVE_WAIT = 300.0  # seconds to wait for others' services before leaving a swarm


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def quiet(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A docker command for clean-up and polling: never raises, output kept aside."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, timeout=timeout
    )


def logs(container: str) -> tuple[str, str]:
    proc = quiet("logs", container)
    return proc.stdout, proc.stderr


def retag(repo: str, source: str, tag: str) -> None:
    """Point ``repo:tag`` at what ``repo:source`` is, in the registry (nothing local)."""
    engine.docker("buildx", "imagetools", "create", "-t", f"{repo}:{tag}", f"{repo}:{source}")


def healthy_after(step: Callable[[], object], url: str) -> tuple[float, float]:
    """Seconds from the start of ``step`` until ``url`` answers (polled after it), and
    until ``step`` itself returned."""
    started = time.perf_counter()
    step()
    returned = time.perf_counter() - started
    wait_answer(url)
    return time.perf_counter() - started, returned


def settle(container: str, bound: float = 60.0) -> None:
    """Wait (untimed) until the parser's worker runs: it has logged ``starting:``.

    The API answers a second or two after `up -d`, while the parser may still be
    importing; until its worker installs its SIGTERM handler, the parser (PID 1)
    ignores the stop signal and an update waits for Docker's 10 s stop timeout.
    dockyard's deploy returns only when the parser is healthy, i.e. past that point;
    the baselines' version A gets the same settled state before the update.
    """
    deadline = time.monotonic() + bound
    while "starting:" not in "".join(logs(container)):
        if time.monotonic() > deadline:
            raise BenchError(f"{container} did not start its worker within {bound:.0f} s")
        time.sleep(0.5)


def tally(prefix: str, load: Load) -> dict:
    return {
        f"{prefix}_failed": load.tally.failures,
        f"{prefix}_requests": load.tally.requests,
        f"{prefix}_outage": load.tally.outage(),
    }


def deploy_scenarios(variant: Variant, registry: str, port: int, swarm: bool) -> dict:
    """Both deploy scenarios for ``variant``; flat figures for the run's record."""
    if not set(DEPLOY_APPS) <= set(variant.ctx.apps):
        say(f"{variant.key}: deploy scenarios skipped (they need the apps parser and api)")
        return {}
    if variant.key == "dockyard":
        return dockyard_deploys(variant, registry, port, swarm)
    return baseline_deploys(variant, registry, port)


# --- baselines ---------------------------------------------------------------------


def baseline_deploys(variant: Variant, registry: str, port: int) -> dict:
    project = f"bench-deploy-{variant.key}-{variant.nonce}"
    server = variant.root / ".bench" / "server"
    for sub in ("incoming", "logs"):
        (server / sub).mkdir(parents=True, exist_ok=True)
    repo, url = f"{registry}/{variant.name}", f"http://127.0.0.1:{port}/health"
    parser = f"{project}-parser"

    def compose(*args: str) -> None:
        engine.docker("compose", "-p", project, *args, cwd=server, timeout=600)

    def write(tag: str) -> None:
        images = {app: f"{repo}/{app}:{tag}" for app in DEPLOY_APPS}
        (server / "compose.yaml").write_text(baseline_compose(images, port, parser))

    try:
        if variant.key == "seed":  # one moving tag per app, as the seed's server file has
            write("prod")
            for app in DEPLOY_APPS:
                retag(f"{repo}/{app}", "first", "prod")
            first, _ = healthy_after(lambda: (compose("pull", "-q"), compose("up", "-d")), url)
            for app in DEPLOY_APPS:
                retag(f"{repo}/{app}", "libedit", "prod")

            def update() -> None:
                engine.docker("container", "stop", parser)
                compose("pull", "-q")
                compose("up", "-d")
        else:  # uv-recommended: the compose file names each release's tag
            write("first")
            first, _ = healthy_after(lambda: compose("up", "-d"), url)
            write("libedit")

            def update() -> None:
                compose("up", "-d")

        settle(parser)
        with Load(url) as load:
            seconds, command = healthy_after(update, url)
        return {
            "deploy_first": first,
            "deploy_first_answer": first,  # healthy means answering, for the baselines
            "deploy_update": seconds,
            "update_command": command,  # of which the procedure's commands took
            **tally("update", load),
        }
    finally:
        quiet("compose", "-p", project, "down", "--volumes", "--remove-orphans")


# --- dockyard ----------------------------------------------------------------------


def release(variant: Variant, repo: str, label: str) -> None:
    """Commit (a new revision), then tag A or B as that revision's `<version>-<rev>`."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    engine.run([*git, "add", "-A"], cwd=variant.root)
    engine.run([*git, "commit", "-q", "--allow-empty", "-m", label], cwd=variant.root)
    rev = engine.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=variant.root).strip()
    for app in DEPLOY_APPS:
        member = variant.root / member_dir(variant.ctx.apps[app]) / "pyproject.toml"
        version = tomllib.loads(member.read_text())["project"]["version"]
        retag(f"{repo}/{app}", label, f"{version}-{rev}")


def timed_deploy(variant: Variant, target: str, url: str) -> tuple[float, Load]:
    with Load(url) as load:
        seconds = timed(lambda: variant._dockyard("deploy", target))
    return seconds, load


def dockyard_deploys(variant: Variant, registry: str, port: int, swarm: bool) -> dict:
    name = f"bench-deploy-{variant.nonce}"  # compose project / stack: <name>-<target>
    directory, repo = f"/var/tmp/{name}", f"{registry}/{variant.name}"
    manifest = variant.root / "pyproject.toml"
    text = set_registry(manifest.read_text(), name, repo)
    manifest.write_text(text + dockyard_targets(directory, port, port + 1))
    rec: dict = {}
    try:
        rec.update(compose_target(variant, repo, f"http://127.0.0.1:{port}/health", name))
        if swarm:
            rec.update(swarm_target(variant, repo, f"http://127.0.0.1:{port + 1}/health", name))
        return rec
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        remove_pulled(repo)


def compose_target(variant: Variant, repo: str, url: str, name: str) -> dict:
    try:
        release(variant, repo, "first")
        first, load = timed_deploy(variant, "single", url)
        rec = {"deploy_first": first, "deploy_first_answer": load.tally.first_success}
        release(variant, repo, "libedit")
        update, load = timed_deploy(variant, "single", url)
        return {**rec, "deploy_update": update, **tally("update", load)}
    finally:
        quiet("compose", "-p", f"{name}-single", "down", "--volumes", "--remove-orphans")


def swarm_target(variant: Variant, repo: str, url: str, name: str) -> dict:
    """The same on a swarm target; a swarm problem is recorded, not fatal to the run."""
    try:
        with swarm_session():
            try:
                release(variant, repo, "first")
                first, load = timed_deploy(variant, "swarm", url)
                rec = {"swarm_first": first, "swarm_first_answer": load.tally.first_success}
                release(variant, repo, "libedit")
                update, load = timed_deploy(variant, "swarm", url)
                return {**rec, "swarm_update": update, **tally("swarm", load)}
            finally:
                remove_stack(f"{name}-swarm")
    except BenchError as error:
        say(f"dockyard: the swarm deploy scenarios failed: {str(error).splitlines()[-1]}")
        return {"swarm_error": str(error).splitlines()[-1]}


def remove_pulled(repo: str) -> None:
    """Images the deploys pulled by digest (``repo/app@sha256:...``, no tag)."""
    out = quiet("image", "ls", "--digests", "--format", "{{json .}}", "--filter",
                f"reference={repo}/*").stdout  # fmt: skip
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    refs = [f"{r['Repository']}@{r['Digest']}" for r in rows if r.get("Tag") == "<none>"]
    if refs:
        quiet("image", "rm", *refs)


# --- swarm -------------------------------------------------------------------------


def swarm_state() -> str:
    return engine.docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


@contextmanager
def swarm_session() -> Iterator[None]:
    """A usable swarm; one this created is left again, once no other service runs."""
    state = swarm_state()
    if state not in ("active", "inactive"):
        raise BenchError(f"the engine's swarm is {state!r}; not touching it")
    created = state == "inactive"
    if created:
        engine.docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        yield
    finally:
        if created:
            leave_when_alone()


def leave_when_alone() -> None:
    """Leave the swarm this run created, after others' services (if any) are gone."""
    deadline = time.monotonic() + SWARM_LEAVE_WAIT
    while quiet("service", "ls", "-q").stdout.strip():
        if time.monotonic() > deadline:
            say(
                "warning: the swarm this bench created still runs services of others; "
                "left active (leave it with `docker swarm leave --force` when they are done)"
            )
            return
        time.sleep(2)
    quiet("swarm", "leave", "--force")


def remove_stack(stack: str) -> None:
    quiet("stack", "rm", stack)
    label = f"label=com.docker.stack.namespace={stack}"
    deadline = time.monotonic() + 90
    while quiet("ps", "-aq", "--filter", label).stdout.strip():
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    for _ in range(10):  # a volume can stay in use a moment after its containers
        quiet("volume", "rm", f"{stack}_db")
        if quiet("volume", "inspect", f"{stack}_db").returncode != 0:
            break
        time.sleep(1)
