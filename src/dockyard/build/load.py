"""The build plan for a project: its manifest, its dockyard.lock and uv's lock exports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dockyard.engine import uv
from dockyard.errors import DockyardError
from dockyard.lockfile import LOCK_NAME, file_sha256, read_lock
from dockyard.manifest import Project
from dockyard.plan import Plan, lock_sizes, make_plan


def load_plan(project: Project) -> Plan:
    """The plan for ``project``, refusing a dockyard.lock that no longer matches uv.lock or the
    manifest's base image."""
    lock = read_lock(project.root)
    if lock.uv_lock_sha256 != file_sha256(project.root / "uv.lock"):
        raise DockyardError(f"uv.lock changed since {LOCK_NAME} was written; run `dockyard lock`")
    if lock.base.image != project.base_image:
        raise DockyardError(
            f"the base image is now '{project.base_image}' but {LOCK_NAME} pins "
            f"'{lock.base.image}'; run `dockyard lock`"
        )
    members = sorted({m.name for app in project.apps.values() for m in app.first_party})
    # uv export only reads uv.lock: run them side by side (dev commands render this each time)
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = {
            (name, dev): pool.submit(uv.export, project.root, name, dev=dev)
            for name in members
            for dev in (False, True)
        }
        exports = {
            name: (jobs[name, False].result(), jobs[name, True].result()) for name in members
        }
    return make_plan(
        project,
        base_reference=lock.base.reference,
        uv_requirements=lock.uv_requirements,
        exports=exports,
        sizes=lock_sizes((project.root / "uv.lock").read_text()),
    )
