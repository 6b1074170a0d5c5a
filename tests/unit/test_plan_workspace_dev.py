"""The workspace root's dev group goes into every app's dev requirements (plan.py)."""

from __future__ import annotations

from pathlib import Path

from dockyard.manifest import load_project
from dockyard.plan import make_plan

BASE = "example/python:3.11@sha256:" + "ab" * 32
PIN = "zope.interface==7.0.3 \\\n    --hash=sha256:" + "2" * 64 + "\n"


def test_root_dev_group_reaches_every_dev_image_only(mini: Path) -> None:
    project = load_project(mini)
    exports = {m.name: ("", "") for m in project.workspace.members.values()}
    plan = make_plan(
        project, base_reference=BASE, uv_requirements="", exports=exports, workspace_dev=PIN
    )
    for app in plan.apps:
        assert [r.name for r in app.dev_requirements] == ["zope-interface"]
        assert app.requirements == ()  # prod images never get it
    without = make_plan(project, base_reference=BASE, uv_requirements="", exports=exports)
    assert all(app.dev_requirements == () for app in without.apps)
