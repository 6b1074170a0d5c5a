from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockyard.cli import cli
from dockyard.commands.init import init, write_example
from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from helpers import FIXTURES


def _without_manifest(root: Path) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text().split("[tool.dockyard]")[0])


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def test_without_write_nothing_changes(tmp_path: Path) -> None:
    root = _copy("seed", tmp_path)
    before = _tree(root)
    result = CliRunner().invoke(cli, ["init", "-C", str(root)])
    assert result.exit_code == 0, result.output
    assert "could not map (check these by hand):" in result.output
    assert "nothing written; run `dockyard init --write` to apply" in result.output
    assert _tree(root) == before


def test_write_converts_the_seed_layout_and_backs_up(tmp_path: Path) -> None:
    root = _copy("seed", tmp_path)
    originals = {n: (root / n).read_text() for n in ("Dockerfile", "requirements_base.txt")}
    assert init(root, write=True) == 0
    project = load_project(root)
    assert list(project.apps) == ["api", "parser", "scripts"]
    parser = project.apps["parser"]
    assert [m.name for m in parser.first_party] == ["lol-data", "lol-data-parser"]
    assert project.deploy["server"].app["parser"].env_file == ["env/aws_parser.env"]
    for name, text in originals.items():
        assert not (root / name).exists()
        assert (root / f"{name}.dockyard-backup").read_text() == text
    assert (root / "run_parser.sh").is_file() and (root / "docker-compose.yml").is_file()
    ignore = (root / ".dockerignore").read_text().splitlines()
    assert "!lol_data" in ignore and "!config" not in ignore
    with pytest.raises(DockyardError, match="already has \\[tool.dockyard\\]"):
        init(root, write=True)


def test_write_refuses_to_overwrite_an_old_backup(tmp_path: Path) -> None:
    root = _copy("seed", tmp_path)
    (root / "Dockerfile.dockyard-backup").write_text("from an earlier run\n")
    before = _tree(root)
    with pytest.raises(DockyardError, match="Dockerfile.dockyard-backup already exist"):
        init(root, write=True)
    assert _tree(root) == before


def test_init_detects_apps_and_keeps_the_users_text(mini: Path) -> None:
    _without_manifest(mini)
    before = (mini / "pyproject.toml").read_text()
    assert init(mini) == 0
    assert (mini / "pyproject.toml").read_text() == before  # a dry run
    assert init(mini, write=True) == 0
    after = (mini / "pyproject.toml").read_text()
    assert after.startswith(before)  # the user's own lines are untouched
    assert (mini / "pyproject.toml.dockyard-backup").read_text() == before
    project = load_project(mini)
    assert list(project.apps) == ["tool", "web"]  # mini-web is found by its __main__.py
    assert project.apps["tool"].config.command == ["mini-tool"]
    assert project.apps["web"].config.command == ["python", "-m", "mini_web"]
    ignore = (mini / ".dockerignore").read_text().splitlines()
    assert "!packages/mini_tool" in ignore and "!packages/mini_lib" in ignore


def test_init_refuses_an_existing_manifest(mini: Path) -> None:
    before = (mini / "pyproject.toml").read_text()
    with pytest.raises(DockyardError, match="already has \\[tool.dockyard\\]"):
        init(mini, write=True)
    assert (mini / "pyproject.toml").read_text() == before


def test_init_without_project_or_apps(tmp_path: Path, mini: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DockyardError, match="no Python project"):
        init(tmp_path / "empty")
    _without_manifest(mini)
    for member in ("mini_tool", "mini_web"):
        shutil.rmtree(mini / "packages" / member)
    with pytest.raises(DockyardError, match="no app found"):
        init(mini, write=True)
    assert not (mini / ".dockerignore").exists()


@pytest.mark.parametrize("fixture", ["poetry_only", "setup_py_only", "node_app", "bare_scripts"])
def test_unsupported_exit_2_and_nothing_written(tmp_path: Path, fixture: str) -> None:
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / "unsupported" / fixture, root)
    before = _tree(root)
    with pytest.raises(DockyardError) as caught:
        init(root, write=True)
    assert caught.value.exit_code == 2
    assert _tree(root) == before


def test_example_is_written_once(tmp_path: Path) -> None:
    target = tmp_path / "lol"
    assert write_example(target) == 0
    project = load_project(target)
    assert set(project.apps) == {"parser", "api", "scripts", "bot"}
    assert len(list((target / "data/matches").glob("*.json"))) >= 20
    assert not list(target.rglob(".venv")) and not list(target.rglob("__pycache__"))
    with pytest.raises(DockyardError, match="not empty"):
        write_example(target)
