"""A deploy target's own compose file: the server's `compose.yaml` (pure: no I/O).

It differs from the project's compose.yaml in what a server needs: images by digest
(immutable, so a rollback restores exactly what ran), bind mounts at absolute paths
under the target's directory, the target's env files, ports and restart policy.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

import yaml

from dockyard import __version__
from dockyard.manifest import DeployApp, DeployTarget, Project
from dockyard.names import APP_UID, label
from dockyard.render.compose import depends_on, is_bind, literal, named_volumes

VERSION_LABEL = label("version")
APP_LABEL = label("app")
PROXY_NETWORK = "dockyard-proxy"  # the network the server's proxy shares with served apps


@dataclass(frozen=True)
class DeployImage:
    """An app's image as deployed: pinned by digest, named by the tag it came from."""

    app: str
    reference: str  # <repository>@sha256:<digest>
    version: str  # the tag it was resolved from, e.g. 0.1.0-3eac79fe029d


@dataclass(frozen=True)
class Port:
    """One served port: where the proxy listens on the server, and the app's own port."""

    host_ip: str  # "" for every address
    published: int
    container: int

    @classmethod
    def parse(cls, spec: str) -> Port:
        """'127.0.0.1:80:8000/tcp' -> Port('127.0.0.1', 80, 8000); '8000' -> ('', 8000, 8000)."""
        parts = spec.split("/")[0].split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        published = int(parts[-2]) if len(parts) >= 2 else int(parts[-1])
        return cls(host_ip, published, int(parts[-1]))

    @property
    def publish(self) -> str:
        """The proxy container's -p value: it listens on the same port number inside."""
        prefix = f"{self.host_ip}:" if self.host_ip else ""
        return f"{prefix}{self.published}:{self.published}"


@dataclass(frozen=True)
class BindMount:
    app: str
    source: str  # absolute path on the server
    target: str  # path in the container
    read_only: bool


def compose_project(project: Project, target_name: str) -> str:
    """The Compose project (and Swarm stack) name on the server."""
    return f"{project.name}-{target_name}"


def server_directory(project: Project, target_name: str, target: DeployTarget) -> str:
    return target.directory or f"/srv/dockyard/{compose_project(project, target_name)}"


def _settings(target: DeployTarget, app: str) -> DeployApp:
    return target.app.get(app) or DeployApp()


def app_volumes(project: Project, target: DeployTarget, app: str) -> list[str]:
    own = _settings(target, app).volumes
    return list(own) if own is not None else list(project.apps[app].config.volumes)


def app_ports(project: Project, target: DeployTarget, app: str) -> list[str]:
    own = _settings(target, app).ports
    return list(own) if own is not None else list(project.apps[app].config.ports)


def app_environment(project: Project, target: DeployTarget, app: str) -> dict[str, str]:
    return {**project.apps[app].config.environment, **_settings(target, app).environment}


def app_restart(project: Project, target: DeployTarget, app: str) -> str:
    return _settings(target, app).restart or project.apps[app].config.restart


def served_ports(project: Project, target: DeployTarget, app: str) -> list[Port]:
    return [Port.parse(spec) for spec in app_ports(project, target, app)]


def update_order(project: Project, target: DeployTarget, app: str) -> str:
    """'start-first' (the new copy starts beside the old) or 'stop-first'.

    Apps that serve ports always start first: the proxy switches once the new copy is
    healthy. Others follow `update`, by default stop-first when they mount a writable
    volume (two copies would write the same files), else start-first.
    """
    if app_ports(project, target, app):
        return "start-first"
    chosen = _settings(target, app).update
    if chosen:
        return chosen
    for spec in app_volumes(project, target, app):
        parts = spec.split(":")
        if len(parts) >= 2 and not (len(parts) > 2 and "ro" in parts[2].split(",")):
            return "stop-first"
    return "start-first"


def absolute_volume(spec: str, directory: str) -> str:
    """``./logs:/app/logs`` -> ``<directory>/logs:/app/logs``; names and absolute paths stay."""
    if ":" not in spec:
        return spec
    source, rest = spec.split(":", 1)
    if source.startswith("."):
        source = posixpath.normpath(posixpath.join(directory, source))
    return f"{source}:{rest}"


def bind_mounts(project: Project, target: DeployTarget, directory: str) -> list[BindMount]:
    """Every host directory the target's apps mount, at its absolute server path."""
    mounts = []
    for app in target.apps:
        for spec in app_volumes(project, target, app):
            parts = absolute_volume(spec, directory).split(":")
            if len(parts) >= 2 and is_bind(parts[0]):
                read_only = len(parts) > 2 and "ro" in parts[2].split(",")
                mounts.append(BindMount(app, parts[0], parts[1], read_only))
    return mounts


def env_files(target: DeployTarget) -> list[str]:
    """Every env file the target names (paths relative to the project root)."""
    files: list[str] = []
    for app in target.apps:
        files += [f for f in _settings(target, app).env_file if f not in files]
    return files


def base_service(
    project: Project, target: DeployTarget, app: str, image: DeployImage, directory: str
) -> dict[str, Any]:
    """What a server's compose service and a swarm stack service have in common."""
    service: dict[str, Any] = {
        "image": image.reference,
        "labels": {APP_LABEL: app, VERSION_LABEL: image.version},
    }
    environment = app_environment(project, target, app)
    if environment:
        service["environment"] = literal(environment)
    if _settings(target, app).env_file:
        service["env_file"] = literal(list(_settings(target, app).env_file))
    volumes = [absolute_volume(v, directory) for v in app_volumes(project, target, app)]
    if volumes:
        service["volumes"] = literal(volumes)
    return service


def _service(
    project: Project, target: DeployTarget, app: str, image: DeployImage, directory: str
) -> dict[str, Any]:
    service = base_service(project, target, app, image, directory)
    if app_ports(project, target, app):  # published by the proxy, not by the app
        service["networks"] = ["default", PROXY_NETWORK]
    service["restart"] = app_restart(project, target, app)
    needs = [a for a in project.apps[app].config.depends_on if a in target.apps]
    if needs:
        service["depends_on"] = depends_on(project, needs)
    return service


class _Dumper(yaml.SafeDumper):
    """Plain YAML a person reads: no &anchors/*aliases for repeated values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False)


def header(
    project: Project,
    target_name: str,
    what: str,
    images: dict[str, DeployImage],
    command: str = "deploy",
) -> str:
    lines = [
        f"# Generated by dockyard {__version__} for deploy target '{target_name}' of "
        f"{project.name}:\n# {what}",
        f"# from [tool.dockyard.deploy.{target_name}] in pyproject.toml; do not edit here:",
        f"# change the manifest and run `dockyard {command} {target_name}`.",
        "# Images:",
    ]
    lines += [f"#   {app}: {image.version}  ({image.reference})" for app, image in images.items()]
    return "\n".join(lines) + "\n"


def render_server_compose(
    project: Project,
    target_name: str,
    target: DeployTarget,
    images: dict[str, DeployImage],
    proxy_network: str = PROXY_NETWORK,
) -> str:
    """The compose file for ``docker compose -p <name>-<target> up -d`` on the server.

    Apps publish no port: the server's dockyard-proxy owns the ports and reaches each
    app's containers over ``proxy_network``, so a deploy can start the new container
    beside the old one and switch between them.
    """
    directory = server_directory(project, target_name, target)
    services = {app: _service(project, target, app, images[app], directory) for app in target.apps}
    volumes = named_volumes(*(app_volumes(project, target, app) for app in target.apps))
    document: dict[str, Any] = {"name": compose_project(project, target_name), "services": services}
    if volumes:
        document["volumes"] = {v: {} for v in volumes}
    if any(app_ports(project, target, app) for app in target.apps):
        document["networks"] = {PROXY_NETWORK: {"external": True, "name": proxy_network}}
    what = (
        f"the server's compose file\n# ({directory}/compose.yaml). Bind-mounted host "
        "directories are created on deploy;\n# writable (not :ro) ones are given to the "
        f"apps' non-root user, uid {APP_UID}.\n# Ports are served by the server's dockyard-proxy "
        "container, not by the apps."
    )
    return header(project, target_name, what, images) + "\n" + dump(document)
