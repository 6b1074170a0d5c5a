"""`dockyard build`: every image in one `docker buildx bake`."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from dockyard.buildenv import build_secrets
from dockyard.commands.generate import load_plan
from dockyard.commands.lock import check_base_unchanged
from dockyard.engine import docker, git
from dockyard.fsutil import remove_orphans, write_all
from dockyard.lockfile import read_lock
from dockyard.manifest import Project
from dockyard.plan import REQUIREMENTS_DIR, AppPlan, Plan
from dockyard.render import render_all
from dockyard.render.bake import DEV_INPUTS_LABEL, INPUTS_LABEL
from dockyard.staleness import dev_inputs_hash, tree_digest


@dataclass(frozen=True)
class Built:
    app: str
    target: str  # "prod" or "dev"
    image: str  # the first tag
    tags: tuple[str, ...]
    id: str


def _targets(plan: Plan, apps: list[AppPlan], kinds: tuple[str, ...], revision: str | None):
    for app in apps:
        if "prod" in kinds:
            yield app, "prod", app.prod_stage, app.revision_tags(revision)
        if "dev" in kinds:
            yield app, "dev", app.dev_stage, (app.dev_tag,)


def _reader(root: Path, ignored: list[str]):
    """Context path -> its text (a file), a digest of its tree (a folder), or None."""

    def read(rel: str) -> str | None:
        path = root / rel
        if path.is_dir():
            return "tree " + tree_digest(path, ignored)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    return read


def expected_labels(
    root: Path, plan: Plan, targets: list, epoch: int, base: str
) -> dict[str, tuple[str, str]]:
    """stage -> (label, hash) an up-to-date image of that stage carries.

    Prod: the stages, every context file and folder they read, the bake target (labels,
    compression), SOURCE_DATE_EPOCH and the pinned base. Dev: the dev-inputs hash that
    `dockyard generate` writes into the bake file (the source is mounted, not built in).
    """
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    ignore = (root / ".dockerignore").read_text(encoding="utf-8").splitlines()
    bake = json.loads((root / "docker-bake.json").read_text(encoding="utf-8"))["target"]
    read = _reader(root, [line for line in ignore if line.startswith("**/")])
    files_only = _reader(root, [])
    labels = {}
    for _, kind, stage, _ in targets:
        if kind == "dev":
            files = lambda rel: None if (root / rel).is_dir() else files_only(rel)  # noqa: E731
            labels[stage] = (DEV_INPUTS_LABEL, dev_inputs_hash(dockerfile, stage, files))
            continue
        digest = hashlib.sha256(dev_inputs_hash(dockerfile, stage, read).encode())
        digest.update(json.dumps([bake.get(stage), epoch, base], sort_keys=True).encode())
        labels[stage] = (INPUTS_LABEL, digest.hexdigest()[:32])
    return labels


def _up_to_date(info: dict | None, label: tuple[str, str], revision: str | None) -> bool:
    """Built from the same inputs; for prod, at this revision or at the commit a dirty
    tree started from (the image is then what this tree builds, labelled with that commit)."""
    if not info:
        return False
    labels = (info.get("Config") or {}).get("Labels") or {}
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
    """Regenerate what is stale, then bake the selected apps' images."""
    project.select(names)  # an unknown app is named before anything else happens
    docker.require_engine(plugins=False)  # buildx only when there is something to bake
    lock = read_lock(project.root)
    check_base_unchanged(lock)
    plan = load_plan(project)
    if generate:
        files = render_all(plan)
        for rel in write_all(project.root, files):
            click.echo(f"wrote {rel} (was stale)", err=True)
        for rel in remove_orphans(project.root, files, REQUIREMENTS_DIR):
            click.echo(f"removed {rel} (no layer uses it now)", err=True)
    apps = [plan.app(a.name) for a in project.select(names)]
    revision = git.revision(project.root)
    epoch = git.source_date_epoch(project.root)
    secrets = build_secrets(ca_bundle)
    targets = list(_targets(plan, apps, kinds, revision))
    if tag_suffix:  # e.g. dockyard verify's own throwaway tags
        targets = [(a, k, s, (f"{t[0]}-{tag_suffix}",)) for a, k, s, t in targets]
    labels = expected_labels(project.root, plan, targets, epoch, repr(lock.base))
    if not no_cache:
        # An image built from the same inputs is left alone: BuildKit is not even asked.
        found = docker.inspect_images([tag for *_, tags in targets for tag in tags])
        fresh = [t for t in targets if _up_to_date(found.get(t[3][0]), labels[t[2]], revision)]
        for *_, tags in fresh:
            docker.tag(found[tags[0]]["Id"], [t for t in tags[1:] if t not in found])
        if fresh:
            click.echo(
                "up to date (same inputs): " + ", ".join(stage for _, _, stage, _ in fresh),
                err=True,
            )
        targets = [t for t in targets if t not in fresh]
        if not targets:
            return [_built(a, k, tags, found) for a, k, _, tags in fresh]
    else:
        fresh = []
    docker.require_engine()
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
                    "tags": list(tags),
                    "secret": secret_specs,
                    # SOURCE_DATE_EPOCH pins the config and history timestamps too,
                    # so the same commit gives the same image digest.
                    "args": {"SOURCE_DATE_EPOCH": str(epoch)},
                    "labels": _labels(kind, labels[stage], revision, epoch),
                }
                for _, kind, stage, tags in targets
            }
        }
        override_file = Path(tmp) / "override.json"
        override_file.write_text(json.dumps(override))
        click.echo(
            f"building {len(targets)} image(s) with docker buildx bake: "
            + ", ".join(stage for _, _, stage, _ in targets),
            err=True,
        )
        docker.bake(
            project.root,
            [project.root / "docker-bake.json", override_file],
            [stage for _, _, stage, _ in targets],
            quiet=quiet,
            no_cache=no_cache,
        )
    every = [t for t in _targets(plan, apps, kinds, revision)]
    if tag_suffix:
        every = [(a, k, s, (f"{t[0]}-{tag_suffix}",)) for a, k, s, t in every]
    found = docker.inspect_images([tags[0] for *_, tags in every])
    return [_built(a, k, tags, found) for a, k, _, tags in every]


def _built(app: AppPlan, kind: str, tags: tuple[str, ...], found: dict) -> Built:
    info = found.get(tags[0])
    return Built(app.name, kind, tags[0], tuple(tags), info["Id"] if info else "")


def _labels(kind: str, label: tuple[str, str], revision: str | None, epoch: int) -> dict:
    if kind == "dev":
        return {}  # the dev-inputs label is in the bake file itself
    return {
        "org.opencontainers.image.revision": revision or "unknown",
        "org.opencontainers.image.created": git.iso(epoch),
        label[0]: label[1],
    }


def build(
    project: Project,
    names: tuple[str, ...],
    *,
    kinds: tuple[str, ...],
    as_json: bool,
    ca_bundle: str | None,
    generate: bool = True,
) -> int:
    built = build_images(project, names, kinds=kinds, ca_bundle=ca_bundle, generate=generate)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "app": b.app,
                        "target": b.target,
                        "image": b.image,
                        "tags": list(b.tags),
                        "id": b.id,
                    }
                    for b in built
                ],
                indent=2,
            )
        )
        return 0
    for b in built:
        click.echo(f"built {b.target:4} {b.app:12} {' '.join(b.tags)}  ({b.id[7:19]})")
    return 0
