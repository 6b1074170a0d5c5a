"""`dockyard generate`: render Dockerfile, compose files, bake file and lock exports."""

from __future__ import annotations

from dockyard.build.load import load_plan
from dockyard.console import show
from dockyard.errors import DockyardError
from dockyard.fsutil import remove_orphans, stale, write_all
from dockyard.manifest import Project
from dockyard.modules import check_commands
from dockyard.plan import REQUIREMENTS_DIR
from dockyard.render import render_all


def generate(project: Project, *, check: bool) -> int:
    check_commands(project)  # an app whose image would lack its command's module: refused
    files = render_all(load_plan(project, exit_code=1 if check else 2, record=not check))
    if check:
        out_of_date = stale(project.root, files)
        if out_of_date:
            raise DockyardError(
                f"generated files are stale in {project.root}: {', '.join(out_of_date)}; "
                "run `dockyard generate` and commit them",
                exit_code=1,
            )
        show(f"all {len(files)} generated files are up to date")
        return 0
    written = write_all(project.root, files)
    for rel in written:
        show(f"wrote {rel}")
    for rel in remove_orphans(project.root, files, REQUIREMENTS_DIR):
        show(f"removed {rel} (no layer uses it now)")
    if not written:
        show(f"all {len(files)} generated files were already up to date")
    return 0
