"""Unit fixtures: the mini workspace with a synthetic dockyard.lock (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.lockfile import LOCK_NAME, BaseImage, Lock, file_sha256, render_lock
from dockyard.manifest import load_project

BASE_REFERENCE = "example/python:3.11@sha256:" + "ab" * 32
UV_REQUIREMENTS = (
    "uv==0.13.9 \\\n"
    "    --hash=sha256:" + "c1" * 32 + " \\\n"
    "    --hash=sha256:" + "d2" * 32 + "\n"
)


def synthetic_lock(root: Path, *, local_only: bool = False) -> Lock:
    """A lock as `dockyard lock` would write it, for a base image that need not exist."""
    return Lock(
        base=BaseImage(
            image=load_project(root).base_image,
            reference=BASE_REFERENCE,
            id="sha256:" + "ef" * 32,
            local_only=local_only,
        ),
        uv_version="0.13.9",
        uv_requirements=UV_REQUIREMENTS,
        uv_lock_sha256=file_sha256(root / "uv.lock"),
    )


def write_lock(root: Path) -> None:
    (root / LOCK_NAME).write_text(render_lock(synthetic_lock(root)))


def rewrite(root: Path, old: str, new: str) -> None:
    """Edit the root pyproject.toml; ``old`` must be there, so a fixture change fails loudly."""
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture(autouse=True)
def _no_base_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Makefile exports DOCKYARD_BASE_IMAGE for integration runs; unit tests pin their own."""
    monkeypatch.delenv("DOCKYARD_BASE_IMAGE", raising=False)


@pytest.fixture
def locked_mini(mini: Path) -> Path:
    """The mini workspace with a dockyard.lock matching its uv.lock."""
    write_lock(mini)
    return mini
