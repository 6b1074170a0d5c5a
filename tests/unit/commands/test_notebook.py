"""`dockyard notebook`: which app, and how Jupyter is started (no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.notebook import jupyter_argv, notebook_app
from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.plan import Plan, make_plan

# ---- dockyard notebook: which app ----

JUPYTERLAB = "jupyterlab==4.6.6 \\\n    --hash=sha256:" + "aa" * 32


def _plan(mini: Path, with_jupyter: tuple[str, ...]) -> Plan:
    project = load_project(mini)
    exports = {}
    for member in ("mini-lib", "mini-web", "mini-tool"):
        dev = JUPYTERLAB if member in with_jupyter else ""
        exports[member] = ("", dev)
    return make_plan(
        project, base_reference="b@sha256:" + "ab" * 32, uv_requirements="", exports=exports
    )


def test_notebook_defaults_to_the_one_app_with_jupyterlab(locked_mini: Path) -> None:
    assert notebook_app(_plan(locked_mini, ("mini-tool",)), None).name == "tool"
    # a library's dev group reaches every app that contains it
    with pytest.raises(
        DockyardError, match=r"name the app: .* \(apps with jupyterlab in .*: web, tool\)"
    ):
        notebook_app(_plan(locked_mini, ("mini-lib",)), None)
    with pytest.raises(DockyardError, match=r"apps with jupyterlab in .*: none\)"):
        notebook_app(_plan(locked_mini, ()), None)


def test_notebook_app_without_jupyterlab_says_what_to_add(locked_mini: Path) -> None:
    plan = _plan(locked_mini, ("mini-tool",))
    assert notebook_app(plan, "tool").name == "tool"
    with pytest.raises(DockyardError, match="app 'web' has no jupyterlab .* of mini-web"):
        notebook_app(plan, "web")
    with pytest.raises(DockyardError, match="unknown app 'nope'"):
        notebook_app(plan, "nope")


def test_jupyter_serves_the_workspace_on_all_container_interfaces() -> None:
    argv = jupyter_argv()
    assert argv[:2] == ["jupyter", "lab"]
    assert "--ip=0.0.0.0" in argv and "--ServerApp.root_dir=/workspace" in argv
    assert not any("token" in a for a in argv)  # the token travels in the environment
