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
import os
import shutil
import time
import tomllib
from collections.abc import Callable

from bench import engine
from bench.deploy_plan import DEPLOY_APPS, baseline_compose, dockyard_targets, set_registry
from bench.engine import BenchError, quiet, say, timed
from bench.load import Load, wait_answer
from bench.swarm import remove_stack, swarm_session
from bench.variants import Variant, member_dir


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


class BaselineServer:
    """A baseline's server: its compose file, project and container names."""

    def __init__(self, variant: Variant, registry: str, port: int) -> None:
        self.project = f"bench-deploy-{variant.key}-{variant.nonce}"
        self.dir = variant.root / ".bench" / "server"
        for sub in ("incoming", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.repo, self.port = f"{registry}/{variant.name}", port
        self.url = f"http://127.0.0.1:{port}/health"
        self.parser = f"{self.project}-parser"

    def compose(self, *args: str) -> None:
        engine.docker("compose", "-p", self.project, *args, cwd=self.dir, timeout=600)

    def write(self, tag: str) -> None:
        images = {app: f"{self.repo}/{app}:{tag}" for app in DEPLOY_APPS}
        (self.dir / "compose.yaml").write_text(baseline_compose(images, self.port, self.parser))

    def retag(self, source: str, tag: str) -> None:
        for app in DEPLOY_APPS:
            retag(f"{self.repo}/{app}", source, tag)

    def seed(self) -> tuple[float, Callable[[], None]]:
        """The seed's procedure, one moving tag per app: the first deploy's time, the update."""
        self.write("prod")
        self.retag("first", "prod")
        first, _ = healthy_after(
            lambda: (self.compose("pull", "-q"), self.compose("up", "-d")), self.url
        )
        self.retag("libedit", "prod")  # "built and uploaded the latest version"

        def update() -> None:
            engine.docker("container", "stop", self.parser)
            self.compose("pull", "-q")
            self.compose("up", "-d")

        return first, update

    def uvrec(self) -> tuple[float, Callable[[], None]]:
        """`docker compose up -d` of a compose file naming each release's tag."""
        self.write("first")
        first, _ = healthy_after(lambda: self.compose("up", "-d"), self.url)
        self.write("libedit")
        return first, lambda: self.compose("up", "-d")

    def down(self) -> None:
        quiet("compose", "-p", self.project, "down", "--volumes", "--remove-orphans")


def baseline_deploys(variant: Variant, registry: str, port: int) -> dict:
    server = BaselineServer(variant, registry, port)
    try:
        first, update = server.seed() if variant.key == "seed" else server.uvrec()
        settle(server.parser)
        with Load(server.url) as load:
            seconds, command = healthy_after(update, server.url)
        return {
            "deploy_first": first,
            "deploy_first_answer": first,  # healthy means answering, for the baselines
            "deploy_update": seconds,
            "update_command": command,  # of which the procedure's commands took
            **tally("update", load),
        }
    finally:
        server.down()


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
    # the compose target's dockyard-proxy: this run's own, removed afterwards
    proxy = os.environ["DOCKYARD_PROXY"] = f"{name}-proxy"
    rec: dict = {}
    try:
        rec.update(compose_target(variant, repo, f"http://127.0.0.1:{port}/health", name))
        if swarm:
            rec.update(swarm_target(variant, repo, f"http://127.0.0.1:{port + 1}/health", name))
        return rec
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        remove_pulled(repo)
        quiet("rm", "--force", proxy)
        quiet("network", "rm", proxy)
        quiet("volume", "rm", proxy)
        os.environ.pop("DOCKYARD_PROXY", None)


def _first_then_update(variant: Variant, repo: str, target: str, url: str, key: str, label: str):
    """Deploy release A on an empty target, then update it to B: timings and the load."""
    release(variant, repo, "first")
    first, load = timed_deploy(variant, target, url)
    rec = {f"{key}_first": first, f"{key}_first_answer": load.tally.first_success}
    release(variant, repo, "libedit")
    update, load = timed_deploy(variant, target, url)
    return {**rec, f"{key}_update": update, **tally(label, load)}


def compose_target(variant: Variant, repo: str, url: str, name: str) -> dict:
    try:
        return _first_then_update(variant, repo, "single", url, "deploy", "update")
    finally:
        quiet("compose", "-p", f"{name}-single", "down", "--volumes", "--remove-orphans")


def swarm_target(variant: Variant, repo: str, url: str, name: str) -> dict:
    """The same on a swarm target; a swarm problem is recorded, not fatal to the run."""
    try:
        with swarm_session():
            try:
                return _first_then_update(variant, repo, "swarm", url, "swarm", "swarm")
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
