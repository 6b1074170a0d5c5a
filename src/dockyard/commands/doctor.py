"""`dockyard doctor`: check the machine and the project, and say how to fix each finding."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dockyard.buildenv import CA_VARIABLES, find_ca_bundle
from dockyard.console import show
from dockyard.engine import docker
from dockyard.errors import DockyardError
from dockyard.lockfile import LOCK_NAME, file_sha256, read_lock
from dockyard.manifest import Project, load_project

SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)", re.I)


@dataclass(frozen=True)
class Finding:
    level: str  # ok, warn, fail
    what: str
    fix: str = ""


def check_machine() -> list[Finding]:
    out = []
    found = docker.tool_versions()
    server = found["engine"]
    if server is None:
        return [
            Finding(
                "fail",
                "no Docker engine answers",
                "start dockerd or Docker Desktop, or set DOCKER_HOST",
            )
        ]
    leading = re.match(r"\d+", server)
    major = int(leading.group()) if leading else 0
    out.append(
        Finding(
            "ok" if major >= 24 else "warn",
            f"Docker engine {server}",
            "" if major >= 24 else "upgrade to Docker Engine 24 or newer",
        )
    )
    buildx = found["buildx"]
    out.append(
        Finding("ok", f"BuildKit: {buildx}")
        if buildx
        else Finding("fail", "docker buildx is missing", "install the docker-buildx plugin")
    )
    compose = found["compose"]
    out.append(
        Finding("ok", f"Compose v2 {compose}")
        if compose
        else Finding("fail", "docker compose (v2) is missing", "install the compose plugin")
    )
    info = found["drivers"] or ""
    store = "containerd image store" if "containerd" in info else "classic image store"
    out.append(Finding("ok", f"engine uses the {store}"))
    ca = find_ca_bundle(None)
    if ca is not None:
        out.append(Finding("ok", f"proxy/extra CA bundle {ca} reaches builds as a BuildKit secret"))
    elif any(os.environ.get(v) for v in CA_VARIABLES):
        out.append(
            Finding(
                "warn",
                "a CA variable is set but names no file",
                f"point one of {', '.join(CA_VARIABLES)} at a PEM bundle",
            )
        )
    else:
        out.append(Finding("ok", "no extra CA configured (builds use their default roots)"))
    return out


def _registry_reachable(registry: str) -> Finding:
    host = registry.split("/", 1)[0]
    schemes = ("http", "https") if host.startswith(("localhost", "127.")) else ("https",)
    for scheme in schemes:
        try:
            urllib.request.urlopen(f"{scheme}://{host}/v2/", timeout=5)
            return Finding("ok", f"registry {host} answers")
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                return Finding("ok", f"registry {host} answers (needs `docker login {host}`)")
        except (urllib.error.URLError, OSError):
            continue
    return Finding(
        "fail",
        f"registry {host} does not answer",
        "check the address and your network, or ship with `dockyard save`",
    )


def _base_findings(project: Project) -> list[Finding]:
    image = project.base_image
    tag = image.split("@", 1)[0].rsplit("/", 1)[-1]
    if ":" not in tag or tag.endswith(":latest"):
        return [
            Finding(
                "warn",
                f"base image '{image}' has no version tag (or 'latest')",
                "name a version such as python:3.12-slim-bookworm; "
                "dockyard.lock pins it either way",
            )
        ]
    return [Finding("ok", f"base image {image}")]


def check_project(root: Path) -> list[Finding]:
    try:
        project = load_project(root)
    except DockyardError as exc:
        return [Finding("fail", str(exc), "fix the manifest")]
    out = [Finding("ok", f"manifest: {len(project.apps)} app(s) in {project.pyproject}")]
    out += _base_findings(project)
    if project.registry:
        out.append(_registry_reachable(project.registry))
    if not (root / "uv.lock").is_file():
        return [*out, Finding("fail", "uv.lock is missing", "run `dockyard lock`")]
    try:
        lock = read_lock(root)
    except DockyardError as exc:
        return [*out, Finding("fail", str(exc), "run `dockyard lock`")]
    if lock.uv_lock_sha256 != file_sha256(root / "uv.lock"):
        out.append(
            Finding(
                "fail",
                f"uv.lock changed since {LOCK_NAME}",
                "`dockyard build` or `dockyard generate` records it (after checking it)",
            )
        )
    else:
        out.append(Finding("ok", f"{LOCK_NAME}: base pinned to {lock.base.reference}"))
    out += _stale_files(project)
    out += _secret_findings(project, root)
    return out


def _stale_files(project: Project) -> list[Finding]:
    from dockyard.build.load import load_plan
    from dockyard.fsutil import stale
    from dockyard.render import render_all

    try:
        files = render_all(load_plan(project, record=False))
    except DockyardError as exc:
        return [Finding("fail", str(exc))]
    out_of_date = stale(project.root, files)
    if out_of_date:
        return [
            Finding(
                "warn",
                f"stale generated files: {', '.join(out_of_date)}",
                "run `dockyard generate` and commit them",
            )
        ]
    return [Finding("ok", "generated files are up to date")]


def _secret_findings(project: Project, root: Path) -> list[Finding]:
    out = []
    for app in project.apps.values():
        for name, value in app.config.environment.items():
            if SECRET_NAME.search(name) and value:
                out.append(
                    Finding(
                        "fail",
                        f"apps.{app.name}.environment.{name} holds a secret in the manifest",
                        "pass it at run time (a deploy target's env-file, or docker secrets)",
                    )
                )
    dockerfile = root / "Dockerfile"
    if dockerfile.is_file():
        for number, line in enumerate(dockerfile.read_text().splitlines(), 1):
            match = re.match(r"\s*(ARG|ENV)\s+(\w+)", line)
            if match and SECRET_NAME.search(match.group(2)):
                out.append(
                    Finding(
                        "fail",
                        f"Dockerfile:{number}: {match.group(1)} {match.group(2)} would bake "
                        "a secret into the image",
                        "use a BuildKit secret mount instead",
                    )
                )
    return out or [Finding("ok", "no secrets in the manifest's environment or build args")]


def doctor(root: Path, *, as_json: bool) -> int:
    findings = check_machine() + check_project(root)
    if as_json:
        show(json.dumps([f.__dict__ for f in findings], indent=2))
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
        for f in findings:
            show(f"{marks[f.level]}  {f.what}" + (f"\n      fix: {f.fix}" if f.fix else ""))
    return 1 if any(f.level == "fail" for f in findings) else 0
