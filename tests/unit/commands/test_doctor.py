from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.doctor import _base_findings, _secret_findings, check_project
from dockyard.manifest import load_project


def _levels(findings) -> dict[str, str]:
    return {f.what: f.level for f in findings}


@pytest.mark.parametrize(
    ("image", "level"),
    [
        ("python", "warn"),
        ("python:latest", "warn"),
        ("registry:5000/py", "warn"),
        ("python:3.12-slim", "ok"),
        ("registry:5000/team/py:3.12", "ok"),
    ],
)
def test_unpinned_base_image_is_flagged(
    mini: Path, monkeypatch: pytest.MonkeyPatch, image: str, level: str
) -> None:
    monkeypatch.setenv("DOCKYARD_BASE_IMAGE", image)
    [finding] = _base_findings(load_project(mini))
    assert finding.level == level, finding


def test_secrets_in_manifest_or_build_args_fail(mini: Path) -> None:
    path = mini / "pyproject.toml"
    path.write_text(
        path.read_text().replace(
            'MINI_GREETING = "hello"', 'MINI_GREETING = "hello", API_TOKEN = "s3cr3t"'
        )
    )
    (mini / "Dockerfile").write_text("FROM x:1 AS base\nARG PIP_PASSWORD\nENV HOME=/root\n")
    findings = _secret_findings(load_project(mini), mini)
    fails = [f.what for f in findings if f.level == "fail"]
    assert any("apps.web.environment.API_TOKEN" in w for w in fails)
    assert any("Dockerfile:2: ARG PIP_PASSWORD" in w for w in fails)
    assert len(fails) == 2


def test_project_without_lock_and_with_bad_manifest(mini: Path) -> None:
    levels = _levels(check_project(mini))
    assert any("dockyard.lock is missing" in w and lvl == "fail" for w, lvl in levels.items())
    path = mini / "pyproject.toml"
    path.write_text(path.read_text().replace('member = "mini-tool"', 'member = "nope"'))
    [finding] = check_project(mini)
    assert finding.level == "fail" and "'nope' is not a member" in finding.what
