"""Unit fixtures: the mini workspace with a synthetic dockyard.lock (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.lockfile import LOCK_NAME, BaseImage, Lock, file_sha256, render_lock
from dockyard.manifest import load_project

_BASE_REFERENCE = "example/python:3.11@sha256:" + "ab" * 32
_UV_REQUIREMENTS = (
    "uv==0.13.9 \\\n    --hash=sha256:" + "c1" * 32 + " \\\n    --hash=sha256:" + "d2" * 32 + "\n"
)


def _synthetic_lock(root: Path) -> Lock:
    """A lock as `dockyard lock` would write it, for a base image that need not exist."""
    return Lock(
        base=BaseImage(
            image=load_project(root).base_image,
            reference=_BASE_REFERENCE,
            id="sha256:" + "ef" * 32,
            local_only=False,
        ),
        uv_version="0.13.9",
        uv_requirements=_UV_REQUIREMENTS,
        uv_lock_sha256=file_sha256(root / "uv.lock"),
    )


@pytest.fixture(autouse=True)
def _no_base_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Makefile exports DOCKYARD_BASE_IMAGE for integration runs; unit tests pin their own."""
    monkeypatch.delenv("DOCKYARD_BASE_IMAGE", raising=False)


@pytest.fixture
def locked_mini(mini: Path) -> Path:
    """The mini workspace with a dockyard.lock for its uv.lock (manifest edits keep it valid)."""
    (mini / LOCK_NAME).write_text(render_lock(_synthetic_lock(mini)))
    return mini
