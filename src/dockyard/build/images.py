"""Build the selected apps' images in one `docker buildx bake` (what build, verify and the
dev commands share)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dockyard.build.load import load_plan
from dockyard.build.lock import check_base_unchanged
from dockyard.buildenv import build_secrets
from dockyard.console import say
from dockyard.engine import docker, git
from dockyard.fsutil import remove_orphans, write_all
from dockyard.lockfile import read_lock
from dockyard.manifest import Project
from dockyard.plan import REQUIREMENTS_DIR, AppPlan, Plan
from dockyard.render import render_all


@dataclass(frozen=True)
class Built:
    """One image a bake made. ``kind`` is "prod", "dev" or "share" (the `--json` key is "target")."""

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
    docker.require_engine()
    lock = read_lock(project.root)
    check_base_unchanged(lock)
    plan = load_plan(project)
    if generate:
        files = render_all(plan)
        for rel in write_all(project.root, files):
            say(f"wrote {rel} (was stale)")
        for rel in remove_orphans(project.root, files, REQUIREMENTS_DIR):
            say(f"removed {rel} (no layer uses it now)")
    apps = [plan.app(a.name) for a in project.select(names)]
    revision = git.revision(project.root)
    epoch = git.source_date_epoch(project.root)
    secrets = build_secrets(ca_bundle)
    stages = list(_stages(plan, apps, kinds, revision))
    if tag_suffix:  # e.g. dockyard verify's own throwaway tags
        stages = [(a, k, s, (f"{t[0]}-{tag_suffix}",)) for a, k, s, t in stages]
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
                    "args": {
                        "REVISION": revision or "unknown",
                        "CREATED": git.iso(epoch),
                        "SOURCE_DATE_EPOCH": str(epoch),
                    },
                }
                for _, _, stage, tags in stages
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
    found = docker.inspect_images([tags[0] for *_, tags in stages])
    built = []
    for app, kind, _, tags in stages:
        info = found.get(tags[0])
        built.append(Built(app.name, kind, tags[0], tuple(tags), info.id if info else ""))
    return built
