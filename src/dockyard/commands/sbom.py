"""`dockyard sbom [APP..]` (and `dockyard build --sbom`): a CycloneDX 1.6 SBOM per prod image."""

from __future__ import annotations

from dockyard.manifest import Project
from dockyard.supply.sboms import write_sboms


def sbom_command(project: Project, names: tuple[str, ...]) -> int:
    write_sboms(project, names)
    return 0
