"""`dockyard provenance APP`: the provenance statement (or SBOM) attached to this revision's
pushed image, read back from the registry; the work is in supply/attach.py."""

from __future__ import annotations

import json

from dockyard.console import say, show
from dockyard.manifest import Project
from dockyard.supply.attach import read_back


def provenance(project: Project, app: str, *, sbom: bool) -> int:
    kind = "sbom" if sbom else "provenance"
    subject, document = read_back(project, app, kind)
    say(f"{kind} of {subject}, read from the registry")
    show(json.dumps(document, indent=2, sort_keys=True))
    return 0
