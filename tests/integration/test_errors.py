"""Faults a user meets on a real engine: one clear line, exit 2, nothing half-written."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import FIXTURES, copy_project, dockyard


def test_base_image_that_cannot_be_had(tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "mini", tmp_path / "mini")
    env = {**os.environ, "DOCKYARD_BASE_IMAGE": "registry.invalid/python:3.11"}
    proc = dockyard(root, "lock", check=False, env=env)
    assert proc.returncode == 2
    assert "base image 'registry.invalid/python:3.11'" in proc.stderr
    assert "dockyard base bootstrap" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (root / "dockyard.lock").exists()


def test_missing_engine(tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "mini", tmp_path / "mini")
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = dockyard(root, "build", check=False, env=env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dockyard: error: no Docker engine answers")


def test_unknown_app_on_the_command_line(mini_built: Path) -> None:
    proc = dockyard(mini_built, "build", "nope", check=False)
    assert proc.returncode == 2
    assert "unknown app 'nope'" in proc.stderr and "web, tool" in proc.stderr


def test_changed_local_base_is_refused(mini_built: Path, base_image: str) -> None:
    lock = mini_built / "dockyard.lock"
    original = lock.read_text()
    try:
        lock.write_text(original.replace('id = "sha256:', 'id = "sha256:0000'))
        proc = dockyard(mini_built, "build", check=False)
    finally:
        lock.write_text(original)
    if "local-only = true" in original:
        assert proc.returncode == 2
        assert "run `dockyard lock`" in proc.stderr
    else:  # a pulled base is pinned by digest in the Dockerfile itself
        assert proc.returncode == 0
