"""The build plan for a project: its manifest, its dockyard.lock and uv's lock exports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from dockyard.build.lock import check_project_python
from dockyard.console import say
from dockyard.engine import uv, uvimage
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.lockfile import LOCK_NAME, Lock, file_sha256, read_lock, render_lock
from dockyard.manifest import Project
from dockyard.plan import Plan, lock_sizes, lock_wheel_sizes, make_plan


def load_plan(project: Project, *, exit_code: int = 2, record: bool = True) -> Plan:
    """The plan from uv.lock and dockyard.lock, refusing a lock that does not match.

    ``exit_code``: 1 for the `--check` commands, where a stale lock is a finding.
    ``record``: a uv.lock that `uv add` or `uv lock` changed since dockyard.lock was
    written, and that matches the pyproject files, is recorded in dockyard.lock (as
    `uv run` updates uv.lock); False for the checks, which refuse it instead.
    """
    uv_lock = uv.read_uv_lock(project.root, exit_code=exit_code)
    lock = read_lock(project.root)
    uv_lock_sha256 = file_sha256(project.root / "uv.lock")
    moved = lock.uv_lock_sha256 != uv_lock_sha256
    if moved and not record:
        raise DockyardError(
            f"uv.lock changed since {LOCK_NAME} was written; run `dockyard lock`",
            exit_code=exit_code,
        )
    members = sorted({m.name for app in project.apps.values() for m in app.first_party})
    # uv export only reads uv.lock: the exports run side by side, and beside the check
    # that uv.lock matches the pyproject files (0.3 s after `uv add`), whose refusal
    # still comes first (dev commands render this each time)
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = {
            (name, dev): pool.submit(uv.export, project.root, name, dev=dev)
            for name in members
            for dev in (False, True)
        }
        root_dev = (
            pool.submit(uv.export, project.root, None, dev=True)
            if project.workspace.root_dev_group
            else None
        )
        check_uv_lock(project, exit_code=exit_code)
        if lock.base.image != project.base_image:
            raise DockyardError(
                f"the base image is now '{project.base_image}' but {LOCK_NAME} pins "
                f"'{lock.base.image}'; run `dockyard lock`"
            )
        if moved:
            record_uv_lock(project, lock, uv_lock_sha256)
        exports = {
            name: (jobs[name, False].result(), jobs[name, True].result()) for name in members
        }
    return make_plan(
        project,
        base_reference=lock.base.reference,
        uv_requirements=lock.uv_requirements,
        exports=exports,
        sizes=lock_sizes(uv_lock),
        wheel_sizes=lock_wheel_sizes(uv_lock),
        workspace_dev=root_dev.result() if root_dev else "",
    )


def record_uv_lock(project: Project, lock: Lock, uv_lock_sha256: str) -> None:
    """Write dockyard.lock again with the hash of a uv.lock already checked against the
    pyproject files; the base and uv stay pinned as they were. requires-python may have
    changed with it: the pinned base must still satisfy it (asked once per base)."""
    check_project_python(project, lock.base.id)
    write_atomic(
        project.root / LOCK_NAME, render_lock(replace(lock, uv_lock_sha256=uv_lock_sha256))
    )
    say(f"recorded the new uv.lock in {LOCK_NAME} (base and uv pins unchanged)")


def check_uv_lock(project: Project, *, exit_code: int = 2) -> None:
    """Refuse a uv.lock that does not match the pyproject files (a dependency added, not
    relocked): an image built from it would lack the dependency yet carry the revision."""
    pyprojects = [project.pyproject] + [
        project.root / member.path / "pyproject.toml"
        for member in project.workspace.members.values()
        if member.path != "."
    ]
    if uv.known_fresh(project.root, pyprojects):
        return  # checked before with these very files (asking uv for a Python costs 0.3 s)
    if not uvimage.host_python_suits(project.root):
        # no Python here that requires-python accepts: uv checks in the base image, as
        # `dockyard lock` locked there
        try:
            uvimage.lock_in_image(project.root, project.base_image, check=True)
        except DockyardError as exc:
            raise DockyardError(exc.message, exit_code=exit_code) from exc
        return
    why = uv.stale_reason(project.root, pyprojects)
    if why is not None:
        raise DockyardError(
            f"{project.root / 'uv.lock'} does not match the pyproject.toml files ({why}); "
            "run `dockyard lock` and commit uv.lock and dockyard.lock",
            exit_code=exit_code,
        )
