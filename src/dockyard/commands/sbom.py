"""`dockyard sbom`: write and check the SBOM of each selected app's prod image."""

from __future__ import annotations

from dockyard.manifest import Project
from dockyard.supply.sboms import write_sboms


def sbom_command(project: Project, names: tuple[str, ...]) -> int:
    write_sboms(project, names)
    return 0
