from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.fsutil import remove_orphans, stale, write_all, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_text("old\n")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert os.listdir(tmp_path) == ["Dockerfile"]


def test_write_atomic_creates_parent_folders(tmp_path: Path) -> None:
    write_atomic(tmp_path / ".dockyard" / "requirements" / "web.txt", "idna==3.20\n")
    assert (tmp_path / ".dockyard/requirements/web.txt").read_text() == "idna==3.20\n"


def test_failed_replace_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "compose.yaml"
    target.write_text("old\n")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(DockyardError, match=f"cannot write {target}: No space left"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["compose.yaml"]


def test_new_files_follow_the_umask_not_mkstemp(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "Dockerfile", "x\n")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "Dockerfile") == 0o644


def test_rewrite_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("old\n")
    target.chmod(0o664)
    write_atomic(target, "new\n")
    assert _mode(target) == 0o664


def test_write_all_returns_only_changed_paths(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM x\n", ".dockyard/uv.txt": "uv==1\n"}
    assert write_all(tmp_path, files) == ["Dockerfile", ".dockyard/uv.txt"]
    assert write_all(tmp_path, files) == []
    files["Dockerfile"] = "FROM y\n"
    assert write_all(tmp_path, files) == ["Dockerfile"]
    assert (tmp_path / "Dockerfile").read_text() == "FROM y\n"


def test_stale_lists_changed_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "same").write_text("a\n")
    (tmp_path / "changed").write_text("old\n")
    files = {"same": "a\n", "changed": "new\n", "missing": "m\n"}
    assert stale(tmp_path, files) == ["changed", "missing"]
    assert not (tmp_path / "missing").exists()


def test_remove_orphans_deletes_only_unlisted_txt_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / ".dockyard" / "requirements"
    folder.mkdir(parents=True)
    for name in ("common.txt", "deps.a.b.txt", "notes.md"):
        (folder / name).write_text("x")
    keep = {".dockyard/requirements/common.txt": "x"}
    assert remove_orphans(tmp_path, keep, ".dockyard/requirements") == [
        ".dockyard/requirements/deps.a.b.txt"
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["common.txt", "notes.md"]
    assert remove_orphans(tmp_path, keep, ".dockyard/missing") == []


def test_write_all_is_all_or_nothing(tmp_path: Path) -> None:
    """One folder that cannot be made (a file sits at its path): no file changes."""
    for name in ("Dockerfile", "compose.yaml"):
        (tmp_path / name).write_text("old\n")
    (tmp_path / ".devcontainer").write_text("a file where a folder must go\n")
    files = {
        "Dockerfile": "new\n",
        "compose.yaml": "new\n",
        "deps/new/reqs.txt": "new\n",
        ".devcontainer/api/devcontainer.json": "{}\n",
    }
    with pytest.raises(DockyardError, match=r"cannot write .*\.devcontainer.*nothing was written"):
        write_all(tmp_path, files)
    assert (tmp_path / "Dockerfile").read_text() == "old\n"
    assert (tmp_path / "compose.yaml").read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == [".devcontainer", "Dockerfile", "compose.yaml"]


def test_write_all_writes_only_what_changed(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("same\n")
    assert write_all(tmp_path, {"a": "same\n", "b/c": "new\n"}) == ["b/c"]
    assert (tmp_path / "b" / "c").read_text() == "new\n"
