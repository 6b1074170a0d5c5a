"""`dockyard deploy TARGET` and `dockyard rollback TARGET`: the target's backend does it."""

from __future__ import annotations

from dockyard.deploy import backend
from dockyard.deploy.target import check_env_files, open_target, resolve_images
from dockyard.deploy.transfer import send_images
from dockyard.manifest import Project
from dockyard.supply.verify import require_signatures


def deploy(project: Project, target_name: str, break_lock: bool = False) -> int:
    target = open_target(project, target_name)
    check_env_files(target)
    if target.config.transfer == "ssh":
        target.engine.require()
        new = send_images(target)
    else:
        new = resolve_images(target)
        require_signatures(
            project, target_name, target.config, {app: i.reference for app, i in new.items()}
        )
        target.engine.require()
    return backend(target).deploy(new, break_lock)


def rollback(
    project: Project, target_name: str, release_id: int | None, break_lock: bool = False
) -> int:
    """Run an earlier release again (default: the one before the running one)."""
    target = open_target(project, target_name)
    target.engine.require()
    return backend(target).rollback(release_id, break_lock)
