"""Each app's dev container is a Compose project of its own (side by side with the others),
sharing the dev data by volume name; its uid:gid come from the host at `devcontainer up`."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

from dockyard.commands.generate import load_plan
from dockyard.manifest import load_project
from dockyard.render import render_all


def _rewrite(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text().replace(old, new, 1))


def _jsonc(text: str) -> dict:
    return json.loads("\n".join(line for line in text.splitlines() if not line.startswith("//")))


def _files(root: Path) -> dict[str, str]:
    return render_all(load_plan(load_project(root)))


def test_one_project_per_app_and_shared_volumes(locked_mini: Path) -> None:
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ntest-needs = ["web"]')
    files = _files(locked_mini)
    web = yaml.safe_load(files[".devcontainer/web/compose.yaml"])
    tool = yaml.safe_load(files[".devcontainer/tool/compose.yaml"])
    assert (web["name"], tool["name"]) == ("mini-dev-web", "mini-dev-tool")
    assert list(web["services"]) == ["web"]
    assert list(tool["services"]) == ["web", "tool"]
    # the same dev data as compose.dev.yaml, whichever project starts first
    # (compose.dev.yaml's, project mini-dev, is mini-dev_state; `dockyard test` gets its own)
    assert web["volumes"] == tool["volumes"] == {"state": {"name": "mini-dev_state"}}
    assert yaml.safe_load(files["compose.dev.yaml"])["volumes"] == {"state": {}}
    # only the app itself publishes: a needed app publishes in its own project
    assert web["services"]["web"]["ports"] == ["8080"]
    assert "ports" not in tool["services"]["web"]
    # a dependency may start slowly (a busy laptop); the app's own probe is as written
    assert tool["services"]["web"]["healthcheck"]["start_period"] == "180s"
    assert web["services"]["web"]["healthcheck"]["start_period"] == "2s"
    # paths are relative to the file's folder
    assert web["services"]["web"]["volumes"][0] == "../..:/workspace"


def test_bind_mounts_are_relative_to_the_file(locked_mini: Path) -> None:
    _rewrite(
        locked_mini, 'volumes = ["state:/state"]', 'volumes = ["state:/state", "./logs:/logs:ro"]'
    )
    files = _files(locked_mini)
    web = yaml.safe_load(files[".devcontainer/web/compose.yaml"])["services"]["web"]
    assert web["volumes"] == ["../..:/workspace", "state:/state", "../../logs:/logs:ro"]
    dev = yaml.safe_load(files["compose.dev.yaml"])["services"]["web"]
    assert dev["volumes"] == [".:/workspace", "state:/state", "./logs:/logs:ro"]


def _initialize(root: Path, app: str, env: dict[str, str]) -> dict[str, str]:
    config = _jsonc(_files(root)[f".devcontainer/{app}/devcontainer.json"])
    (root / ".devcontainer" / app).mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOCKYARD_")}
    subprocess.run(config["initializeCommand"], cwd=root, env={**clean, **env}, check=True)
    text = (root / ".devcontainer" / app / ".env").read_text()
    return dict(re.findall(r"^(\w+)=(\d+)$", text, re.M))


def test_initialize_command_writes_the_host_ids(locked_mini: Path) -> None:
    """Run the real command with sh: root gets the tree owner's ids; DOCKYARD_UID wins."""
    if os.getuid() == 0:
        os.chown(locked_mini, 4321, 4322)
        expected = {"DOCKYARD_UID": "4321", "DOCKYARD_GID": "4322"}
    else:
        expected = {"DOCKYARD_UID": str(os.getuid()), "DOCKYARD_GID": str(os.getgid())}
    assert _initialize(locked_mini, "web", {}) == expected
    assert _initialize(locked_mini, "web", {"DOCKYARD_UID": "7", "DOCKYARD_GID": "8"}) == {
        "DOCKYARD_UID": "7",
        "DOCKYARD_GID": "8",
    }
    assert _files(locked_mini)[".devcontainer/.gitignore"].splitlines()[-1] == "*/.env"
