"""A swarm deploy target's stack file for `docker stack deploy` (pure: no I/O).

Rolling updates are gated by each image's HEALTHCHECK: a new task counts as running
only once healthy. Apps that publish ports start the new task first (`start-first`),
so the old one serves until its successor is healthy; workers without ports stop
first, so two copies never write the same files at once. A task that fails during
the update or its `monitor` window makes Swarm roll the service back by itself.
"""

from __future__ import annotations

from typing import Any

from dockyard.manifest import DeployTarget, Project
from dockyard.render.compose import named_volumes
from dockyard.render.gateway import gateway_service
from dockyard.render.server import (
    APP_LABEL,
    DeployImage,
    Port,
    app_ports,
    app_volumes,
    base_service,
    compose_project,
    dump,
    header,
    server_directory,
)
from dockyard.syntax import parse_port

MONITOR = "20s"


def _order(project: Project, target: DeployTarget, app: str) -> str:
    return "start-first" if app_ports(project, target, app) else "stop-first"


def _deploy(project: Project, target: DeployTarget, app: str) -> dict[str, Any]:
    settings = target.app.get(app)
    order = _order(project, target, app)
    constraints = list(settings.placement) if settings else []
    return {
        "replicas": settings.replicas if settings else 1,
        **({"placement": {"constraints": constraints}} if constraints else {}),
        "update_config": {
            "parallelism": 1,
            "order": order,
            "failure_action": "rollback",
            "monitor": MONITOR,
        },
        "rollback_config": {"parallelism": 1, "order": order, "failure_action": "pause"},
        "restart_policy": {"condition": "any", "delay": "2s"},
        "labels": {APP_LABEL: app},
    }


def _service(
    project: Project, target: DeployTarget, app: str, image: DeployImage, directory: str
) -> dict[str, Any]:
    service = base_service(project, target, app, image, directory)
    ports = app_ports(project, target, app)
    service["stop_grace_period"] = "20s"
    service["deploy"] = _deploy(project, target, app)
    if ports and target.routing == "gateway":
        service["deploy"]["endpoint_mode"] = "dnsrr"  # the gateway resolves tasks.<app>
    elif ports:
        service["ports"] = [_swarm_port(p) for p in ports]
    return service


def _swarm_port(spec: str) -> str:
    """Swarm publishes on every address of the node: drop a host IP (127.0.0.1:80:8000)."""
    return parse_port(spec).without_host_ip()


def gateway_name(app: str) -> str:
    return f"{app}-gateway"


def render_stack(
    project: Project,
    target_name: str,
    target: DeployTarget,
    images: dict[str, DeployImage],
    gateway_image: str = "dockyard-proxy",
) -> str:
    """The stack file; `depends_on`, `build` and `.env` are not used (Swarm ignores them).

    ``gateway_image``: the dockyard-proxy (Caddy) image the gateways run.
    """
    directory = server_directory(project, target_name, target)
    services = {app: _service(project, target, app, images[app], directory) for app in target.apps}
    if target.routing == "gateway":
        for app in target.apps:
            for spec in app_ports(project, target, app):
                port = Port.parse(spec)
                services[gateway_name(app)] = gateway_service(
                    app, gateway_image, port.published, port.container, target.gateway_placement
                )
    volumes = named_volumes(*(app_volumes(project, target, app) for app in target.apps))
    document: dict[str, Any] = {"version": "3.8", "services": services}
    if volumes:
        document["volumes"] = {v: {} for v in volumes}
    what = (
        f"the stack file for `docker stack deploy {compose_project(project, target_name)}`"
        "\n# (rolling, health-gated updates; a failed update rolls back by itself)."
    )
    return header(project, target_name, what, images) + "\n" + dump(document)
