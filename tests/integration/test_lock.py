"""`dockyard lock` on the real engine and uv: checks exit 1, refusals name what is wrong,
and uv.lock is never left new beside an old dockyard.lock."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.engine.uv import uv_bin
from helpers import FIXTURES, copy_project, dockyard


@pytest.fixture
def mini(tmp_path: Path, base_image: str) -> Path:
    return copy_project(FIXTURES / "mini", tmp_path / "mini")


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def _one_line(proc) -> str:
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("dockyard:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_check_exits_1_on_a_stale_uv_lock(mini: Path) -> None:
    dockyard(mini, "lock")
    assert dockyard(mini, "lock", "--check").returncode == 0
    _rewrite(mini / "packages/mini_web/pyproject.toml", '"idna>=3"', '"idna>=3", "six"')
    proc = dockyard(mini, "lock", "--check", check=False)
    assert proc.returncode == 1
    assert "uv.lock is stale" in _one_line(proc)


def test_build_refuses_a_stale_uv_lock(mini: Path) -> None:
    dockyard(mini, "lock")
    _rewrite(mini / "packages/mini_web/pyproject.toml", '"idna>=3"', '"idna>=3", "six"')
    proc = dockyard(mini, "build", "web", check=False)
    assert proc.returncode == 2
    assert "uv.lock does not match the pyproject.toml files" in _one_line(proc)


def test_build_records_what_uv_add_locked(mini: Path) -> None:
    """`uv add` then `dockyard build`, no `dockyard lock` between: the build checks the
    new uv.lock against the pyproject files and records it; the CI check then passes."""
    dockyard(mini, "lock")
    pins = (mini / "dockyard.lock").read_text().split("[base]", 1)[1]
    add = [uv_bin(), "add", "--no-sync", "--package", "mini-web", "six"]
    subprocess.run(add, cwd=mini, check=True, capture_output=True)
    assert dockyard(mini, "lock", "--check", check=False).returncode == 1
    proc = dockyard(mini, "build", "web")
    assert "recorded the new uv.lock in dockyard.lock" in proc.stderr
    assert (mini / "dockyard.lock").read_text().split("[base]", 1)[1] == pins
    assert dockyard(mini, "lock", "--check").returncode == 0
    assert "six==" in (mini / ".dockyard/requirements/web.txt").read_text()


def test_requires_python_the_base_cannot_satisfy(mini: Path) -> None:
    _rewrite(mini / "pyproject.toml", 'requires-python = ">=3.11"', 'requires-python = ">=3.99"')
    before = (mini / "uv.lock").read_bytes()
    proc = dockyard(mini, "lock", check=False)
    assert proc.returncode == 2
    line = _one_line(proc)
    assert "has Python 3." in line and "but requires-python is '" in line
    assert ">=3.99" in line
    assert "(pyproject.toml, packages/mini_lib/pyproject.toml, " in line  # every file that says
    assert (mini / "uv.lock").read_bytes() == before
    assert not (mini / "dockyard.lock").exists()


def test_unknown_package_names_it(mini: Path) -> None:
    _rewrite(
        mini / "packages/mini_web/pyproject.toml", '"idna>=3"', '"idna>=3", "dockyard-no-such-pkg"'
    )
    proc = dockyard(mini, "lock", check=False)
    assert proc.returncode == 2
    assert "dockyard-no-such-pkg" in _one_line(proc)


def test_dockyard_lock_unwritable_puts_uv_lock_back(mini: Path) -> None:
    _rewrite(mini / "packages/mini_web/pyproject.toml", '"idna>=3"', '"idna>=3", "six"')
    before = (mini / "uv.lock").read_bytes()
    (mini / "dockyard.lock").mkdir()  # a folder where the file must go: the write fails
    proc = dockyard(mini, "lock", check=False)
    assert proc.returncode == 2
    assert "cannot write" in proc.stderr and "dockyard.lock" in proc.stderr
    assert "uv.lock is back as it was" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (mini / "uv.lock").read_bytes() == before
