"""`dockyard share` refuses bad input with one line, before any build (no engine needed)."""

from __future__ import annotations

from pathlib import Path

from test_cli import _one_error_line, _rewrite, dockyard


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
