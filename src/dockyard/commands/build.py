"""`dockyard build`: every image in one `docker buildx bake`."""

from __future__ import annotations

import json

from dockyard.build.images import build_images
from dockyard.console import show
from dockyard.importcheck import check_imports
from dockyard.manifest import Project


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
    prod = [b for b in built if b.kind == "prod"]
    check_imports(project, {b.app: b.image for b in prod}, {b.app: b.id for b in prod if b.id})
    if as_json:
        show(
            json.dumps(
                [
                    {
                        "app": b.app,
                        "target": b.kind,
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
        show(f"built {b.kind:4} {b.app:12} {' '.join(b.tags)}  ({b.id[7:19]})")
    return 0
