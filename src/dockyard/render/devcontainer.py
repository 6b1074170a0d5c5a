""".devcontainer/<app>/devcontainer.json: one VS Code / Dev Containers config per app."""

from __future__ import annotations

import json
from typing import Any

from dockyard.names import DEV_COMPOSE_FILE, generated_by
from dockyard.plan import DEV_USER, VENV, AppPlan, Plan, needed_apps


def devcontainer_path(app: AppPlan) -> str:
    return f".devcontainer/{app.name}/devcontainer.json"


def render_devcontainer(plan: Plan, app: AppPlan) -> str:
    """A compose-based config: the app's dev service, the repository at /workspace."""
    needed = [a.name for a in needed_apps(plan.project, app.app)]
    python = f"{VENV}/bin/python"
    document: dict[str, Any] = {
        "name": f"{plan.project.name} {app.name}",
        "dockerComposeFile": [f"../../{DEV_COMPOSE_FILE}"],
        "service": app.name,
        "runServices": needed,
        "workspaceFolder": app.dev_workdir,
        # the app itself is yours to run (terminal, debugger); its dependencies run theirs
        "overrideCommand": True,
        "shutdownAction": "stopCompose",
        # a named user whose uid the Dev Containers CLI sets to yours on Linux
        "remoteUser": DEV_USER,
        "updateRemoteUserUID": True,
        "customizations": {
            "vscode": {
                "extensions": ["ms-python.python"],
                "settings": {
                    "python.defaultInterpreterPath": python,
                    "python.terminal.activateEnvironment": False,
                    "python.testing.pytestEnabled": True,
                },
            }
        },
    }
    header = (
        f"// {generated_by('[tool.dockyard] in pyproject.toml')}\n"
        f"// The {app.name} dev container (VS Code: Dev Containers: Open Folder in Container).\n"
        "// Change the manifest, not this file; `dockyard down` removes the containers\n"
        "// (the Dev Containers CLI has no `down`).\n"
    )
    return header + json.dumps(document, indent=2) + "\n"
