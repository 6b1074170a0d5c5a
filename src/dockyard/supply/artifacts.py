"""Where the SBOM and provenance of each prod image are kept, which image is "this
revision's" for an app, and the one place that writes its provenance statement (for
`push`, `sign` and `save` alike)."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from dockyard import __version__
from dockyard.engine import docker, git
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.lockfile import LOCK_NAME, file_sha256, read_lock
from dockyard.manifest import Project
from dockyard.names import release_tag
from dockyard.plan import image_name
from dockyard.supply import provenance

# Build outputs, not sources: kept out of git by their own .gitignore (an untracked
# file would make the next build's revision "-dirty").
SUPPLY_DIR = ".dockyard/supply"
HASHED_FILES = ("uv.lock", LOCK_NAME, "Dockerfile", "docker-bake.json")


@dataclass(frozen=True)
class AppImage:
    """One app's prod image of this revision, as built on this engine."""

    app: str
    repository: str
    tag: str  # <version>-<revision>, or <version> outside git
    id: str  # image ID (config digest)
    tags: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


def supply_dir(root: Path) -> Path:
    folder = root / SUPPLY_DIR
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        write_atomic(ignore, "# written by dockyard: SBOMs and provenance of built images\n*\n")
    return folder


def sbom_path(root: Path, image: AppImage) -> Path:
    return supply_dir(root) / f"{image.app}-{image.tag}.cdx.json"


def provenance_path(root: Path, image: AppImage) -> Path:
    return supply_dir(root) / f"{image.app}-{image.tag}.provenance.json"


def app_tag(project: Project, app: str) -> str:
    """``app``'s release tag at this commit (names.release_tag)."""
    return release_tag(project.apps[app].member.version, git.revision(project.root))


def built_image(project: Project, app: str) -> AppImage:
    """This revision's prod image of ``app``; a clear error when it is not built."""
    repository = image_name(project, app)
    tag = app_tag(project, app)
    info = docker.inspect_image(f"{repository}:{tag}")
    if info is None:
        raise DockyardError(
            f"the image {repository}:{tag} is not built (for this revision); run "
            f"`dockyard build {app}` first"
        )
    return AppImage(app, repository, tag, info.id, tuple(info.repo_tags))


def build_facts(
    project: Project, image: AppImage, digest: str, engine: str
) -> provenance.BuildFacts:
    """What the provenance statement of ``image`` (pushed as ``digest``) says."""
    lock = read_lock(project.root)
    revision = git.revision(project.root) or ""
    files = {
        name: file_sha256(project.root / name)
        for name in HASHED_FILES
        if (project.root / name).is_file()
    }
    return provenance.BuildFacts(
        app=image.app,
        repository=image.repository,
        digest=digest,
        tag=image.tag,
        commit=git.commit(project.root),
        dirty=revision.endswith("-dirty"),
        source_uri=git.remote_url(project.root),
        source_date_epoch=git.source_date_epoch(project.root),
        files=files,
        base_reference=lock.base.reference,
        base_id=lock.base.id,
        uv_version=lock.uv_version,
        dockyard_version=__version__,
        engine_version=engine,
        builder=provenance.builder_id(dict(os.environ), socket.gethostname()),
    )


def statement_bytes(facts: provenance.BuildFacts) -> bytes:
    """The statement as it is written to a file, an archive and the registry."""
    return (json.dumps(provenance.statement(facts), indent=2, sort_keys=True) + "\n").encode()


def write_provenance(
    project: Project, image: AppImage, digest: str, engine: str
) -> provenance.BuildFacts:
    """Write the provenance statement of ``image`` as ``digest`` to .dockyard/supply/."""
    facts = build_facts(project, image, digest, engine)
    write_atomic(provenance_path(project.root, image), statement_bytes(facts).decode())
    return facts
