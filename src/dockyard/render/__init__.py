"""Plan -> the text of every generated file (pure: no I/O)."""

from __future__ import annotations

from dockyard.names import BAKE_FILE, COMPOSE_FILE, DEV_COMPOSE_FILE, DOCKERFILE, DOCKERIGNORE
from dockyard.plan import UV_REQUIREMENTS, Plan, requirements_text
from dockyard.render.bake import render_bake
from dockyard.render.compose import (
    devcontainer_compose_path,
    render_compose,
    render_compose_dev,
    render_devcontainer_compose,
)
from dockyard.render.devcontainer import (
    DEVCONTAINER_GITIGNORE,
    devcontainer_path,
    render_devcontainer,
    render_devcontainer_gitignore,
)
from dockyard.render.dockerfile import INSTALL_SCRIPT, render_dockerfile, render_install_script
from dockyard.render.dockerignore import render_dockerignore
from dockyard.render.share import readme_path, share_text
from dockyard.staleness import dev_inputs_hash


def render_all(plan: Plan) -> dict[str, str]:
    """Every generated file, relative path -> content."""
    dockerfile = render_dockerfile(plan)
    exports = {
        UV_REQUIREMENTS: plan.uv_requirements,
        INSTALL_SCRIPT: render_install_script(),
        **{layer.file: requirements_text(layer.requirements) for layer in plan.layers},
    }
    for app in plan.apps:
        exports[app.requirements_file] = requirements_text(plan.own_requirements(app))
        exports[app.dev_requirements_file] = requirements_text(app.dev_requirements)
    inputs = dev_inputs(plan, {DOCKERFILE: dockerfile, **exports})
    files = {
        DOCKERFILE: dockerfile,
        COMPOSE_FILE: render_compose(plan),
        DEV_COMPOSE_FILE: render_compose_dev(plan),
        BAKE_FILE: render_bake(plan, inputs),
        DOCKERIGNORE: render_dockerignore(plan.project),
        **exports,
    }
    for app in plan.apps:
        files[devcontainer_path(app)] = render_devcontainer(plan, app)
        files[devcontainer_compose_path(app)] = render_devcontainer_compose(plan, app)
        if app.share is not None:  # bind-mounted into the share stage as its README
            files[readme_path(app)] = share_text(plan, app)
    files[DEVCONTAINER_GITIGNORE] = render_devcontainer_gitignore()
    return files


def dev_inputs(plan: Plan, files: dict[str, str]) -> dict[str, str]:
    """Each app's dev-image input hash (the `io.dockyard.dev-inputs` label it is built with)."""
    return {
        app.name: dev_inputs_hash(files[DOCKERFILE], app.dev_stage, files.get) for app in plan.apps
    }
