"""Kubernetes manifests for a deploy target, from dockyard's own plan (pure: no I/O).

Per app: a Deployment (image by digest, non-root uid APP_UID, probes from the app's
healthcheck, env from a ConfigMap plus a Secret per env file), a Service when it
publishes ports, and a PersistentVolumeClaim per volume (named or bind-mounted).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from dockyard.errors import DockyardError
from dockyard.manifest import DeployTarget, Healthcheck, Project
from dockyard.names import APP_UID
from dockyard.render.server import (
    DeployImage,
    app_environment,
    app_ports,
    app_volumes,
    compose_project,
    dump,
    header,
)
from dockyard.syntax import parse_port

PVC_SIZE = "1Gi"


def _seconds(duration: str) -> int:
    number = int(re.sub(r"\D", "", duration) or 0)
    unit = re.sub(r"\d", "", duration)
    return {"ms": max(1, number // 1000), "s": number, "m": number * 60, "h": number * 3600}[unit]


def k8s_name(text: str) -> str:
    """A DNS-1123 label: lower case, digits and '-', at most 63 characters."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63] or "x"


def secret_name(project: Project, env_file: str) -> str:
    return k8s_name(f"{project.name}-{env_file.rsplit('/', 1)[-1].replace('.', '-')}")


def _labels(project: Project, app: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": k8s_name(project.name)}


def _probes(check: Healthcheck) -> dict[str, Any]:
    if check.http is not None:
        url = urlparse(check.http)
        handler: dict[str, Any] = {
            "httpGet": {"path": url.path or "/", "port": url.port or 80, "scheme": "HTTP"}
        }
    else:
        handler = {"exec": {"command": list(check.command or [])}}
    timing = {
        "periodSeconds": _seconds(check.interval),
        "timeoutSeconds": _seconds(check.timeout),
        "failureThreshold": check.retries,
    }
    startup = {**handler, **timing, "failureThreshold": check.retries + max(
        1, _seconds(check.start_period) // max(1, _seconds(check.interval))
    )}  # fmt: skip
    return {
        "startupProbe": startup,
        "readinessProbe": {**handler, **timing},
        "livenessProbe": {**handler, **timing},
    }


def _single(spec: str, text: str) -> int:
    if "-" in text:
        raise DockyardError(
            f"port mapping '{spec}' is a range; Kubernetes Services and the Swarm gateway "
            "take single ports: list each port on its own"
        )
    return int(text)


def container_port(spec: str) -> int:
    """'127.0.0.1:80:8000/tcp' -> 8000."""
    return _single(spec, parse_port(spec).target)


def published_port(spec: str) -> int:
    port = parse_port(spec)
    return _single(spec, port.published or port.target)


def volume_claims(project: Project, target: DeployTarget, app: str) -> list[tuple[str, str, bool]]:
    """(claim name, mount path, read-only) for each of the app's volumes."""
    claims = []
    for spec in app_volumes(project, target, app):
        parts = spec.split(":")
        if len(parts) < 2:
            continue
        source = parts[0].lstrip("./") or "root"
        read_only = len(parts) > 2 and "ro" in parts[2].split(",")
        claims.append((k8s_name(f"{project.name}-{source}"), parts[1], read_only))
    return claims


def _container(
    project: Project, target: DeployTarget, app: str, image: DeployImage
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": app, "image": image.reference}
    settings = target.app.get(app)
    env_from: list[dict[str, Any]] = []
    if app_environment(project, target, app):
        env_from.append({"configMapRef": {"name": k8s_name(f"{project.name}-{app}-config")}})
    for env_file in settings.env_file if settings else []:
        env_from.append({"secretRef": {"name": secret_name(project, env_file)}})
    if env_from:
        container["envFrom"] = env_from
    ports = app_ports(project, target, app)
    if ports:
        container["ports"] = [{"containerPort": container_port(p)} for p in ports]
    check = project.apps[app].config.healthcheck
    if check is not None:
        container.update(_probes(check))
    container["securityContext"] = {"allowPrivilegeEscalation": False}
    mounts = [
        {"name": claim, "mountPath": path, **({"readOnly": True} if ro else {})}
        for claim, path, ro in volume_claims(project, target, app)
    ]
    if mounts:
        container["volumeMounts"] = mounts
    return container


def deployment(
    project: Project, target: DeployTarget, app: str, image: DeployImage
) -> dict[str, Any]:
    settings = target.app.get(app)
    labels = _labels(project, app)
    serves = bool(app_ports(project, target, app))
    claims = volume_claims(project, target, app)
    pod: dict[str, Any] = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": APP_UID,
            "runAsGroup": APP_UID,
            "fsGroup": APP_UID,  # volumes become writable by the app user
        },
        "containers": [_container(project, target, app, image)],
    }
    if claims:
        pod["volumes"] = [
            {"name": claim, "persistentVolumeClaim": {"claimName": claim}}
            for claim in dict.fromkeys(c for c, _, _ in claims)
        ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": k8s_name(app),
            "labels": {**labels, "app.kubernetes.io/version": k8s_name(image.version)},
        },
        "spec": {
            "replicas": settings.replicas if settings else 1,
            "selector": {"matchLabels": labels},
            # a server keeps serving until its successor is ready; a worker never overlaps
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            }
            if serves
            else {"type": "Recreate"},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def service(project: Project, target: DeployTarget, app: str) -> dict[str, Any]:
    ports = app_ports(project, target, app)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": k8s_name(app), "labels": _labels(project, app)},
        "spec": {
            "selector": _labels(project, app),
            "ports": [
                {
                    "name": f"p{published_port(p)}",
                    "port": published_port(p),
                    "targetPort": container_port(p),
                }
                for p in ports
            ],  # fmt: skip
        },
    }


def config_map(project: Project, target: DeployTarget, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": k8s_name(f"{project.name}-{app}-config"),
            "labels": _labels(project, app),
        },
        "data": dict(app_environment(project, target, app)),
    }


def claim(name: str, project: Project) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": k8s_name(project.name)}},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": PVC_SIZE}},
        },
    }


def render_k8s(
    project: Project, target_name: str, target: DeployTarget, images: dict[str, DeployImage]
) -> dict[str, str]:
    """File name -> YAML text, plus a kustomization.yaml listing them in apply order."""
    docs: dict[str, dict[str, Any]] = {}
    for app in target.apps:
        for name, _, _ in volume_claims(project, target, app):
            docs[f"pvc-{name}.yaml"] = claim(name, project)
    for app in target.apps:
        if app_environment(project, target, app):
            docs[f"{app}-configmap.yaml"] = config_map(project, target, app)
        docs[f"{app}-deployment.yaml"] = deployment(project, target, app, images[app])
        if app_ports(project, target, app):
            docs[f"{app}-service.yaml"] = service(project, target, app)
    secrets = sorted({secret_name(project, f) for a in target.app.values() for f in a.env_file})
    what = (
        f"Kubernetes manifests ({compose_project(project, target_name)}); apply with "
        "`kubectl apply -k .`"
        + "".join(
            f"\n# Needs the Secret {s}: kubectl create secret generic {s} --from-env-file=FILE"
            for s in secrets
        )
    )
    head = header(project, target_name, what, images, command="k8s") + "\n"
    files = {name: head + dump(doc) for name, doc in docs.items()}
    files["kustomization.yaml"] = head + dump(
        {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
         "resources": list(docs)}
    )  # fmt: skip
    return files
