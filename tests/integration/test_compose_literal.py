"""What real `docker compose` makes of the values dockyard writes: exactly what the
manifest says, `$` included, in the project's and a deploy target's compose files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from dockyard.manifest import load_project
from dockyard.render.server import DeployImage, render_server_compose
from helpers import FIXTURES, copy_project, dockyard

VALUES = {"DATABASE_URL": "postgresql://app:pa$word@db/lol", "WHERE": "${HOME}/x $$ $"}
TARGET = '\n[tool.dockyard.deploy.prod]\napps = ["web"]\ndirectory = "/srv/t"\n'


def _environment(folder: Path, name: str) -> dict[str, str]:
    """The web service's environment after Compose's interpolation, as it reaches the
    container. `config` prints a file Compose could read again: literal `$` as `$$`."""
    environment = _config(folder, name)["services"]["web"]["environment"]
    return {k: environment[k].replace("$$", "$") for k in VALUES}


def _config(folder: Path, name: str) -> dict:
    env = {**os.environ, "HOME": "/the/deployers/home"}
    proc = subprocess.run(
        ["docker", "compose", "-f", name, "config", "--format", "json"],
        cwd=folder, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _manifest(root: Path) -> None:
    path = root / "pyproject.toml"
    environment = ", ".join(f"{k} = {json.dumps(v)}" for k, v in VALUES.items())
    text = path.read_text().replace(
        'environment = { MINI_GREETING = "hello" }', f"environment = {{ {environment} }}"
    )
    path.write_text(text + TARGET)


def test_project_compose_files_keep_dollars(tmp_path: Path, base_image: str) -> None:
    root = copy_project(FIXTURES / "mini", tmp_path / "mini")
    _manifest(root)
    dockyard(root, "lock")
    dockyard(root, "generate")
    for name in ("compose.yaml", "compose.dev.yaml", ".devcontainer/web/compose.yaml"):
        assert _environment(root / Path(name).parent, Path(name).name) == VALUES, name


def test_deploy_target_compose_keeps_dollars(tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "mini", tmp_path / "mini")
    _manifest(root)
    project = load_project(root)
    image = DeployImage("web", "127.0.0.1:5000/mini/web@sha256:" + "a" * 64, "0.2.0-abc")
    text = render_server_compose(project, "prod", project.deploy["prod"], {"web": image})
    (tmp_path / "compose.yaml").write_text(text)
    assert _environment(tmp_path, "compose.yaml") == VALUES
