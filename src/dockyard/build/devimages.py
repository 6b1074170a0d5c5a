"""Dev images before a dev container starts: build the missing, refuse the stale."""

from __future__ import annotations

from dockyard.build.images import build_images
from dockyard.build.load import load_plan
from dockyard.console import say
from dockyard.engine import docker
from dockyard.engine.models import Image
from dockyard.errors import DockyardError
from dockyard.manifest import App, Project
from dockyard.render import dev_inputs, render_all
from dockyard.render.bake import DEV_INPUTS_LABEL


def dev_image(project: Project, app: App) -> str:
    return f"{project.registry or project.name}/{app.name}:dev"


def _label(info: Image) -> str | None:
    value = info.config.labels.get(DEV_INPUTS_LABEL)
    return None if value in (None, "", "unknown") else value  # unknown: built elsewhere


def stale_and_missing(project: Project, apps: list[App]) -> tuple[list[str], list[str]]:
    """Apps whose dev image was built from other inputs than the manifest and lock give now,
    and apps with no dev image."""
    plan = load_plan(project)
    expected = dev_inputs(plan, render_all(plan))
    stale, missing = [], []
    for app in apps:
        info = docker.inspect_image(dev_image(project, app))
        if info is None:
            missing.append(app.name)
        elif (label := _label(info)) is not None and label != expected[app.name]:
            stale.append(app.name)
    return stale, missing


def ensure_dev_images(
    project: Project, apps: list[App], *, build: bool = False, rebuild_stale: bool = False
) -> None:
    """Build what is missing (or everything with ``build``); a stale image is an error
    naming --build, unless ``rebuild_stale``: never silently run an old environment."""
    names = [app.name for app in apps]
    if build:
        build_images(project, names, kinds=("dev",))
        return
    stale, missing = stale_and_missing(project, apps)
    if stale and not rebuild_stale:
        images = ", ".join(dev_image(project, project.app(n)) for n in stale)
        raise DockyardError(
            f"the dev image {images} is stale: its lock exports or Dockerfile stages changed "
            "since it was built; run again with --build to rebuild it first "
            f"(or `dockyard build --dev {' '.join(stale)}`)",
            exit_code=1,
        )
    todo = missing + (stale if rebuild_stale else [])
    if todo:
        why = "stale or not built yet" if stale else "not built yet"
        say(f"dev image(s) {why} for {', '.join(todo)}; building")
        build_images(project, todo, kinds=("dev",))
