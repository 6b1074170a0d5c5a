"""One deploy target at work: its engine, directory, images, releases and health wait.

Shared by `deploy`, `rollback`, `status` and `logs`; the engine calls go through
engine/remote.py, the decisions are in render/server.py, release.py and health.py
(pure).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dockyard.deploy.health import SERVICE_LABEL, Verdict, judge
from dockyard.deploy.release import STATE_FILE, Release, State, add_release, dump_state, parse_state
from dockyard.engine import docker, git, images
from dockyard.engine.remote import TargetEngine
from dockyard.errors import DockyardError
from dockyard.manifest import DeployTarget, Project
from dockyard.names import release_tag
from dockyard.plan import image_name
from dockyard.render.server import (
    DeployImage,
    bind_mounts,
    compose_project,
    env_files,
    server_directory,
)

COMPOSE_FILE = "compose.yaml"
PROJECT_LABEL = "com.docker.compose.project"


@dataclass(frozen=True)
class Target:
    project: Project
    name: str
    config: DeployTarget
    engine: TargetEngine

    @property
    def directory(self) -> str:
        return server_directory(self.project, self.name, self.config)

    @property
    def compose_project(self) -> str:
        return compose_project(self.project, self.name)

    @property
    def state_path(self) -> str:
        return f"{self.directory}/{STATE_FILE}"


def open_target(project: Project, name: str) -> Target:
    if name not in project.deploy:
        known = ", ".join(project.deploy) or "none; add [tool.dockyard.deploy.<name>]"
        raise DockyardError(f"{project.pyproject}: no deploy target '{name}' (targets: {known})")
    config = project.deploy[name]
    return Target(project, name, config, TargetEngine(name, config.host, config.context))


def resolve_images(target: Target) -> dict[str, DeployImage]:
    """Each app's image for this revision, pinned to the digest the registry serves."""
    project = target.project
    if project.registry is None:
        raise DockyardError(
            f"{project.pyproject}: tool.dockyard.registry is not set; the server pulls the "
            "images from a registry: set it, rebuild and `dockyard push`, or send them over "
            f'ssh with transfer = "ssh" in [tool.dockyard.deploy.{target.name}]'
        )
    revision = git.revision(project.root)

    def resolve(app: str) -> DeployImage:
        version = project.apps[app].member.version
        tag = release_tag(version, revision)
        repo = image_name(project, app)
        digest = images.registry_digest(f"{repo}:{tag}", app=app)
        if revision is None:
            _require_built_here(project, app, f"{repo}:{tag}", digest)
        return DeployImage(app, f"{repo}@{digest}", tag)

    # One registry round trip per app (~0.25 s each), all at once; the error, if any, is
    # the first app's in the target's order, whatever finished first.
    apps = list(target.config.apps)
    with ThreadPoolExecutor(max_workers=min(len(apps), 8) or 1) as pool:
        return dict(zip(apps, pool.map(resolve, apps), strict=True))


def _require_built_here(project: Project, app: str, ref: str, digest: str) -> None:
    """Outside a git checkout the tag is only the version, which anyone can push again:
    deploy it only when it is the image this engine built and pushed (same digest)."""
    info = docker.inspect_image(ref)
    repo = ref.rsplit(":", 1)[0]
    built = set(info.digests_of(repo)) if info else set()
    if digest not in built:
        raise DockyardError(
            f"{project.root} is not a git checkout, so {app}'s tag {ref} names no revision "
            f"and the registry's {digest[:19]} is not an image this engine built and pushed; "
            "deploy from a git checkout, or `dockyard build` and `dockyard push` here first"
        )


def check_env_files(target: Target) -> None:
    for rel in env_files(target.config):
        if not (target.project.root / rel).is_file():
            raise DockyardError(
                f"{target.project.pyproject}: tool.dockyard.deploy.{target.name}: env file "
                f"{rel} does not exist; create it (keep it out of git)"
            )


@contextmanager
def staged(target: Target, compose_text: str) -> Iterator[Path]:
    """A local folder laid out like the server's directory: compose.yaml + env files.

    Compose reads env files on the client; bind mounts in the file are absolute paths
    on the server, so the same file works here and there.
    """
    with tempfile.TemporaryDirectory(prefix="dockyard-deploy-") as tmp:
        root = Path(tmp)
        (root / COMPOSE_FILE).write_text(compose_text)
        for rel in env_files(target.config):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target.project.root / rel, root / rel)
        yield root / COMPOSE_FILE


def server_files(target: Target, compose_text: str) -> dict[str, tuple[str, str]]:
    """What the server's directory holds besides the state: the compose and env files."""
    files = {COMPOSE_FILE: (compose_text, "644")}
    for rel in env_files(target.config):
        files[rel] = ((target.project.root / rel).read_text(), "600")
    return files


def prepare_server(target: Target, image: str, compose_text: str) -> State:
    """Write the compose and env files, create and own the bind mounts; the state read."""
    binds = [(b.source, not b.read_only) for b in bind_mounts(
        target.project, target.config, target.directory
    )]  # fmt: skip
    got = target.engine.files(
        image,
        target.directory,
        read=[STATE_FILE],
        write=server_files(target, compose_text),
        binds=binds,
    )
    return parse_state(got.get(STATE_FILE), f"{target.state_path} on {target.engine.address}")


def write_state(
    target: Target,
    image: str,
    state: State,
    compose_text: str,
    previous: str | None = None,
    *,
    env_files: bool = False,
) -> None:
    """Write the state and the compose file that runs it, in one go (and keep the
    state's previous text, ``previous``, next to it); ``env_files``: the target's env
    files too (a release that now runs was started with them)."""
    files = {STATE_FILE: (dump_state(state), "644"), COMPOSE_FILE: (compose_text, "644")}
    if env_files:
        files.update(server_files(target, compose_text))
    if previous:
        files = {f"{STATE_FILE}.previous": (previous, "644"), **files}
    target.engine.files(image, target.directory, write=files)


def load_state(target: Target, image: str, make_binds: bool = False) -> tuple[State, str | None]:
    """The state on the server (refused when damaged, before anything changes) and its
    text; ``make_binds``: also create the bind-mounted directories the apps need and
    give the writable ones to the apps' user (in the same helper container)."""
    binds = [(b.source, not b.read_only) for b in bind_mounts(
        target.project, target.config, target.directory
    )] if make_binds else []  # fmt: skip
    got = target.engine.files(image, target.directory, read=[STATE_FILE], binds=binds)
    text = got.get(STATE_FILE)
    where = f"{target.state_path} on {target.engine.address}"
    return parse_state(text, where), text


def helper_image(target: Target) -> str:
    """An image already on the server to run the helper container with."""
    for container in target.engine.containers(f"{PROJECT_LABEL}={target.compose_project}"):
        return container.config.image
    prefix = image_name(target.project, "")
    # transfer = "ssh": 127.0.0.1:<port>/<project>/<app>, from the server's own registry
    served = f"/{target.project.name}/"
    proc = target.engine.docker(
        ["image", "ls", "--format", "{{.Repository}}@{{.Digest}}"], timeout=60
    )
    for line in proc.stdout.split():
        if (line.startswith(prefix) or served in line) and "@sha256:" in line:
            return line
    raise DockyardError(
        f"deploy target '{target.name}': nothing of {target.project.name} is on "
        f"{target.engine.address} yet; run `dockyard deploy {target.name}` first"
    )


def read_state(target: Target) -> State:
    got = target.engine.files(helper_image(target), target.directory, read=[STATE_FILE])
    return parse_state(got.get(STATE_FILE), f"{target.state_path} on {target.engine.address}")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_release(
    target: Target, state: State, images: dict[str, DeployImage], compose_text: str
) -> tuple[State, Release]:
    """``state`` with a new current release of ``images`` deployed now (release.add_release,
    keeping the target's ``keep`` earlier ones)."""
    return add_release(
        state,
        images={app: image.reference for app, image in images.items()},
        versions={app: image.version for app, image in images.items()},
        compose=compose_text,
        deployed_at=now(),
        keep=target.config.keep,
    )


def status_image(image: str) -> str:
    """An image reference as a status row shows it: its last path part and a short digest."""
    repo, _, digest = image.partition("@")
    return repo.rsplit("/", 1)[-1] + (f"@{digest[7:19]}" if digest else "")


def status_time(timestamp: str | None) -> str:
    """An engine's RFC 3339 time as a status row shows it: ``YYYY-MM-DD HH:MM:SS``."""
    return (timestamp or "")[:19].replace("T", " ")


def running_apps(target: Target) -> set[str]:
    """The apps of the target's compose project that have a running container."""
    label = f"{PROJECT_LABEL}={target.compose_project}"
    return {
        c.labels.get(SERVICE_LABEL, "")
        for c in target.engine.containers(label)
        if c.state.status == "running"
    }


def wait_healthy(target: Target, timeout: float, apps: list[str] | None = None) -> Verdict:
    """Poll the target's containers until all (of ``apps``) are healthy, one fails, or
    time runs out."""
    deadline = time.monotonic() + timeout
    label = f"{PROJECT_LABEL}={target.compose_project}"
    while True:
        verdict = judge(target.engine.containers(label), apps or list(target.config.apps))
        if verdict.done or verdict.failed:
            return verdict
        if time.monotonic() > deadline:
            return Verdict((), tuple(f"{w} after {timeout:.0f}s" for w in verdict.waiting))
        time.sleep(0.5)
