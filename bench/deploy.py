"""The deploy scenarios, per variant, on the local engine as "the server".

Three releases of parser + api, all in the bench registry: A, the run's first build
(``:first``); B, the build after the shared-library edit (``:libedit``: both apps
change); and X, a broken one: the run's tree with one line added to the api's app
module, ``raise RuntimeError(...)`` at import, built and pushed untimed (``:broken``).
Each variant, on each of its targets:
1. deploys A on an empty server, timed until healthy;
2. updates A -> B under one sequential client (25 requests/s), timed until healthy;
3. updates B -> A under 8 concurrent clients, the same way;
4. updates A -> X under the sequential client: the procedure's exit code, the failed
   requests until it returned and OBSERVE seconds after, and whether the release that
   ran before still runs and answers afterwards;
5. the same under the 8 clients (a baseline server, which X broke, gets A back first,
   untimed).
dockyard: `dockyard deploy` to a compose target (health-gated, blue/green behind its
proxy) and, when Swarm is usable, to a swarm target. seed-style: the seed's own
procedure (`docker container stop` + `docker compose pull` + `up -d`). uv-recommended:
plain `docker compose up -d` of a compose file naming the release's tag. Everything a
scenario starts is removed in a ``finally``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import tomllib

from bench import engine
from bench.deploy_plan import (
    DEPLOY_APPS,
    Outcome,
    baseline_compose,
    dockyard_targets,
    set_registry,
)
from bench.engine import BenchError, quiet, say
from bench.load import Load, answers, wait_answer
from bench.swarm import remove_stack, swarm_session
from bench.variants import Variant, member_dir

OBSERVE = 3.0  # seconds the clients keep going after a broken update's procedure returned
BROKEN_LINE = '\nraise RuntimeError("broken release (bench)")\n'
# dockyard's notes that mark the moments the figures are measured between
IMAGES_NOTE = "the images are on "
SERVING_NOTE = "api: the proxy sends every new request"
SWARM_SERVING_NOTE = "every task runs the new release now"  # of parser, api


def logs(container: str) -> tuple[str, str]:
    proc = quiet("logs", container)
    return proc.stdout, proc.stderr


def retag(repo: str, source: str, tag: str) -> None:
    """Point ``repo:tag`` at what ``repo:source`` is, in the registry (nothing local)."""
    engine.docker("buildx", "imagetools", "create", "-t", f"{repo}:{tag}", f"{repo}:{source}")


def settle(container: str, bound: float = 60.0) -> None:
    """Wait (untimed) until the parser's worker runs: it has logged ``starting:``.

    The API answers a second or two after `up -d`, while the parser may still be
    importing; until its worker installs its SIGTERM handler, the parser (PID 1)
    ignores the stop signal and an update waits for Docker's 10 s stop timeout.
    dockyard's deploy returns only when the parser is healthy, i.e. past that point;
    the baselines' version before each update gets the same settled state.
    """
    deadline = time.monotonic() + bound
    while "starting:" not in "".join(logs(container)):
        if time.monotonic() > deadline:
            raise BenchError(f"{container} did not start its worker within {bound:.0f} s")
        time.sleep(0.5)


def build_broken(variant: Variant, registry: str) -> None:
    """Release X: the api raises at import; parser and api pushed as ``:broken``."""
    member = variant.ctx.apps["api"]
    app = variant.root / member_dir(member) / "src" / member.replace("-", "_") / "app.py"
    good = app.read_text()
    app.write_text(good + BROKEN_LINE)
    try:
        variant.build()
        for name in DEPLOY_APPS:
            engine.push(variant.images()[name], f"{registry}/{variant.name}/{name}:broken")
    finally:
        app.write_text(good)


def deploy_scenarios(variant: Variant, registry: str, port: int, swarm: bool) -> dict:
    """Every deploy scenario for ``variant``; flat figures for the run's record."""
    if not set(DEPLOY_APPS) <= set(variant.ctx.apps):
        say(f"{variant.key}: deploy scenarios skipped (they need the apps parser and api)")
        return {}
    build_broken(variant, registry)
    if variant.key == "dockyard":
        return dockyard_deploys(variant, registry, port, swarm)
    server = BaselineServer(variant, registry, port)
    try:
        return story(server, "deploy")
    finally:
        server.down()


# --- one server's story ------------------------------------------------------------


class Server:
    """A target the scenarios update: how to deploy a release there, and what runs."""

    put_back_needed = False  # does a broken update leave it needing A again?

    def __init__(self, url: str) -> None:
        self.url = url

    def settle(self) -> None:
        """Wait (untimed) until what runs is ready to be updated."""

    def update(self, label: str, broken: bool) -> Outcome:
        """Deploy release ``label``; a good one must come up (else BenchError)."""
        raise NotImplementedError

    def running(self) -> dict[str, str]:
        """app -> the image its running container(s) run."""
        raise NotImplementedError


def story(server: Server, key: str) -> dict:
    """Steps 1-5 on ``server``; figures prefixed with ``key`` (deploy, swarm)."""
    with Load(server.url) as load:
        first = server.update("first", broken=False)
    rec: dict = {f"{key}_first": first.seconds, f"{key}_first_answer": load.tally.first_success}
    for kind, label in (("seq", "libedit"), ("conc", "first")):
        server.settle()
        rec.update(measured(server, label, kind, f"{key}_good_{kind}", broken=False))
    for kind in ("seq", "conc"):
        if kind == "conc" and server.put_back_needed:  # a baseline: X broke its server
            server.update("first", broken=False)
        server.settle()
        rec.update(measured(server, "broken", kind, f"{key}_broken_{kind}", broken=True))
    return rec


def measured(server: Server, label: str, kind: str, prefix: str, broken: bool) -> dict:
    """One update under ``kind`` of load, and what it did."""
    before = server.running()
    with Load(server.url, kind) as load:
        outcome = server.update(label, broken)
        if broken:
            time.sleep(OBSERVE)  # what the clients see once the procedure returned
    rec = {
        prefix: outcome.seconds,
        f"{prefix}_failed": load.tally.failures,
        f"{prefix}_requests": load.tally.requests,
        f"{prefix}_outage": load.tally.outage(),
    }
    if broken:
        rec[f"{prefix}_exit"] = outcome.code
        rec[f"{prefix}_kept"] = int(answers(server.url) and server.running() == before)
    else:
        rec[f"{prefix}_serving"] = outcome.serving_after_images()
    return rec


# --- baselines ---------------------------------------------------------------------


class BaselineServer(Server):
    """A baseline's server: its compose file, project and container names."""

    put_back_needed = True

    def __init__(self, variant: Variant, registry: str, port: int) -> None:
        super().__init__(f"http://127.0.0.1:{port}/health")
        self.key = variant.key
        self.project = f"bench-deploy-{variant.key}-{variant.nonce}"
        self.dir = variant.root / ".bench" / "server"
        for sub in ("incoming", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.repo, self.port = f"{registry}/{variant.name}", port
        self.parser = f"{self.project}-parser"

    def settle(self) -> None:
        if quiet("container", "inspect", self.parser).returncode == 0:
            settle(self.parser)

    def compose(self, *args: str) -> int:
        """A compose command in the server's directory; its exit code (no raise: a
        broken release is the procedure's business)."""
        argv = ["docker", "compose", "-p", self.project, *args]
        proc = subprocess.run(argv, cwd=self.dir, capture_output=True, text=True, timeout=600)
        engine.log(argv, proc)
        return proc.returncode

    def write(self, tag: str) -> None:
        images = {app: f"{self.repo}/{app}:{tag}" for app in DEPLOY_APPS}
        (self.dir / "compose.yaml").write_text(baseline_compose(images, self.port, self.parser))

    def update(self, label: str, broken: bool) -> Outcome:
        """seed-style: the seed's procedure with one moving tag per app (`:prod`, moved
        to the release before, untimed: "built and uploaded the latest version"), stop
        the parser, pull, up -d. uv-recommended: plain `up -d` of a file naming the tag."""
        if self.key == "seed":
            self.write("prod")
            for app in DEPLOY_APPS:
                retag(f"{self.repo}/{app}", label, "prod")
        else:
            self.write(label)
        started = time.perf_counter()
        code, images = 0, 0.0
        if self.key == "seed":
            if quiet("container", "inspect", self.parser).returncode == 0:
                code = quiet("container", "stop", self.parser).returncode
            code = code or self.compose("pull", "-q")
            images = time.perf_counter() - started  # the images are on the server
        code = code or self.compose("up", "-d")
        returned = time.perf_counter() - started
        if broken:
            return Outcome(code, returned, images, None)
        if code:
            raise BenchError(f"{self.key}: updating to {label} exited {code}")
        wait_answer(self.url)  # the old api is gone: the first answer is the new release
        seconds = time.perf_counter() - started
        return Outcome(code, seconds, images, seconds)

    def running(self) -> dict[str, str]:
        label = f"label=com.docker.compose.project={self.project}"
        return running_images(label, "com.docker.compose.service")

    def down(self) -> None:
        quiet("compose", "-p", self.project, "down", "--volumes", "--remove-orphans")


def running_images(label: str, app_label: str) -> dict[str, str]:
    """app -> image of the running containers carrying ``label``."""
    out = quiet("ps", "--filter", label, "--format", f'{{{{.Label "{app_label}"}}}} {{{{.Image}}}}')
    return dict(sorted(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line))


# --- dockyard ----------------------------------------------------------------------


def release(variant: Variant, repo: str, label: str) -> None:
    """Commit (a new revision), then tag A, B or X as that revision's `<version>-<rev>`."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    engine.run([*git, "add", "-A"], cwd=variant.root)
    engine.run([*git, "commit", "-q", "--allow-empty", "-m", label], cwd=variant.root)
    rev = engine.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=variant.root).strip()
    for app in DEPLOY_APPS:
        member = variant.root / member_dir(variant.ctx.apps[app]) / "pyproject.toml"
        version = tomllib.loads(member.read_text())["project"]["version"]
        retag(f"{repo}/{app}", label, f"{version}-{rev}")


class DockyardServer(Server):
    """`dockyard deploy TARGET` of the run's copy, a release per revision."""

    def __init__(self, variant: Variant, repo: str, target: str, url: str, name: str) -> None:
        super().__init__(url)
        self.variant, self.repo, self.target, self.name = variant, repo, target, name

    def update(self, label: str, broken: bool) -> Outcome:
        release(self.variant, self.repo, label)
        env = {**os.environ, "DOCKYARD_BASE_IMAGE": self.variant.base}
        argv = [self.variant.ctx.dockyard, "deploy", self.target]
        marks = SWARM_MARKS if self.target == "swarm" else MARKS
        outcome = engine.run_lines(argv, cwd=self.variant.root, env=env, marks=marks)
        if outcome.code and not broken:
            raise BenchError(f"dockyard deploy {self.target} exited {outcome.code}")
        return outcome

    def running(self) -> dict[str, str]:
        if self.target == "swarm":  # the images the services' specs name
            stack = f"label=com.docker.stack.namespace={self.name}-swarm"
            ids = quiet("service", "ls", "-q", "--filter", stack).stdout.split()
            spec = "{{.Spec.Name}} {{.Spec.TaskTemplate.ContainerSpec.Image}}"
            out = quiet("service", "inspect", "--format", spec, *ids) if ids else None
            lines = out.stdout.splitlines() if out else []
            return dict(sorted(line.split(" ", 1) for line in lines if " " in line))
        label = f"label=com.docker.compose.project={self.name}-{self.target}"
        return running_images(label, "com.docker.compose.service")


MARKS = {"images": IMAGES_NOTE, "serving": SERVING_NOTE}
SWARM_MARKS = {**MARKS, "serving": SWARM_SERVING_NOTE}


def proxy_image(base: str) -> None:
    """dockyard's Caddy image on this engine, built (untimed) on ``base`` when missing.

    A deploy builds it on the project's base when the server lacks it: inside a
    scenario that is the run's nonce base, so the first deploy's figure would include
    the build and the image would keep the nonce layer's cache record after the run.
    """
    from dockyard.deploy.proxy import dockerfile
    from dockyard.engine import proxy as caddy
    from dockyard.engine.remote import TargetEngine
    from dockyard.errors import DockyardError

    local = TargetEngine("bench", None, None)
    if not caddy.image_id(local, caddy.IMAGE_TAG):
        say(f"building dockyard's proxy image {caddy.IMAGE_TAG} (untimed, once per engine)")
        try:
            caddy.build_image(local, dockerfile(base), caddy.IMAGE_TAG)
        except DockyardError as error:
            raise BenchError(f"building the proxy image: {error.message}") from error


def dockyard_deploys(variant: Variant, registry: str, port: int, swarm: bool) -> dict:
    proxy_image(os.environ.get("DOCKYARD_BASE_IMAGE") or variant.base)
    name = f"bench-deploy-{variant.nonce}"  # compose project / stack: <name>-<target>
    directory, repo = f"/var/tmp/{name}", f"{registry}/{variant.name}"
    manifest = variant.root / "pyproject.toml"
    text = set_registry(manifest.read_text(), name, repo)
    manifest.write_text(text + dockyard_targets(directory, port, port + 1))
    # the compose target's dockyard-proxy: this run's own, removed afterwards
    proxy = os.environ["DOCKYARD_PROXY"] = f"{name}-proxy"
    rec: dict = {}
    try:
        url = f"http://127.0.0.1:{port}/health"
        try:
            rec.update(story(DockyardServer(variant, repo, "single", url, name), "deploy"))
        finally:
            quiet("compose", "-p", f"{name}-single", "down", "--volumes", "--remove-orphans")
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


def swarm_target(variant: Variant, repo: str, url: str, name: str) -> dict:
    """The same on a swarm target; a swarm problem is recorded, not fatal to the run."""
    try:
        with swarm_session():
            try:
                return story(DockyardServer(variant, repo, "swarm", url, name), "swarm")
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
