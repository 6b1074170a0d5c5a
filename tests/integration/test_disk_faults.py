"""A full or read-only disk during generate, lock and init: one line naming the file,
exit 2, and nothing half-written. Real tmpfs mounts (the suite runs as root)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import FIXTURES, copy_project, dockyard


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _pages_kb(root: Path) -> int:
    """What ``root`` takes on tmpfs, in KiB: whole 4 KiB pages per file and folder."""
    files = sum((p.stat().st_size + 4095) // 4096 for p in root.rglob("*") if p.is_file())
    folders = sum(1 for p in root.rglob("*") if p.is_dir()) + 1
    return 4 * (files + folders)


@pytest.fixture
def locked(tmp_path: Path, base_image: str) -> Path:
    root = copy_project(FIXTURES / "mini", tmp_path / "mini")
    dockyard(root, "lock")
    shutil.rmtree(root / ".git")
    return root


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[callable]:
    points: list[Path] = []

    def make(size_kb: int) -> Path:
        point = tmp_path / f"mnt{len(points)}"
        point.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(point)], check=True
        )
        points.append(point)
        return point

    yield make
    for point in points:
        subprocess.run(["umount", str(point)], check=False)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("dockyard:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_generate_on_a_full_disk_writes_nothing(locked: Path, mount) -> None:
    disk = mount(_pages_kb(locked) + 12)  # the project fits, the 16 generated files do not
    root = disk / "mini"
    shutil.copytree(locked, root)
    before = _tree(root)
    line = _one_line(dockyard(root, "generate", check=False))
    assert "cannot write" in line and "No space left on device" in line
    assert "nothing was written" in line
    assert _tree(root) == before


def test_generate_and_lock_on_a_read_only_disk(locked: Path, mount) -> None:
    disk = mount(4096)
    root = disk / "mini"
    shutil.copytree(locked, root)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    before = _tree(root)
    line = _one_line(dockyard(root, "generate", check=False))
    assert "cannot write" in line and "Read-only file system" in line
    proc = dockyard(root, "lock", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "Read-only file system" in proc.stderr
    assert _tree(root) == before


def test_init_example_on_a_read_only_disk(mount) -> None:
    disk = mount(1024)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    line = _one_line(dockyard(disk, "init", "--example", str(disk / "example"), check=False))
    assert f"cannot write the example to {disk / 'example'}" in line
    assert "Read-only file system" in line


def test_init_example_on_a_full_disk_leaves_nothing(mount) -> None:
    disk = mount(64)
    line = _one_line(dockyard(disk, "init", "--example", str(disk / "example"), check=False))
    assert "No space left on device" in line
    assert list(disk.iterdir()) == []
