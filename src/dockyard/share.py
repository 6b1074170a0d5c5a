"""What an app's share image is: the image a colleague runs with Docker and nothing else (pure).

Resolved from ``[tool.dockyard.apps.<app>].share`` and the app's locked packages: the
command (the app's own, else Jupyter Lab when the app has jupyterlab, else the
manifest's `share.command`), the port it listens on, the environment baked in as
overridable defaults, and the member folders copied into the image.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.errors import DockyardError
from dockyard.manifest import App, ShareConfig

JUPYTER = "jupyterlab"
JUPYTER_PORT = 8888
NOTEBOOKS = "/notebooks"  # the colleague's folder is bind-mounted here
BUNDLE = "/opt/share"  # this README and the team's notebooks, inside the image
SHARE_USER = "user"  # the image's default non-root user; `--user` may pick any uid
SHARE_UID = 1000
SHARE_HOME = "/home/user"  # mode 1777: a home for whichever uid the colleague runs as


@dataclass(frozen=True)
class Share:
    command: tuple[str, ...] | None  # None: the prod image's own CMD
    port: int | None  # the port inside the container, when the command serves one
    jupyter: bool  # the command is Jupyter Lab (the port comes from JUPYTER_PORT)
    environment: tuple[tuple[str, str], ...]  # ENV defaults, each overridable with -e
    files: tuple[str, ...]  # member folders copied to BUNDLE/<name>


def jupyter_argv() -> tuple[str, ...]:
    """Jupyter Lab serving the mounted folder; it listens on $JUPYTER_PORT (8888)."""
    return ("jupyter", "lab", "--ip=0.0.0.0", "--no-browser", f"--ServerApp.root_dir={NOTEBOOKS}")


def _container_port(mapping: str) -> int:
    return int(mapping.split("/")[0].rsplit(":", 1)[-1])


def resolve_share(app: App, packages: set[str]) -> Share | None:
    """The app's share image, or None when it has none. ``packages``: its prod pins' names.

    Apps with no command (environment images such as the example's scripts) get one
    unless `share = false`; others only on request (`share = true` or a table).
    """
    config = app.config
    wanted = config.share
    if wanted is None and config.command is not None:
        return None
    table = wanted or ShareConfig()
    if not table.enabled:
        return None
    where = f"tool.dockyard.apps.{app.name}.share"
    environment = {**config.environment, **table.environment}
    if table.command is not None:
        command: tuple[str, ...] | None = tuple(table.command)
        jupyter = False
    elif config.command is not None:
        command, jupyter = None, False
    elif JUPYTER in packages:
        command, jupyter = jupyter_argv(), True
    elif wanted is None:
        return None  # an environment app with nothing to run: no share image by default
    else:
        raise DockyardError(
            f"{where}: {app.name} has no command and no {JUPYTER} among its dependencies, so "
            "its share image would have nothing to run; set share.command (e.g. "
            '["python"]) or add jupyterlab to its dependencies'
        )
    port = table.port
    if port is None and jupyter:
        port = JUPYTER_PORT
    elif port is None and config.ports and command is None:
        port = _container_port(config.ports[0])
    if jupyter:  # Jupyter Server reads its port from JUPYTER_PORT: `-e` can move it
        environment["JUPYTER_PORT"] = str(port)
    return Share(
        command=command,
        port=port,
        jupyter=jupyter,
        environment=tuple(sorted(environment.items())),
        files=app.share_files,
    )
