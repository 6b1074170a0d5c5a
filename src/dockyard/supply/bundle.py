"""SBOMs and provenance inside a `dockyard save` archive.

`docker save`/`docker load` keep no attestations, so `dockyard save` puts each prod
image's SBOM and provenance statement (subject: the image ID) at the front of the
archive, and `dockyard load` writes them out next to it.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.console import note, say
from dockyard.engine import docker
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.supply.artifacts import build_facts, built_image, statement_bytes
from dockyard.supply.sboms import ensure_sbom


def archive_files(project: Project, names: tuple[str, ...]) -> dict[str, bytes]:
    """name -> bytes of the SBOM and provenance of each selected app's prod image."""
    engine = docker.require_engine()
    files: dict[str, bytes] = {}
    for app in project.select(names):
        image = built_image(project, app.name)
        try:
            files[f"{image.app}-{image.tag}.cdx.json"] = ensure_sbom(project, image).read_bytes()
        except DockyardError as exc:  # the images still travel; say what is missing
            note(f"warning: no SBOM of {app.name} in the archive: {exc}")
        facts = build_facts(project, image, image.id, engine)
        files[f"{image.app}-{image.tag}.provenance.json"] = statement_bytes(facts)
    return files


def unpack(archive: Path, files: dict[str, bytes]) -> Path | None:
    """Write ``files`` into <archive name>.supply/ beside the archive; that folder."""
    if not files:
        return None
    stem = archive.name.removesuffix(".gz").removesuffix(".tar")
    folder = archive.with_name(f"{stem}.supply")
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / Path(name).name).write_bytes(data)
    say(f"SBOMs and provenance of the images: {folder}/")
    return folder
