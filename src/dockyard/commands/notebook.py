"""`dockyard notebook`: Jupyter Lab in an app's dev environment, source and database mounted."""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request

from dockyard.build.devimages import ensure_dev_images
from dockyard.build.load import load_plan
from dockyard.console import say, show
from dockyard.devuser import compose_env
from dockyard.engine import containers, docker
from dockyard.engine.run import why_failed
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.names import DEV_COMPOSE_FILE
from dockyard.plan import WORKSPACE, AppPlan, Plan, needed_apps

JUPYTER = "jupyterlab"
INNER_PORT = 8888


def notebook_app(plan: Plan, name: str | None) -> AppPlan:
    """The named app, or the one app whose dev environment has Jupyter Lab."""
    where = plan.project.pyproject
    if name is None:
        found = [a for a in plan.apps if any(r.name == JUPYTER for r in a.dev_requirements)]
        if len(found) != 1:
            names = ", ".join(a.name for a in found) or "none"
            raise DockyardError(
                f"name the app: `dockyard notebook APP` (apps with {JUPYTER} in {where}: {names})"
            )
        return found[0]
    plan.project.app(name)  # an unknown name lists the apps
    app = plan.app(name)
    if not any(r.name == JUPYTER for r in app.dev_requirements):
        raise DockyardError(
            f"app '{name}' has no {JUPYTER} in its environment: add it to the dependencies "
            f"(or the dev group) of {app.app.member.name}, then `dockyard lock`"
        )
    return app


def jupyter_argv() -> list[str]:
    return [
        "jupyter",
        "lab",
        "--ip=0.0.0.0",
        f"--port={INNER_PORT}",
        "--no-browser",
        f"--ServerApp.root_dir={WORKSPACE}",
    ]


def _wait_ready(name: str, port: int, token: str, timeout: float) -> None:
    url = f"http://127.0.0.1:{port}/api/status"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not containers.running(name):
            raise DockyardError(
                f"Jupyter Lab exited before it answered; its last output:\n{containers.logs(name)}"
            )
        request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise DockyardError(f"Jupyter Lab did not answer on {url} within {timeout:.0f}s")


def notebook(project: Project, name: str | None, *, port: int, build: bool) -> int:
    """Start Jupyter Lab, print its URL, stream its log; Ctrl-C stops and removes it."""
    app = notebook_app(load_plan(project), name)
    docker.require_engine()
    ensure_dev_images(project, needed_apps(project, app.app), build=build)
    container = f"{project.name}-notebook-{app.name}"
    if containers.exists(container):
        raise DockyardError(
            f"a notebook container {container} already exists; stop it with Ctrl-C in its "
            f"terminal or `docker rm -f {container}`"
        )
    token = secrets.token_hex(24)
    args = ["run", "-d", "--name", container, "-p", f"127.0.0.1:{port}:{INNER_PORT}"]
    args += ["-e", "JUPYTER_TOKEN", app.name, *jupyter_argv()]
    env = {**compose_env(project.root), "JUPYTER_TOKEN": token}
    proc = docker.compose(project.root, DEV_COMPOSE_FILE, args, capture=True, env=env)
    if proc.returncode != 0:
        containers.stop_and_remove(container)
        reason = why_failed(proc)
        if any(x in (proc.stderr or "") for x in ("address already in use", "port is already")):
            reason = f"127.0.0.1:{port} is in use; choose another port with --port"
        raise DockyardError(f"could not start Jupyter Lab for {app.name}: {reason}")
    try:
        _wait_ready(container, port, token, timeout=120)
        show(f"Jupyter Lab ({app.name}, {WORKSPACE} = {project.root}) is ready at:")
        show(f"    http://127.0.0.1:{port}/lab?token={token}")
        say("Ctrl-C stops it and removes its container.")
        containers.follow_logs(container)
    except KeyboardInterrupt:
        pass
    finally:
        containers.stop_and_remove(container)
    say(f"notebook stopped; container {container} removed")
    return 0
