"""`dockyard generate` (and every command that renders the plan): locks that do not match
are refused in one line; files are written all or nothing; values reach Compose as written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dockyard.cli import main


def _run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--project", str(root)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return exit_info.value.code, err.strip()


def test_uv_lock_that_misses_a_dependency_is_refused(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    pyproject = locked_mini / "packages" / "mini_web" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"idna>=3"', '"idna>=3", "six"'))
    for args, expected in ((["generate"], 2), (["generate", "--check"], 1)):
        code, err = _run(capsys, locked_mini, *args)
        assert code == expected
        assert err.startswith(f"dockyard: error: {locked_mini / 'uv.lock'} does not match")
        assert "run `dockyard lock`" in err
    assert not (locked_mini / "Dockerfile").exists()


def test_a_matching_uv_lock_generates(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, _ = _run(capsys, locked_mini, "generate")
    assert code == 0


def test_corrupt_uv_lock_is_called_unreadable(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    (locked_mini / "uv.lock").write_text("version = 1\n[[package]\n")
    code, err = _run(capsys, locked_mini, "generate")
    assert code == 2
    assert "uv.lock is unreadable" in err
    assert "`git checkout uv.lock` restores" in err
    assert "changed" not in err and "stale" not in err


def test_missing_uv_lock(capsys: pytest.CaptureFixture[str], locked_mini: Path) -> None:
    (locked_mini / "uv.lock").unlink()
    code, err = _run(capsys, locked_mini, "generate")
    assert (code, err) == (
        2,
        f"dockyard: error: {locked_mini / 'uv.lock'} is missing; run `dockyard lock` "
        "and commit uv.lock and dockyard.lock",
    )


def test_generate_writes_all_or_nothing(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    """An unwritable folder (a file where `.devcontainer/` must go): no file new, none old."""
    (locked_mini / "Dockerfile").write_text("# old\n")
    (locked_mini / ".devcontainer").write_text("not a folder\n")
    before = {p.name: p.read_bytes() for p in locked_mini.iterdir() if p.is_file()}
    code, err = _run(capsys, locked_mini, "generate")
    assert code == 2
    assert "cannot write" in err and ".devcontainer" in err and "nothing was written" in err
    after = {p.name: p.read_bytes() for p in locked_mini.iterdir() if p.is_file()}
    assert after == before
    assert not list(locked_mini.glob(".*.tmp")) and not (locked_mini / "deps").exists()


def test_dollar_signs_reach_compose_as_written(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    pyproject = locked_mini / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'environment = { MINI_GREETING = "hello" }',
            'environment = { DATABASE_URL = "postgresql://app:pa$word@db/lol", '
            'HOME_DIR = "${HOME}" }',
        )
    )
    assert _run(capsys, locked_mini, "generate")[0] == 0
    for name in ("compose.yaml", "compose.dev.yaml"):
        web = yaml.safe_load((locked_mini / name).read_text())["services"]["web"]
        assert web["environment"] == {
            "DATABASE_URL": "postgresql://app:pa$$word@db/lol",
            "HOME_DIR": "$${HOME}",
        }
    # dockyard's own variables stay variables
    assert "${DOCKYARD_UID:-" in (locked_mini / "compose.dev.yaml").read_text()
