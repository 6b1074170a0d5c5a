"""Unit fixtures: the mini workspace with a synthetic dockyard.lock (no engine needed), and
the guard that keeps unit tests out of the home directory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.lockfile import LOCK_NAME, render_lock
from helpers import REPO, synthetic_lock

# dockyard's cache (uv exports by uv.lock content) for unit runs: in the checkout, not in
# HOME, and kept between runs so the suite stays fast.
CACHE = REPO / ".work" / "unit-cache"


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """HOME is an empty folder for the whole unit run and dockyard's cache (XDG_CACHE_HOME)
    is CACHE; session-wide, so module-scoped fixtures run inside it too. Config is
    still read from the real ~/.config (uv's and pip's settings)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(
            "XDG_CONFIG_HOME", os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        )
        env.setenv("XDG_CACHE_HOME", str(CACHE))
        env.setenv("HOME", str(home))
        yield home


@pytest.fixture(autouse=True)
def _no_writes_to_home(_isolated_home: Path) -> Iterator[None]:
    """Fail the test that wrote to the home directory (as pre-commit's conftest does)."""
    yield
    written = sorted(str(p.relative_to(_isolated_home)) for p in _isolated_home.rglob("*"))
    if written:
        for path in sorted(_isolated_home.iterdir()):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        pytest.fail(f"the test wrote to the home directory: {', '.join(written)}", pytrace=False)


@pytest.fixture(autouse=True)
def _no_base_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Makefile exports DOCKYARD_BASE_IMAGE for integration runs; unit tests pin their own."""
    monkeypatch.delenv("DOCKYARD_BASE_IMAGE", raising=False)


@pytest.fixture
def locked_mini(mini: Path) -> Path:
    """The mini workspace with a dockyard.lock for its uv.lock (manifest edits keep it valid)."""
    (mini / LOCK_NAME).write_text(render_lock(synthetic_lock(mini)))
    return mini
