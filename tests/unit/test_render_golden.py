"""One golden render of the mini fixture: any change to a generated file shows in review.

After an intended change: DOCKYARD_UPDATE_GOLDEN=1 pytest tests/unit/test_render_golden.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dockyard.commands.generate import load_plan
from dockyard.lockfile import LOCK_NAME, BaseImage, Lock, file_sha256, render_lock
from dockyard.manifest import DEFAULT_BASE_IMAGE, load_project
from dockyard.render import render_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = FIXTURES / "golden" / "mini"
FILES = ("Dockerfile", "docker-bake.json", ".dockerignore")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("golden") / "mini"
    shutil.copytree(FIXTURES / "mini", root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    base = "example/python:3.11@sha256:" + "ab" * 32
    uv = "uv==0.13.9 \\\n    --hash=sha256:" + "c1" * 32 + "\n"
    lock = Lock(
        BaseImage(DEFAULT_BASE_IMAGE, base, "sha256:" + "ef" * 32, False),
        "0.13.9",
        uv,
        file_sha256(root / "uv.lock"),
    )
    (root / LOCK_NAME).write_text(render_lock(lock))
    with pytest.MonkeyPatch.context() as env:
        env.delenv("DOCKYARD_BASE_IMAGE", raising=False)
        return render_all(load_plan(load_project(root)))


@pytest.mark.parametrize("name", FILES)
def test_render_matches_the_golden_file(rendered: dict[str, str], name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("DOCKYARD_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered[name])
    assert rendered[name] == golden.read_text(), f"{name} differs from {golden}"
