"""`dockyard dev`: which app, and errors before any engine is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.dev import dev_app
from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from helpers import cli_error
from helpers import rewrite_manifest as _rewrite

# ---- dockyard dev: which app ----


def test_dev_defaults_to_the_one_app_with_a_dev_command(locked_mini: Path) -> None:
    with pytest.raises(DockyardError, match=r"name the app: .*dev-command in .*: none\)"):
        dev_app(load_project(locked_mini), None)
    assert dev_app(load_project(locked_mini), "tool").name == "tool"
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ndev-command = ["mini-tool", "--x"]')
    assert dev_app(load_project(locked_mini), None).name == "tool"
    with pytest.raises(DockyardError, match="unknown app 'nope'"):
        dev_app(load_project(locked_mini), "nope")


def test_dev_and_notebook_name_the_missing_app_in_one_line(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, err = cli_error(capsys, locked_mini, "dev")
    assert code == 2 and err.startswith("dockyard: error: name the app: `dockyard dev APP`")
    code, err = cli_error(capsys, locked_mini, "notebook", "web")
    assert code == 2 and "app 'web' has no jupyterlab" in err and "\n" not in err
