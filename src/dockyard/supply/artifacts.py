"""Where the SBOM and provenance of each prod image are kept, and which image is
"this revision's" for an app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard.engine import docker, git
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.manifest import Project
from dockyard.names import release_tag
from dockyard.plan import image_name

# Build outputs, not sources: kept out of git by their own .gitignore (an untracked
# file would make the next build's revision "-dirty").
SUPPLY_DIR = ".dockyard/supply"


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
