"""`dockyard proxy upgrade TARGET`: run the server's proxy on the Caddy dockyard pins."""

from __future__ import annotations

from dockyard.console import show
from dockyard.deploy.proxy import Proxy
from dockyard.deploy.target import helper_image, open_target
from dockyard.errors import DockyardError
from dockyard.manifest import Project


def upgrade(project: Project, target_name: str) -> int:
    target = open_target(project, target_name)
    if target.config.kind != "compose":
        raise DockyardError(
            f"deploy target '{target_name}' is kind = \"{target.config.kind}\"; the "
            "dockyard-proxy serves compose targets"
        )
    target.engine.require()
    show(Proxy(target).upgrade(fallback_base=helper_image(target)))
    return 0
