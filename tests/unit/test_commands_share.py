"""`dockyard share` refuses bad input with one line, before any build (no engine needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NO_ENGINE = "unix:///nonexistent.sock"


def dockyard(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point (`python -m dockyard`) in ``root``, with no engine reachable."""
    env = {**os.environ, "DOCKER_HOST": NO_ENGINE}
    env.pop("DOCKER_CONTEXT", None)
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _rewrite(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dockyard: error: "), proc.stderr
    return lines[0]


def test_an_app_without_a_share_image_is_named(locked_mini: Path) -> None:
    proc = dockyard(locked_mini, "share")
    assert proc.returncode == 2
    assert "name the app: `dockyard share APP` (apps with a share image: none)" in (
        _one_error_line(proc)
    )
    proc = dockyard(locked_mini, "share", "web")
    assert proc.returncode == 2
    line = _one_error_line(proc)
    assert "app 'web' has no share image; add `share = true` under [tool.dockyard.apps.web]" in line
    proc = dockyard(locked_mini, "share", "nope")
    assert "unknown app 'nope'" in _one_error_line(proc)


def test_a_shared_app_needs_an_engine_and_a_real_folder(locked_mini: Path) -> None:
    _rewrite(
        locked_mini, 'volumes = ["state:/state"]\n', 'volumes = ["state:/state"]\nshare = true\n'
    )
    before = sorted(p.name for p in locked_mini.iterdir())
    proc = dockyard(locked_mini, "share", "web", "-o", "missing/x.tar.gz")
    assert proc.returncode == 2
    assert "the folder" in _one_error_line(proc) and "does not exist" in proc.stderr
    proc = dockyard(locked_mini, "share")  # the one app with a share image; no registry: save
    assert proc.returncode == 2
    assert "docker" in _one_error_line(proc).lower()
    assert sorted(p.name for p in locked_mini.iterdir()) == before  # nothing half-written
