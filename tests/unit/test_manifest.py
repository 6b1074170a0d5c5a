from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from helpers import rewrite_manifest as _rewrite


def test_loads_apps_members_and_first_party_closure(mini: Path) -> None:
    project = load_project(mini)
    assert project.name == "mini"
    assert list(project.apps) == ["web", "tool"]
    web = project.apps["web"]
    assert web.member.name == "mini-web"
    assert [m.name for m in web.first_party] == ["mini-lib", "mini-web"]
    assert web.config.healthcheck is not None
    assert web.config.healthcheck.http == "http://127.0.0.1:8080/health"


def test_base_image_env_override(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_BASE_IMAGE", "example/python:3.11")
    assert load_project(mini).base_image == "example/python:3.11"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'member = "mini-tool"',
            'member = "mini-nope"',
            "tool.dockyard.apps.tool.member: 'mini-nope' is not a member",
        ),
        (
            'command = ["mini-tool"]',
            'command = "mini-tool"',
            "tool.dockyard.apps.tool.command: Input should be a valid list",
        ),
        ('name = "mini"\n', 'name = "mini"\nbogus = 1\n', "tool.dockyard.bogus: unknown field"),
        ('ports = ["8080"]', 'ports = ["eighty"]', "tool.dockyard.apps.web.ports"),
        (
            "[tool.dockyard.apps.tool]",
            "[tool.dockyard.apps.base]",
            "clashes with a Dockerfile stage",
        ),
        (
            "[tool.dockyard.apps.tool]",
            "[tool.dockyard.apps.code-tool]",
            "'code-tool' clashes with a Dockerfile stage",
        ),
        (
            "[tool.dockyard.apps.tool]",
            "[tool.dockyard.apps.tool-dirs]",
            "'tool-dirs' clashes with a Dockerfile stage",
        ),
        (
            "[tool.dockyard.apps.tool]",
            "[tool.dockyard.apps.venv]",
            "'venv' clashes with a Dockerfile stage",
        ),
        ('interval = "2s"', 'interval = "soon"', "tool.dockyard.apps.web.healthcheck.interval"),
        (
            'member = "mini-tool"',
            'member = "mini-tool"\ndepends-on = ["db"]',
            "tool.dockyard.apps.tool.depends-on: 'db' is not an app",
        ),
        (
            '{ http = "http://127.0.0.1:8080/health",',
            '{ command = ["true"], http = "http://x/",',
            "set exactly one of 'command'",
        ),
    ],
)
def test_bad_manifest_names_file_and_field(mini: Path, old: str, new: str, expected: str) -> None:
    _rewrite(mini, old, new)
    with pytest.raises(DockyardError) as err:
        load_project(mini)
    message = str(err.value)
    assert str(mini / "pyproject.toml") in message
    assert expected in message
    assert err.value.exit_code == 2


def test_missing_member_field(mini: Path) -> None:
    _rewrite(mini, 'member = "mini-tool"\n', "")
    with pytest.raises(DockyardError, match=r"apps\.tool\.member: required field is missing"):
        load_project(mini)


def test_missing_table_and_missing_file(mini: Path, tmp_path: Path) -> None:
    path = mini / "pyproject.toml"
    path.write_text(path.read_text().split("[tool.dockyard]")[0])
    with pytest.raises(DockyardError, match="no \\[tool.dockyard\\] table"):
        load_project(mini)
    with pytest.raises(DockyardError, match="no pyproject.toml"):
        load_project(tmp_path / "nowhere")


def test_broken_toml_is_named(mini: Path) -> None:
    (mini / "pyproject.toml").write_text("[tool.dockyard\n")
    with pytest.raises(DockyardError, match="not valid TOML"):
        load_project(mini)


def test_unknown_app_selection(mini: Path) -> None:
    project = load_project(mini)
    with pytest.raises(DockyardError, match="unknown app 'nope'; apps in .*: web, tool"):
        project.select(["nope"])
    assert [a.name for a in project.select([])] == ["web", "tool"]


def test_apps_needing_each_other_are_a_cycle(mini: Path) -> None:
    _rewrite(mini, 'writable = ["/state"]\n', 'writable = ["/state"]\ndepends-on = ["tool"]\n')
    _rewrite(mini, 'member = "mini-tool"\n', 'member = "mini-tool"\ntest-needs = ["web"]\n')
    with pytest.raises(DockyardError) as err:
        load_project(mini)
    assert str(err.value).startswith(f"{mini / 'pyproject.toml'}: tool.dockyard.apps.web: ")
    assert "form a cycle (web -> tool -> web)" in str(err.value)


def test_a_one_way_need_is_not_a_cycle(mini: Path) -> None:
    _rewrite(mini, 'writable = ["/state"]\n', 'writable = ["/state"]\ndepends-on = ["tool"]\n')
    project = load_project(mini)
    assert project.apps["web"].config.depends_on == ["tool"]
