"""Detection -> the [tool.dockyard] table (tomlkit, so comments survive), validated first."""

from __future__ import annotations

import tomlkit
from pydantic import ValidationError
from tomlkit.items import Table

from dockyard.adopt.detected import AppGuess, Detection
from dockyard.errors import DockyardError
from dockyard.manifest import DEFAULT_BASE_IMAGE, DockyardConfig


def _app_table(app: AppGuess) -> Table:
    table = tomlkit.table()
    table.add(tomlkit.comment(f"found: {app.why}"))
    table["member"] = app.member
    if app.command is not None:
        table["command"] = app.command
    else:
        table.add(tomlkit.comment("no command: an environment image (shell, notebooks, scripts)"))
    if app.dev_command is not None:
        table["dev-command"] = app.dev_command
    if app.ports:
        table["ports"] = app.ports
    if app.health:
        check = tomlkit.inline_table()
        check["http"] = app.health
        table["healthcheck"] = check
    if app.environment:
        env = tomlkit.inline_table()
        env.update(app.environment)
        table["environment"] = env
    if app.volumes:
        table["volumes"] = app.volumes
    if app.writable:
        table["writable"] = app.writable
    return table


def _deploy_table(detection: Detection) -> Table:
    deploy = tomlkit.table(is_super_table=True)
    for target in detection.deploy:
        table = tomlkit.table()
        table.add(tomlkit.comment(f"from {target.source}; set host (ssh://user@server) to use it"))
        table["apps"] = target.apps
        if target.env_files:
            per_app = tomlkit.table(is_super_table=True)
            for app, files in target.env_files.items():
                entry = tomlkit.table()
                entry["env-file"] = files
                per_app[app] = entry
            table["app"] = per_app
        deploy[target.name] = table
    return deploy


def dockyard_table(detection: Detection) -> Table:
    """[tool.dockyard] for the detected apps; raises if it would not validate."""
    table = tomlkit.table()
    table.add(
        tomlkit.comment(
            "written by `dockyard init`: check each app, then `dockyard lock && dockyard build`"
        )
    )
    table["name"] = detection.name
    table["base-image"] = detection.base_image or DEFAULT_BASE_IMAGE
    apps = tomlkit.table(is_super_table=True)
    for app in detection.apps:
        apps[app.name] = _app_table(app)
    table["apps"] = apps
    if detection.deploy:
        table["deploy"] = _deploy_table(detection)
    try:
        DockyardConfig.model_validate(table.unwrap())
    except ValidationError as exc:  # a detection bug, not the user's: say what to do anyway
        raise DockyardError(
            f"dockyard init made an invalid [tool.dockyard] ({exc.errors()[0]['msg']}); "
            "write it by hand (README: The manifest) and report this"
        ) from None
    return table
