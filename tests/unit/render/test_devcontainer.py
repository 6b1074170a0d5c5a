"""Dev environments in generated files: devcontainer.json, compose.dev.yaml's dev services,
the dev stage (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from helpers import render_project
from helpers import rewrite_manifest as _rewrite


def _jsonc(text: str) -> dict:
    return json.loads("\n".join(line for line in text.splitlines() if not line.startswith("//")))


@pytest.fixture
def files(locked_mini: Path) -> dict[str, str]:
    return render_project(locked_mini)


# ---- .devcontainer/<app>/devcontainer.json ----


def test_one_compose_based_devcontainer_per_app(files: dict[str, str]) -> None:
    assert sorted(f for f in files if f.startswith(".devcontainer/")) == [
        ".devcontainer/.gitignore",
        ".devcontainer/tool/compose.yaml",
        ".devcontainer/tool/devcontainer.json",
        ".devcontainer/web/compose.yaml",
        ".devcontainer/web/devcontainer.json",
    ]
    web = _jsonc(files[".devcontainer/web/devcontainer.json"])
    assert web["dockerComposeFile"] == ["compose.yaml"]
    assert web["service"] == "web"
    assert web["runServices"] == ["web"]
    assert web["workspaceFolder"] == "/workspace/packages/mini_web"
    assert web["shutdownAction"] == "stopCompose"
    assert web["overrideCommand"] is True
    assert "remoteUser" not in web and web["updateRemoteUserUID"] is False
    settings = web["customizations"]["vscode"]["settings"]
    assert settings["python.defaultInterpreterPath"] == "/opt/venv/bin/python"


def test_devcontainer_runs_only_the_services_the_app_needs(locked_mini: Path) -> None:
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ntest-needs = ["web"]')
    files = render_project(locked_mini)
    tool = _jsonc(files[".devcontainer/tool/devcontainer.json"])
    assert tool["runServices"] == ["web", "tool"]
    assert _jsonc(files[".devcontainer/web/devcontainer.json"])["runServices"] == ["web"]


def test_devcontainer_service_and_folder_exist_in_compose_dev(files: dict[str, str]) -> None:
    for app in ("web", "tool"):
        services = yaml.safe_load(files[f".devcontainer/{app}/compose.yaml"])["services"]
        config = _jsonc(files[f".devcontainer/{app}/devcontainer.json"])
        assert services[config["service"]]["working_dir"] == config["workspaceFolder"]
        assert set(config["runServices"]) <= set(services)


# ---- compose.dev.yaml: user, init, dev-command ----


def test_dev_services_run_as_dockyard_uid_with_defaults(files: dict[str, str]) -> None:
    services = yaml.safe_load(files["compose.dev.yaml"])["services"]
    for service in services.values():
        assert service["user"] == "${DOCKYARD_UID:-1000}:${DOCKYARD_GID:-1000}"
        assert service["init"] is True


def test_dev_command_replaces_command_in_dev_services_only(locked_mini: Path) -> None:
    _rewrite(
        locked_mini,
        'command = ["python", "-m", "mini_web"]',
        'command = ["python", "-m", "mini_web"]\n'
        'dev-command = ["python", "-m", "mini_web", "--dev"]',
    )
    files = render_project(locked_mini)
    dev = yaml.safe_load(files["compose.dev.yaml"])["services"]["web"]
    assert dev["command"] == ["python", "-m", "mini_web", "--dev"]
    assert 'CMD ["python", "-m", "mini_web"]' in files["Dockerfile"]
    assert "--dev" not in files["Dockerfile"] + files["compose.yaml"]


def test_empty_dev_command_is_a_manifest_error(locked_mini: Path) -> None:
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ndev-command = []')
    with pytest.raises(DockyardError, match=r"tool\.dockyard\.apps\.tool\.dev-command: must not"):
        load_project(locked_mini)


def test_dev_stage_has_a_dev_user_and_dirs_any_uid_may_write(files: dict[str, str]) -> None:
    stage = files["Dockerfile"].split(" AS web-dev\n")[1].split("\n\n")[0]
    # install.py user: uid 1000, a home and /state any uid may write (test_buildstep runs it)
    user = " ".join(stage.split("/opt/dockyard/install.py user ", 1)[1].split())
    assert user.startswith("dev 1000 /home/dev --workdir /workspace/packages/mini_web")
    assert user.endswith(
        "--writable /state ENV HOME=/home/dev WORKDIR /workspace/packages/mini_web"
    )
    assert "ENV HOME=/home/dev" in stage
    assert stage.rstrip().endswith("WORKDIR /workspace/packages/mini_web")
    prod = files["Dockerfile"].split(" AS web\n")[1].split("# ---- app")[0]
    assert "/home/dev" not in prod and "dev-inputs" not in prod
