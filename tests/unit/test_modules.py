"""Which module a command runs and whether an app's image holds it (modules.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.commands import devrun
from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.modules import (
    check_commands,
    command_module,
    member_packages,
    missing_module,
    root_tests,
)
from dockyard.workspace import load_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def test_command_module() -> None:
    assert command_module(["python", "-m", "pkg.cli", "--x"]) == "pkg.cli"
    assert command_module(["uvicorn", "pkg.web:app", "--port", "1"]) == "pkg.web"
    assert command_module(["gunicorn", "--bind", "0.0.0.0:8000", "pkg.wsgi:app"]) == "pkg.wsgi"
    assert command_module(["flask", "--app", "shop:create_app()", "run"]) == "shop"
    assert command_module(["greet", "x"], {"greet": "acme.cli.core:main"}) == "acme.cli.core"
    assert command_module(["ls"]) is None


def test_member_packages_include_what_the_build_maps_in() -> None:
    workspace = load_workspace(FIXTURES / "bricks")
    assert member_packages(workspace.root, workspace.members["greeter"]) == {"acme"}
    relay = load_workspace(FIXTURES / "member_dockerfiles")
    assert member_packages(relay.root, relay.members["pinger"]) == {"pinger"}


def test_a_module_of_a_member_outside_the_image_is_named() -> None:
    workspace = load_workspace(FIXTURES / "member_dockerfiles")
    members = list(workspace.members.values())
    board = workspace.first_party_closure("board")
    why = missing_module(workspace.root, "board", ["python", "-m", "pinger.run"], members, board)
    assert why is not None and "in member pinger, not in the board image" in why
    ok = missing_module(workspace.root, "board", ["uvicorn", "board.web:app"], members, board)
    assert ok is None
    third_party = ["python", "-m", "http.server"]
    assert missing_module(workspace.root, "board", third_party, members, board) is None


def test_a_folder_that_is_no_package_is_named(tmp_path: Path) -> None:
    root = _copy("member_dockerfiles", tmp_path)
    (root / "tools").mkdir()
    (root / "tools" / "cli.py").write_text("print('x')\n")
    workspace = load_workspace(root)
    members = list(workspace.members.values())
    why = missing_module(
        root,
        "board",
        ["python", "-m", "tools.cli"],
        members,
        workspace.first_party_closure("board"),
    )
    assert why is not None and "tools/ is a folder of the repository that no member ships" in why


def _manifest(root: Path, apps: str) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text() + f'\n[tool.dockyard]\nname = "t"\n{apps}')


def test_generate_refuses_a_command_the_image_cannot_run(tmp_path: Path) -> None:
    root = _copy("member_dockerfiles", tmp_path)
    _manifest(
        root,
        '[tool.dockyard.apps.board]\nmember = "board"\ncommand = ["python", "-m", "pinger.run"]\n',
    )
    with pytest.raises(DockyardError) as error:
        check_commands(load_project(root))
    message = str(error.value)
    assert "tool.dockyard.apps.board.command: its command runs pinger.run" in message
    assert "\n" not in message


def test_root_tests_run_where_their_imports_are(tmp_path: Path) -> None:
    root = _copy("root_tests", tmp_path)
    _manifest(
        root,
        '[tool.dockyard.apps.core]\nmember = "shelf-core"\ncommand = ["python"]\n'
        '[tool.dockyard.apps.cli]\nmember = "shelf-cli"\ncommand = ["shelf"]\n',
    )
    project = load_project(root)
    host, member = root_tests(project)
    assert host.name == "cli"  # its image holds both members the tests import
    assert (member.name, member.path, member.has_tests) == ("shelf", ".", True)
    assert project.workspace.root_dev_group
    shutil.rmtree(root / "tests")
    assert root_tests(load_project(root)) is None


def test_dockyard_test_selects_the_root_tests_by_name(tmp_path: Path) -> None:
    root = _copy("root_tests", tmp_path)
    _manifest(root, '[tool.dockyard.apps.cli]\nmember = "shelf-cli"\ncommand = ["shelf"]\n')
    project = load_project(root)
    [(app, member)] = devrun.test_targets(project, ("shelf",))
    assert (app.name, member.path) == ("cli", ".")
    assert [m.path for _, m in devrun.test_targets(project, ())] == ["."]
