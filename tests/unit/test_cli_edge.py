"""The CLI edge: exit codes 0/1/2/3/130, one line each, tracebacks only in a log or with --debug."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from dockyard import cli
from dockyard.errors import DockyardError


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[BaseException]]:
    """A `boom` command that raises whatever the test puts in the list."""
    raised: list[BaseException] = []

    @cli.cli.command("boom", context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def boom(args: tuple[str, ...]) -> int:
        raise raised[0]

    monkeypatch.setenv("DOCKYARD_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setitem(cli._OPTIONS, "debug", False)
    yield raised
    del cli.cli.commands["boom"]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    return exit_info.value.code, capsys.readouterr().err


def test_unexpected_error_is_one_line_and_a_log(
    failing: list[BaseException], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    try:
        {}["missing"]
    except KeyError as inner:
        failing.append(RuntimeError("the plan has no layer 'x'\nsecond line"))
        failing[0].__cause__ = inner
    code, err = _run(capsys, "boom")
    assert code == 3
    assert "Traceback" not in err
    first, second = err.strip().splitlines()
    assert first == "dockyard: unexpected error: RuntimeError: the plan has no layer 'x'"
    log = next((tmp_path / "logs").glob("crash-*.log"))
    assert str(log) in second
    text = log.read_text()
    assert "Traceback" in text and "KeyError" in text and "command: dockyard boom" in text


def test_debug_shows_the_traceback(
    failing: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing.append(RuntimeError("bug"))
    with pytest.raises(RuntimeError, match="bug"):
        cli.main(["--debug", "boom"])


def test_debug_after_the_command_is_not_dockyards(
    failing: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing.append(RuntimeError("bug"))
    code, err = _run(capsys, "boom", "--", "--debug")
    assert code == 3
    assert "Traceback" not in err


def test_user_error_keeps_its_code_and_cause(
    failing: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing.append(DockyardError("stale", exit_code=1))
    code, err = _run(capsys, "boom")
    assert (code, err) == (1, "dockyard: error: stale\n")


def test_ctrl_c_is_130_and_one_line(
    failing: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing.append(KeyboardInterrupt())
    code, err = _run(capsys, "boom")
    # click ends the terminal's "^C" line first, hence the leading newline
    assert (code, err.strip()) == (130, "dockyard: interrupted")


def test_log_falls_back_to_the_temp_folder(
    failing: list[BaseException],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DOCKYARD_LOG_DIR", str(blocker / "logs"))  # cannot be a folder
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    failing.append(ValueError("x"))
    code, err = _run(capsys, "boom")
    assert code == 3
    assert str(tmp_path / "tmp") in err


def test_real_entry_point_ctrl_c(tmp_path: Path) -> None:
    """SIGINT to a real dockyard process: exit 130 and one line."""
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from dockyard import cli\n"
         "import click\n"
         "@cli.cli.command('wait')\n"
         "def wait():\n"
         "    print('ready', flush=True); time.sleep(30)\n"
         "cli.main(['wait'])"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert err.strip() == "dockyard: interrupted"
