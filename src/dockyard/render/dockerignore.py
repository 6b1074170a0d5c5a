"""An allow-list .dockerignore: the build context holds only what the Dockerfile reads."""

from __future__ import annotations

from dockyard.manifest import Project
from dockyard.names import generated_by


def render_dockerignore(project: Project) -> str:
    members = sorted(
        {p for app in project.apps.values() for m in app.first_party for p in (m.path, *m.outside)}
    )
    lines = [
        f"# {generated_by('[tool.dockyard] in pyproject.toml')}",
        "# Only lock exports and first-party members reach the build (a stable cache).",
    ]
    if "." not in members:  # a single project needs its whole root; a workspace does not
        lines += ["*", "!.dockyard"] + [f"!{path}" for path in members]
    lines += [
        "**/__pycache__",
        "**/*.py[cod]",
        "**/.venv",
        "**/.pytest_cache",
        "**/.mypy_cache",
        "**/.ruff_cache",
        "**/*.egg-info",
        "**/.git",
    ]
    return "\n".join(lines) + "\n"
