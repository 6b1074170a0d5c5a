from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.init import init, write_example
from dockyard.errors import DockyardError
from dockyard.manifest import load_project


def _without_manifest(root: Path) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text().split("[tool.dockyard]")[0])


def test_init_detects_apps_and_keeps_the_users_text(mini: Path) -> None:
    _without_manifest(mini)
    before = (mini / "pyproject.toml").read_text()
    assert init(mini) == 0
    after = (mini / "pyproject.toml").read_text()
    assert after.startswith(before)  # the user's own lines are untouched
    project = load_project(mini)
    assert list(project.apps) == ["tool"]  # mini-web has no console script: not detected
    assert project.apps["tool"].config.command == ["mini-tool"]
    ignore = (mini / ".dockerignore").read_text().splitlines()
    assert "!packages/mini_tool" in ignore and "!packages/mini_lib" in ignore
    assert "!packages/mini_web" not in ignore


def test_init_refuses_an_existing_manifest(mini: Path) -> None:
    before = (mini / "pyproject.toml").read_text()
    with pytest.raises(DockyardError, match="already has \\[tool.dockyard\\]"):
        init(mini)
    assert (mini / "pyproject.toml").read_text() == before


def test_init_without_pyproject_or_apps(tmp_path: Path, mini: Path) -> None:
    with pytest.raises(DockyardError, match="no pyproject.toml"):
        init(tmp_path / "empty")
    _without_manifest(mini)
    tool = mini / "packages/mini_tool/pyproject.toml"
    tool.write_text(
        tool.read_text().replace('[project.scripts]\nmini-tool = "mini_tool:main"\n', "")
    )
    with pytest.raises(DockyardError, match="no app found"):
        init(mini)
    assert not (mini / ".dockerignore").exists()


def test_example_is_written_once(tmp_path: Path) -> None:
    target = tmp_path / "lol"
    assert write_example(target) == 0
    project = load_project(target)
    assert set(project.apps) == {"parser", "api", "scripts", "bot"}
    assert len(list((target / "data/matches").glob("*.json"))) >= 20
    assert not list(target.rglob(".venv")) and not list(target.rglob("__pycache__"))
    with pytest.raises(DockyardError, match="not empty"):
        write_example(target)
