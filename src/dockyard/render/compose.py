"""compose.yaml (run the prod images) and compose.dev.yaml (dev services for IDEs and tests)."""

from __future__ import annotations

from typing import Any

import yaml

from dockyard.manifest import Healthcheck, Project
from dockyard.names import generated_by
from dockyard.plan import DEV_UID, WORKSPACE, AppPlan, Plan

# dockyard sets these to your uid/gid, so files a dev container writes in the source are yours
DEV_USER_SPEC = f"${{DOCKYARD_UID:-{DEV_UID}}}:${{DOCKYARD_GID:-{DEV_UID}}}"


def _header(what: str) -> str:
    return (
        f"# {generated_by('[tool.dockyard] in pyproject.toml')}\n"
        f"# {what[:1].upper()}{what[1:]}. Change the manifest, not this file.\n"
    )


def is_bind(source: str) -> bool:
    """Whether a volume source is a host path (or a variable naming one), not a volume name."""
    return source.startswith((".", "/", "~", "$"))


def named_volumes(volumes: list[str]) -> list[str]:
    """Sources of ``source:target`` entries that are volume names, not host paths (the
    top-level ``volumes:`` of every compose file and stack dockyard writes)."""
    names = []
    for spec in volumes:
        source = spec.split(":", 1)[0]
        if ":" in spec and not is_bind(source) and source not in names:
            names.append(source)
    return names


def depends_on(project: Project, names: list[str]) -> dict[str, dict[str, str]]:
    """Compose ``depends_on``: wait for a needed app to be healthy when it has a
    healthcheck, else to start."""
    return {
        name: {
            "condition": "service_healthy"
            if project.apps[name].config.healthcheck is not None
            else "service_started"
        }
        for name in dict.fromkeys(names)
    }


def _healthcheck(check: Healthcheck) -> dict[str, Any]:
    return {
        "test": ["CMD", *check.argv()],
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "start_period": check.start_period,
        "start_interval": check.start_interval,
    }


def _common(app: AppPlan) -> dict[str, Any]:
    config = app.app.config
    service: dict[str, Any] = {}
    if config.profiles:
        service["profiles"] = list(config.profiles)
    if config.environment:
        service["environment"] = dict(config.environment)
    if config.ports:
        service["ports"] = list(config.ports)
    return service


def _dump(header: str, document: dict[str, Any]) -> str:
    return header + "\n" + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def render_compose(plan: Plan) -> str:
    """Prod services from the built images; command and healthcheck come from the image."""
    services: dict[str, Any] = {}
    volumes: list[str] = []
    for app in plan.apps:
        config = app.app.config
        if config.command is None:
            continue  # an environment image (e.g. notebooks) has nothing to run
        service = {"image": app.prod_tag, **_common(app), "restart": config.restart}
        if config.volumes:
            service["volumes"] = list(config.volumes)
            volumes += [v for v in named_volumes(config.volumes) if v not in volumes]
        if config.depends_on:
            service["depends_on"] = depends_on(plan.project, config.depends_on)
        services[app.name] = service
    document: dict[str, Any] = {"name": plan.project.name, "services": services}
    if volumes:
        document["volumes"] = {v: {} for v in volumes}
    return _dump(_header("the production stack (`docker compose up -d`)"), document)


def render_compose_dev(plan: Plan) -> str:
    """One dev service per app: source mounted at /workspace, venv python at /opt/venv.

    No `build:`: IDEs (PyCharm, the Dev Containers CLI) start the images `dockyard
    build --dev` made, at once, instead of rebuilding without the build's secrets.
    """
    services: dict[str, Any] = {}
    volumes: list[str] = []
    for app in plan.apps:
        config = app.app.config
        service: dict[str, Any] = {
            "image": app.dev_tag,
            **_common(app),
            "user": DEV_USER_SPEC,
            "init": True,  # stops in a blink, also `sleep infinity`
            "working_dir": app.dev_workdir,
            "volumes": [f".:{WORKSPACE}", *config.volumes],
        }
        volumes += [v for v in named_volumes(config.volumes) if v not in volumes]
        service["command"] = list(config.dev_command or config.command or ["sleep", "infinity"])
        if config.healthcheck is not None:
            service["healthcheck"] = _healthcheck(config.healthcheck)
        needs = depends_on(plan.project, [*config.depends_on, *config.test_needs])
        if needs:
            service["depends_on"] = needs
        services[app.name] = service
    document: dict[str, Any] = {"name": f"{plan.project.name}-dev", "services": services}
    if volumes:
        document["volumes"] = {v: {} for v in volumes}
    return _dump(
        _header("dev services (PyCharm's Docker Compose interpreter, `dockyard shell/run/test`)"),
        document,
    )
