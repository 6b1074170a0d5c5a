"""`dockyard share APP`: build APP's share image, push it (or save a .tar.gz) and print
the commands a colleague with nothing but Docker types to run it."""

from __future__ import annotations

from pathlib import Path

from dockyard.build.images import build_images
from dockyard.build.load import load_plan
from dockyard.console import say, show
from dockyard.engine import docker, images
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.plan import AppPlan, Plan
from dockyard.render.share import archive_name, share_text


def share_app(plan: Plan, name: str | None) -> AppPlan:
    """The named app, or the one app with a share image; a clear error otherwise."""
    where = plan.project.pyproject
    sharing = [a for a in plan.apps if a.share is not None]
    if name is None:
        if len(sharing) != 1:
            names = ", ".join(a.name for a in sharing) or "none"
            raise DockyardError(
                f"name the app: `dockyard share APP` (apps with a share image: {names})"
            )
        return sharing[0]
    plan.project.app(name)  # an unknown name lists the apps
    app = plan.app(name)
    if app.share is None:
        raise DockyardError(
            f"{where}: app '{name}' has no share image; add `share = true` under "
            f"[tool.dockyard.apps.{name}] (or a [tool.dockyard.apps.{name}.share] table)"
        )
    return app


def share(
    project: Project,
    name: str | None,
    *,
    save: bool,
    output: Path | None,
    port: int | None,
) -> int:
    """Build the share image, ship it, print the colleague's commands (stdout)."""
    plan = load_plan(project)
    app = share_app(plan, name)
    save = save or output is not None or project.registry is None
    if save:
        output = (output or Path(archive_name(plan, app))).absolute()
        if not output.parent.is_dir():
            raise DockyardError(f"cannot write {output}: the folder {output.parent} does not exist")
    docker.require_engine()
    if not save:
        images.require_registry(project.registry or "")
    build_images(project, [app.name], kinds=("share",))
    if save:
        assert output is not None
        size = images.save([app.share_tag], output)
        say(f"saved {app.share_tag} to {output} ({size / 1e6:.0f} MB)")
        text = share_text(plan, app, pull=False, archive=output.name, host_port=port)
    else:
        pushed = images.push(app.share_tag)
        say(
            f"pushed {app.share_tag}  {pushed.digest[:19]}  ({pushed.sent} layer(s) sent, "
            f"{pushed.present} already in the registry)"
        )
        text = share_text(plan, app, pull=True, archive=None, host_port=port)
    say("Send this to your colleague:\n")
    show(text, nl=False)
    return 0
