"""What an app's share image is, from the manifest and the app's pins (pure, no engine)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.share import JUPYTER_PORT, jupyter_argv, resolve_share
from helpers import EXAMPLE, EXPORTS, pin, plan_of
from helpers import rewrite_manifest as edit


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "lol_data"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def test_an_environment_app_with_jupyter_shares_jupyter_on_the_mounted_folder(
    example: Path,
) -> None:
    plan = plan_of(load_project(example))
    share = plan.app("scripts").share
    assert share is not None
    assert share.jupyter and share.command == jupyter_argv()
    assert "--ServerApp.root_dir=/notebooks" in share.command
    assert share.port == JUPYTER_PORT
    # the manifest's share.environment wins over the app's own (/data is not there)
    assert dict(share.environment) == {
        "DATABASE_URL": "sqlite:////notebooks/lol.db",
        "JUPYTER_PORT": "8888",
    }
    assert share.files == ("notebooks",)  # the member's notebooks/ folder, found on disk
    assert plan.app("scripts").share_tag == "lol-data/scripts:share"
    assert plan.app("scripts").share_stage == "scripts-share"


def test_apps_with_a_command_share_only_on_request(example: Path) -> None:
    plan = plan_of(load_project(example))
    assert [a.name for a in plan.apps if a.share is not None] == ["scripts"]
    edit(example, 'depends-on = ["parser"]\n', 'depends-on = ["parser"]\nshare = true\n')
    api = plan_of(load_project(example)).app("api").share
    assert api is not None
    assert api.command is None  # the prod image's own CMD (uvicorn)
    assert api.port == 8000 and not api.jupyter
    assert dict(api.environment) == {"DATABASE_URL": "sqlite:////data/lol.db"}
    assert api.files == ()


def test_share_false_turns_the_default_off(example: Path) -> None:
    edit(example, "[tool.dockyard.apps.scripts.share]\n", "[tool.dockyard.apps.scripts.share]\n")
    edit(
        example,
        'volumes = ["db:/data"]          # the parser',
        'share = false\nvolumes = ["db:/data"]          # the parser',
    )
    text = (example / "pyproject.toml").read_text()
    cut = text.index("[tool.dockyard.apps.scripts.share]")
    end = text.index("[tool.dockyard.apps.bot]")
    (example / "pyproject.toml").write_text(text[:cut] + text[end:])
    assert plan_of(load_project(example)).app("scripts").share is None


def test_a_declared_tool_and_port(example: Path) -> None:
    edit(
        example,
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n',
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n'
        'command = ["python", "-m", "http.server", "9000"]\nport = 9000\nfiles = []\n',
    )
    share = plan_of(load_project(example)).app("scripts").share
    assert share is not None
    assert share.command == ("python", "-m", "http.server", "9000")
    assert (share.port, share.jupyter, share.files) == (9000, False, ())


def test_an_environment_app_without_jupyter_needs_a_command_when_asked(example: Path) -> None:
    project = load_project(example)
    exports = dict(EXPORTS, **{"lol-data-scripts": pin("sqlalchemy") + pin("pandas")})
    scripts = project.app("scripts")
    packages = {"sqlalchemy", "pandas"}
    with pytest.raises(DockyardError, match=r"apps\.scripts\.share: .*set share\.command"):
        resolve_share(scripts, packages)
    edit(example, "[tool.dockyard.apps.scripts.share]\n", "")
    edit(example, 'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n', "")
    quiet = load_project(example).app("scripts")
    assert resolve_share(quiet, packages) is None  # not asked for: simply none
    assert exports  # (the export without jupyterlab is what `packages` stands for)


def test_share_files_must_be_folders_of_the_member(example: Path) -> None:
    edit(
        example,
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n',
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\nfiles = ["nope"]\n',
    )
    with pytest.raises(DockyardError, match=r"apps\.scripts\.share\.files: 'nope' is not a folder"):
        load_project(example)
    edit(example, 'files = ["nope"]', 'files = ["../lol_data"]')
    with pytest.raises(DockyardError, match=r"share\.files.*inside the app's member"):
        load_project(example)


def test_an_app_named_like_a_share_stage_is_refused(example: Path) -> None:
    edit(example, "[tool.dockyard.apps.bot]", "[tool.dockyard.apps.bot-share]")
    with pytest.raises(DockyardError, match=r"'bot-share' clashes with a Dockerfile stage"):
        load_project(example)
