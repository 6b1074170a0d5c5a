"""Write the SBOM of each selected app's prod image (`dockyard sbom`, `build --sbom`,
`push`, `sign`, `save`): read from the image, checked against uv.lock and the CycloneDX
1.6 schema."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from dockyard.console import say, show
from dockyard.engine import docker, git, uv
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.manifest import Project
from dockyard.supply import sbom
from dockyard.supply.artifacts import AppImage, built_image, sbom_path


def write_sboms(project: Project, names: tuple[str, ...] | list[str]) -> list[Path]:
    """Write the SBOM of each selected app's prod image; the files written."""
    apps = project.select(names)
    docker.require_engine()
    images = [built_image(project, app.name) for app in apps]
    epoch = git.source_date_epoch(project.root)
    written = []
    with tempfile.TemporaryDirectory(prefix="dockyard-sbom-") as tmp:
        tool = sbom.stage_tool(Path(tmp))
        for app, image in zip(apps, images, strict=True):
            say(f"sbom: reading {image.reference} ...")
            bom = _checked(project, app.member.name, image, epoch, tool)
            path = sbom_path(project.root, image)
            write_atomic(path, json.dumps(bom, indent=2, sort_keys=True) + "\n")
            written.append(path)
            counts = _counts(bom)
            show(
                f"sbom {app.name:12} {path.relative_to(project.root)}  "
                f"({counts['python']} Python, {counts['deb']} Debian packages)"
            )
    return written


def _checked(project: Project, member: str, image: AppImage, epoch: int, tool: Path) -> dict:
    bom = sbom.image_sbom(image.reference, image.id, image.tags, image.app, epoch, tool)
    errors = sbom.validate(bom)
    if errors:
        raise DockyardError(f"the SBOM of {image.reference} is not CycloneDX 1.6: {errors[0]}")
    pinned = uv.export_cyclonedx(project.root, member)
    mismatches = sbom.lock_mismatches(sbom.python_packages(bom), pinned)
    if mismatches:
        more = f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else ""
        raise DockyardError(
            f"{image.reference} does not hold what uv.lock pins for {member}: "
            f"{mismatches[0]}{more}; rebuild it (`dockyard build {image.app}`)"
        )
    return bom


def _counts(bom: dict) -> dict[str, int]:
    counts = {"python": 0, "deb": 0}
    for component in bom["components"]:
        kind = {p["name"]: p["value"] for p in component.get("properties") or []}
        counts[kind.get("dockyard:package-type", "python")] += 1
    return counts


def ensure_sbom(project: Project, image: AppImage) -> Path:
    """This image's SBOM, written now unless `dockyard sbom` already wrote it."""
    path = sbom_path(project.root, image)
    if path.is_file():
        props = json.loads(path.read_text())["metadata"]["component"].get("properties", [])
        if {"name": "dockyard:image-id", "value": image.id} in props:
            return path
    write_sboms(project, [image.app])
    return path
