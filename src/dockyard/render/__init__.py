"""Plan -> the text of every generated file (pure: no I/O)."""

from __future__ import annotations

from dockyard.plan import UV_REQUIREMENTS, Plan, requirements_text
from dockyard.render.bake import render_bake
from dockyard.render.compose import render_compose, render_compose_dev
from dockyard.render.devcontainer import devcontainer_path, render_devcontainer
from dockyard.render.dockerfile import INSTALL_SCRIPT, render_dockerfile, render_install_script
from dockyard.render.dockerignore import render_dockerignore
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
        exports[app.requirements_file] = requirements_text(app.requirements)
        exports[app.dev_requirements_file] = requirements_text(app.dev_requirements)
    inputs = dev_inputs(plan, {"Dockerfile": dockerfile, **exports})
    files = {
        "Dockerfile": dockerfile,
        "compose.yaml": render_compose(plan),
        "compose.dev.yaml": render_compose_dev(plan),
        "docker-bake.json": render_bake(plan, inputs),
        ".dockerignore": render_dockerignore(plan.project),
        **exports,
    }
    for app in plan.apps:
        files[devcontainer_path(app)] = render_devcontainer(plan, app)
    return files


def dev_inputs(plan: Plan, files: dict[str, str]) -> dict[str, str]:
    """Each app's dev-image input hash (the `io.dockyard.dev-inputs` label it is built with)."""
    return {
        app.name: dev_inputs_hash(files["Dockerfile"], app.dev_stage, files.get)
        for app in plan.apps
    }
