""".devcontainer/<app>/devcontainer.json: one VS Code / Dev Containers config per app."""

from __future__ import annotations

import json
from typing import Any

from dockyard.names import generated_by
from dockyard.plan import VENV, AppPlan, Plan, needed_apps

# The host user's ids for `user:` in the app's compose file (its folder's .env, which
# Compose reads): yours, or when you are root, the owner of the tree (as `dockyard run`
# does), so files the dev container writes in the source belong to the tree's owner
# and a root-owned tree stays writable. DOCKYARD_UID/DOCKYARD_GID win when set.
_IDS = (
    'u=$(id -u); g=$(id -g); if [ "$u" = 0 ]; then '
    "u=$(stat -c %u . 2>/dev/null || stat -f %u .); "
    "g=$(stat -c %g . 2>/dev/null || stat -f %g .); fi; "
    '[ -n "$DOCKYARD_UID" ] && u=$DOCKYARD_UID; [ -n "$DOCKYARD_GID" ] && g=$DOCKYARD_GID; '
    'printf "DOCKYARD_UID=%s\\nDOCKYARD_GID=%s\\n" "$u" "$g" > .devcontainer/{app}/.env'
)


DEVCONTAINER_GITIGNORE = ".devcontainer/.gitignore"


def render_devcontainer_gitignore() -> str:
    return (
        f"# {generated_by('[tool.dockyard] in pyproject.toml')}\n"
        "# Each dev container's .env holds this machine's uid:gid (written by its\n"
        "# initializeCommand); it is not for git.\n"
        "*/.env\n"
    )


def devcontainer_path(app: AppPlan) -> str:
    return f".devcontainer/{app.name}/devcontainer.json"


def render_devcontainer(plan: Plan, app: AppPlan) -> str:
    """A compose-based config: the app's dev service, the repository at /workspace."""
    needed = [a.name for a in needed_apps(plan.project, app.app)]
    python = f"{VENV}/bin/python"
    document: dict[str, Any] = {
        "name": f"{plan.project.name} {app.name}",
        # its own Compose project (compose.yaml next to this file): dev containers of
        # several apps run side by side
        "dockerComposeFile": ["compose.yaml"],
        "service": app.name,
        "runServices": needed,
        "workspaceFolder": app.dev_workdir,
        # the app itself is yours to run (terminal, debugger); its dependencies run theirs
        "overrideCommand": True,
        "shutdownAction": "stopCompose",
        # runs on the host first: your uid:gid for the services' `user:` (see compose.yaml)
        "initializeCommand": ["sh", "-c", _IDS.format(app=app.name)],
        # the container already runs as your uid; no image rebuilt to change a user's uid
        "updateRemoteUserUID": False,
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
