"""`dockyard generate`: render Dockerfile, compose files, bake file and lock exports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import click

from dockyard.engine import uv
from dockyard.errors import DockyardError
from dockyard.fsutil import remove_orphans, stale, write_all
from dockyard.lockfile import LOCK_NAME, file_sha256, read_lock
from dockyard.manifest import Project
from dockyard.plan import REQUIREMENTS_DIR, Plan, lock_sizes, lock_wheel_sizes, make_plan
from dockyard.render import render_all


def load_plan(project: Project) -> Plan:
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
    uv_lock = (project.root / "uv.lock").read_text()
    return make_plan(
        project,
        base_reference=lock.base.reference,
        uv_requirements=lock.uv_requirements,
        exports=exports,
        sizes=lock_sizes(uv_lock),
        wheel_sizes=lock_wheel_sizes(uv_lock),
    )


def generate(project: Project, *, check: bool) -> int:
    files = render_all(load_plan(project))
    if check:
        out_of_date = stale(project.root, files)
        if out_of_date:
            raise DockyardError(
                f"generated files are stale in {project.root}: {', '.join(out_of_date)}; "
                "run `dockyard generate` and commit them",
                exit_code=1,
            )
        click.echo(f"all {len(files)} generated files are up to date")
        return 0
    written = write_all(project.root, files)
    for rel in written:
        click.echo(f"wrote {rel}")
    for rel in remove_orphans(project.root, files, REQUIREMENTS_DIR):
        click.echo(f"removed {rel} (no layer uses it now)")
    if not written:
        click.echo(f"all {len(files)} generated files were already up to date")
    return 0
