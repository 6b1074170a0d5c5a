"""Build the selected apps' images in one `docker buildx bake` (what build, verify and the
dev commands share)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dockyard.build.load import load_plan
from dockyard.build.lock import check_base_unchanged
from dockyard.buildenv import build_secrets
from dockyard.console import say
from dockyard.engine import docker, git
from dockyard.engine.models import Image
from dockyard.errors import DockyardError
from dockyard.fsutil import remove_orphans, write_all
from dockyard.lockfile import read_lock
from dockyard.manifest import Project
from dockyard.plan import REQUIREMENTS_DIR, AppPlan, Plan
from dockyard.render import render_all
from dockyard.render.bake import DEV_INPUTS_LABEL, INPUTS_LABEL
from dockyard.staleness import dev_inputs_hash, tree_digest


@dataclass(frozen=True)
class Built:
    """One image a bake made. ``kind`` is "prod", "dev" or "share" (`--json`: "target")."""

    app: str
    kind: str  # "prod", "dev" or "share"
    image: str  # the first tag
    tags: tuple[str, ...]
    id: str


def _stages(plan: Plan, apps: list[AppPlan], kinds: tuple[str, ...], revision: str | None):
    """(app, kind, bake stage, tags) of each image to build."""
    for app in apps:
        if "prod" in kinds:
            yield app, "prod", app.prod_stage, app.revision_tags(revision)
        if "dev" in kinds:
            yield app, "dev", app.dev_stage, (app.dev_tag,)
        if "share" in kinds and app.share is not None:
            yield app, "share", app.share_stage, (app.share_tag,)


def _reader(root: Path, ignored: list[str]):
    """Context path -> its text (a file), a digest of its tree (a folder), or None."""

    def read(rel: str) -> str | None:
        path = root / rel
        if path.is_dir():
            return "tree " + tree_digest(path, ignored)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    return read


def expected_labels(
    root: Path, plan: Plan, stages: list, epoch: int, base: str
) -> dict[str, tuple[str, str]]:
    """stage -> (label, hash) an up-to-date image of that stage carries.

    Prod (and share): the stages, every context file and folder they read, the bake target
    (labels, compression), SOURCE_DATE_EPOCH and the pinned base. Dev: the dev-inputs hash
    that `dockyard generate` writes into the bake file (the source is mounted, not built in).
    """
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    ignore = (root / ".dockerignore").read_text(encoding="utf-8").splitlines()
    bake = json.loads((root / "docker-bake.json").read_text(encoding="utf-8"))["target"]
    read = _reader(root, [line for line in ignore if line.startswith("**/")])
    files_only = _reader(root, [])
    labels = {}
    for _, kind, stage, _ in stages:
        if kind == "dev":
            files = lambda rel: None if (root / rel).is_dir() else files_only(rel)  # noqa: E731
            labels[stage] = (DEV_INPUTS_LABEL, dev_inputs_hash(dockerfile, stage, files))
            continue
        digest = hashlib.sha256(dev_inputs_hash(dockerfile, stage, read).encode())
        digest.update(json.dumps([bake.get(stage), epoch, base], sort_keys=True).encode())
        labels[stage] = (INPUTS_LABEL, digest.hexdigest()[:32])
    return labels


def _up_to_date(info: Image | None, label: tuple[str, str], revision: str | None) -> bool:
    """Built from the same inputs; for prod, at this revision or at the commit a dirty
    tree started from (the image is then what this tree builds, labelled with that commit)."""
    if info is None:
        return False
    labels = info.config.labels
    if labels.get(label[0]) != label[1]:
        return False
    if label[0] == DEV_INPUTS_LABEL:
        return True
    built_at = labels.get("org.opencontainers.image.revision")
    return built_at == (revision or "unknown") or f"{built_at}-dirty" == revision


def build_images(
    project: Project,
    names: list[str] | tuple[str, ...],
    *,
    kinds: tuple[str, ...] = ("prod",),
    ca_bundle: str | None = None,
    quiet: bool = False,
    no_cache: bool = False,
    tag_suffix: str | None = None,
    generate: bool = True,
) -> list[Built]:
    """Regenerate what is stale, then bake the selected apps' images that are not up to
    date (an image built from the same inputs is left alone: BuildKit is not even asked)."""
    project.select(names)  # an unknown app is named before anything else happens
    try:
        lock = read_lock(project.root)
    except DockyardError:
        docker.require_engine(plugins=False)  # no engine is the first thing to fix
        raise
    # The engine's and git's answers (a process each) come while the plan is made.
    # buildx is probed only when there is something to bake and the bake fails.
    with ThreadPoolExecutor(max_workers=3) as pool:
        base_checked = pool.submit(check_base_unchanged, lock)
        at_revision = pool.submit(git.revision, project.root)
        at_epoch = pool.submit(git.source_date_epoch, project.root)
        try:
            plan = load_plan(project)
        except DockyardError:
            base_checked.result()  # no engine, or another base, is the first thing to fix
            raise
        base_checked.result()
        wrote = []
        if generate:
            files = render_all(plan)
            for rel in write_all(project.root, files):
                say(f"wrote {rel} (was stale)")
                wrote.append(rel)
            for rel in remove_orphans(project.root, files, REQUIREMENTS_DIR):
                say(f"removed {rel} (no layer uses it now)")
                wrote.append(rel)
        # a file just written makes the tree dirty: ask git again
        revision = git.revision(project.root) if wrote else at_revision.result()
        epoch = at_epoch.result()
    apps = [plan.app(a.name) for a in project.select(names)]
    every = list(_stages(plan, apps, kinds, revision))
    if tag_suffix:  # e.g. dockyard verify's own throwaway tags
        every = [(a, k, s, (f"{t[0]}-{tag_suffix}",)) for a, k, s, t in every]
    labels = expected_labels(project.root, plan, every, epoch, repr(lock.base))
    # One pool names the images: an image left alone gets a tag it lacks (the '-dirty'
    # revision's, after an edit on a clean commit) while the others bake, and a baked
    # image (one name from the bake) its other names.
    with ThreadPoolExecutor(max_workers=4) as pool:
        naming: list[Future[None]] = []
        stages, found = every, {}
        if not no_cache:
            found = docker.inspect_images([tag for *_, tags in every for tag in tags])
            fresh = [t for t in every if _up_to_date(found.get(t[3][0]), labels[t[2]], revision)]
            for *_, tags in fresh:
                missing = [t for t in tags[1:] if t not in found]
                if missing:
                    naming.append(pool.submit(docker.tag, found[tags[0]].id, missing))
            if fresh:
                say("up to date (same inputs): " + ", ".join(stage for _, _, stage, _ in fresh))
            stages = [t for t in every if t not in fresh]
        if stages:
            _bake(project, stages, labels, revision, epoch, ca_bundle, quiet, no_cache)
            naming += [pool.submit(docker.tag, t[0], list(t[1:])) for *_, t in stages if t[1:]]
            found = docker.inspect_images([tags[0] for *_, tags in every])
        for job in naming:
            job.result()  # a failed tag fails the build
    return [_built(a, k, tags, found) for a, k, _, tags in every]


def _bake(
    project: Project,
    stages: list,
    labels: dict[str, tuple[str, str]],
    revision: str | None,
    epoch: int,
    ca_bundle: str | None,
    quiet: bool,
    no_cache: bool,
) -> None:
    """One `docker buildx bake` of ``stages``, each image under its first name."""
    secrets = build_secrets(ca_bundle)
    with tempfile.TemporaryDirectory(prefix="dockyard-build-") as tmp:
        env_file = Path(tmp) / "build_env"
        env_file.write_text(secrets.env_text)
        env_file.chmod(0o600)
        secret_specs = [f"id=build_env,src={env_file}"]
        if secrets.ca_bundle is not None:
            secret_specs.append(f"id=ca_bundle,src={secrets.ca_bundle}")
        override = {
            "target": {
                stage: {
                    # One name each: BuildKit unpacks the image again for every
                    # name it gives (0.1-0.2 s an image); the others are added below.
                    "tags": [tags[0]],
                    "secret": secret_specs,
                    # SOURCE_DATE_EPOCH pins the config and history timestamps too,
                    # so the same commit gives the same image digest.
                    "args": {"SOURCE_DATE_EPOCH": str(epoch)},
                    "labels": _labels(kind, labels[stage], revision, epoch),
                }
                for _, kind, stage, tags in stages
            }
        }
        override_file = Path(tmp) / "override.json"
        override_file.write_text(json.dumps(override))
        say(
            f"building {len(stages)} image(s) with docker buildx bake: "
            + ", ".join(stage for _, _, stage, _ in stages),
        )
        docker.bake(
            project.root,
            [project.root / "docker-bake.json", override_file],
            [stage for _, _, stage, _ in stages],
            quiet=quiet,
            no_cache=no_cache,
        )


def _built(app: AppPlan, kind: str, tags: tuple[str, ...], found: dict[str, Image]) -> Built:
    info = found.get(tags[0])
    return Built(app.name, kind, tags[0], tuple(tags), info.id if info else "")


def _labels(kind: str, label: tuple[str, str], revision: str | None, epoch: int) -> dict:
    if kind == "dev":
        return {}  # the dev-inputs label is in the bake file itself
    return {
        "org.opencontainers.image.revision": revision or "unknown",
        "org.opencontainers.image.created": git.iso(epoch),
        label[0]: label[1],
    }
