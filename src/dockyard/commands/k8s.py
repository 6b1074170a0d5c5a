"""`dockyard k8s TARGET`: Kubernetes manifests for a deploy target, written to a folder."""

from __future__ import annotations

from pathlib import Path

from dockyard.console import say, show
from dockyard.deploy.target import open_target, resolve_images
from dockyard.engine import git
from dockyard.fsutil import write_all
from dockyard.manifest import Project
from dockyard.names import release_tag
from dockyard.plan import image_repository
from dockyard.render.k8s import render_k8s
from dockyard.render.server import DeployImage


def _tagged(project: Project, apps: list[str]) -> dict[str, DeployImage]:
    """Images by version-revision tag, without asking the registry for digests."""
    revision = git.revision(project.root)
    out = {}
    for app in apps:
        version = project.apps[app].member.version
        tag = release_tag(version, revision)
        out[app] = DeployImage(app, f"{image_repository(project, app)}:{tag}", tag)
    return out


def k8s(project: Project, target_name: str, output: Path | None, tags_only: bool) -> int:
    target = open_target(project, target_name)
    apps = list(target.config.apps)
    images = _tagged(project, apps) if tags_only else resolve_images(target)
    files = render_k8s(project, target_name, target.config, images)
    folder = output or project.root / "k8s" / target_name
    written = write_all(folder, files)
    for name in sorted(files):
        show(f"{'wrote' if name in written else 'kept '} {folder / name}")
    say(f"apply with: kubectl apply -k {folder}")
    return 0
