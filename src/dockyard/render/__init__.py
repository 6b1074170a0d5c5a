"""Plan -> the text of every generated file (pure: no I/O)."""

from __future__ import annotations

from dockyard.plan import REQUIREMENTS_DIR, UV_REQUIREMENTS, Plan, requirements_text
from dockyard.render.bake import render_bake
from dockyard.render.compose import render_compose, render_compose_dev
from dockyard.render.dockerfile import render_dockerfile
from dockyard.render.dockerignore import render_dockerignore


def render_all(plan: Plan) -> dict[str, str]:
    """Every generated file, relative path -> content."""
    files = {
        "Dockerfile": render_dockerfile(plan),
        "compose.yaml": render_compose(plan),
        "compose.dev.yaml": render_compose_dev(plan),
        "docker-bake.json": render_bake(plan),
        ".dockerignore": render_dockerignore(plan.project),
        UV_REQUIREMENTS: plan.uv_requirements,
        f"{REQUIREMENTS_DIR}/common.txt": requirements_text(plan.common),
    }
    for app in plan.apps:
        files[app.requirements_file] = requirements_text(app.requirements)
        files[app.dev_requirements_file] = requirements_text(app.dev_requirements)
    return files
