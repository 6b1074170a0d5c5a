"""`dockyard push`, `save` and `load`: images, not Dockerfiles, are what gets shared."""

from __future__ import annotations

from pathlib import Path

from dockyard.console import say, show
from dockyard.engine import docker, git, images
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.names import release_tag
from dockyard.plan import image_repository
from dockyard.supply.artifacts import built_image
from dockyard.supply.attach import attach
from dockyard.supply.bundle import archive_files, unpack
from dockyard.supply.sboms import ensure_sbom


def image_tags(project: Project, names: tuple[str, ...], *, dev: bool) -> list[tuple[str, str]]:
    """(app, tag) of each selected app's prod tags (version, version-revision) [+ dev]."""
    revision = git.revision(project.root)
    out = []
    for app in project.select(names):
        repo = image_repository(project, app.name)
        version = app.member.version
        out.append((app.name, f"{repo}:{version}"))
        if revision:
            out.append((app.name, f"{repo}:{release_tag(version, revision)}"))
        if dev:
            out.append((app.name, f"{repo}:dev"))
    return out


def _require_built(tags: list[tuple[str, str]]) -> None:
    for app, tag in tags:
        if docker.inspect_image(tag) is None:
            flag = " --dev" if tag.endswith(":dev") else ""
            raise DockyardError(
                f"the image {tag} is not built (for this revision); run "
                f"`dockyard build{flag} {app}` first"
            )


def push(project: Project, names: tuple[str, ...], *, dev: bool) -> int:
    """Push prod (and with ``dev`` the dev) images to the manifest's registry, and attach
    each prod image's provenance statement and SBOM next to it (OCI referrers)."""
    if project.registry is None:
        raise DockyardError(
            f"{project.pyproject}: tool.dockyard.registry is not set; set it (e.g. "
            'registry = "registry.example.com/team") and rebuild, or move images without '
            "a registry: `dockyard save APP... -o FILE.tar.gz`"
        )
    tags = image_tags(project, names, dev=dev)
    engine = docker.require_engine()
    images.require_registry(project.registry)
    _require_built(tags)
    prod = [built_image(project, app.name) for app in project.select(names)]
    for image in prod:  # before anything is pushed: an SBOM that cannot be made stops here
        ensure_sbom(project, image)
    sent = present = 0
    digests = {}
    for _, tag in tags:
        pushed = images.push(tag)
        digests[tag] = pushed.digest
        sent += pushed.sent
        present += pushed.present
        show(
            f"pushed {tag}  {pushed.digest[:19]}  ({pushed.sent} layer(s) sent, "
            f"{pushed.present} already in the registry)"
        )
    say(
        f"{len(tags)} tag(s) pushed to {project.registry}: {sent} layer(s) sent, "
        f"{present} already there",
    )
    for image in prod:
        digest = digests.get(image.reference) or images.registry_digest(
            image.reference, app=image.app
        )
        listed = attach(project, image, digest, engine)
        show(f"attached provenance + SBOM to {image.repository}@{digest[:19]}  ({listed})")
    return 0


def save(project: Project, names: tuple[str, ...], output: Path, *, dev: bool) -> int:
    """Write the apps' images into one .tar.gz (for a host with no registry)."""
    if not output.parent.is_dir():
        raise DockyardError(f"cannot write {output}: the folder {output.parent} does not exist")
    tags = image_tags(project, names, dev=dev)
    docker.require_engine()
    _require_built(tags)
    extra = archive_files(project, names)
    size = images.save([tag for _, tag in tags], output, extra)
    show(f"saved {len(tags)} tag(s) to {output} ({size / 1e6:.1f} MB):")
    for _, tag in tags:
        show(f"  {tag}")
    say(f"on the other machine: dockyard load {output.name}")
    return 0


def load(archive: Path) -> int:
    """Load a `dockyard save` archive into the engine."""
    if not archive.is_file():
        raise DockyardError(f"{archive}: no such file; pass the .tar.gz `dockyard save` wrote")
    docker.require_engine()
    loaded = images.load(archive)
    if not loaded:
        raise DockyardError(f"{archive} held no image; make one with `dockyard save`")
    for ref in loaded:
        show(f"loaded {ref}")
    unpack(archive, images.read_supply(archive))
    return 0
