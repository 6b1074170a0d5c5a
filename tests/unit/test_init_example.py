"""`dockyard init --example DIR`: refuses what it must not overwrite, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return exit_info.value.code, err.strip()


def test_on_an_existing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    code, err = _run(capsys, "init", "--example", str(target))
    assert (code, err) == (2, f"dockyard: error: {target} exists and is a file; pick a new folder")
    assert target.read_text() == "mine\n"


def test_on_a_folder_that_cannot_be_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "example"
    code, err = _run(capsys, "init", "--example", str(target))
    assert code == 2
    assert err.startswith(f"dockyard: error: cannot write the example to {target}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_into_a_new_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _ = _run(capsys, "init", "--example", str(tmp_path / "ex"))
    assert code == 0
    assert (tmp_path / "ex" / "pyproject.toml").is_file()
