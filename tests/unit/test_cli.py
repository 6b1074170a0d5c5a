from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
import pytest

from dockyard import cache
from dockyard.cli import cli, main
from dockyard.lockfile import file_sha256, read_lock
from helpers import rewrite_manifest as _rewrite

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


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    return _error(proc.stderr)


# ---- generate / generate --check (in-process: main() is the entry point's body) ----


def _main(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--project", str(root)])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dockyard: error: "), err
    return lines[0]


def test_generate_then_check_is_clean(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, out, _ = _main(capsys, locked_mini, "generate")
    assert code == 0
    assert "wrote Dockerfile\n" in out
    code, out, _ = _main(capsys, locked_mini, "generate")
    assert (code, out) == (0, "all 17 generated files were already up to date\n")
    code, out, _ = _main(capsys, locked_mini, "generate", "--check")
    assert (code, out) == (0, "all 17 generated files are up to date\n")


def test_check_names_stale_files_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    assert _main(capsys, locked_mini, "generate")[0] == 0
    _rewrite(locked_mini, 'ports = ["8080"]', 'ports = ["9090:8080"]')
    before = _tree(locked_mini)
    code, _, err = _main(capsys, locked_mini, "generate", "--check")
    assert code == 1
    line = _error(err)
    assert "generated files are stale" in line
    assert "compose.yaml, compose.dev.yaml, .devcontainer/web/compose.yaml;" in line
    assert "Dockerfile" not in line
    assert _tree(locked_mini) == before


def test_check_before_any_generate_writes_nothing(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    before = _tree(locked_mini)
    code, _, err = _main(capsys, locked_mini, "generate", "--check")
    assert code == 1
    assert "stale in " + str(locked_mini) + ": Dockerfile, compose.yaml, " in _error(err)
    assert _tree(locked_mini) == before


def test_a_check_refuses_a_uv_lock_newer_than_dockyard_lock(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    uv_lock = locked_mini / "uv.lock"
    uv_lock.write_text(uv_lock.read_text() + "\n")
    before = _tree(locked_mini)
    code, _, err = _main(capsys, locked_mini, "generate", "--check")
    assert code == 1  # a check that finds drift exits 1 (README)
    assert "uv.lock changed since dockyard.lock was written; run `dockyard lock`" in _error(err)
    assert _tree(locked_mini) == before


def test_generate_records_a_uv_lock_that_uv_changed(
    capsys: pytest.CaptureFixture[str],
    locked_mini: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After `uv add` (uv.lock new, matching the pyproject files) no `dockyard lock` is
    needed: generate and build record the new uv.lock's hash and keep the pins."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the base's Python, below
    lock = read_lock(locked_mini)
    # the pinned base's Python, as `dockyard lock` asked the engine for it (no engine here)
    cache.remember("base-python", lock.base.id.removeprefix("sha256:"), "3.11.2")
    uv_lock = locked_mini / "uv.lock"
    uv_lock.write_text(uv_lock.read_text() + "\n")
    code, _, err = _main(capsys, locked_mini, "generate")
    assert code == 0, err
    assert "recorded the new uv.lock in dockyard.lock (base and uv pins unchanged)" in err
    assert read_lock(locked_mini) == replace(lock, uv_lock_sha256=file_sha256(uv_lock))
    assert (locked_mini / "Dockerfile").is_file()
    code, _, err = _main(capsys, locked_mini, "generate", "--check")
    assert code == 0, err


def test_generate_keeps_dockyard_lock_when_the_base_lacks_the_new_python(
    capsys: pytest.CaptureFixture[str],
    locked_mini: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the base's Python, below
    lock_before = (locked_mini / "dockyard.lock").read_bytes()
    cache.remember("base-python", read_lock(locked_mini).base.id.removeprefix("sha256:"), "3.10.9")
    uv_lock = locked_mini / "uv.lock"
    uv_lock.write_text(uv_lock.read_text() + "\n")
    code, _, err = _main(capsys, locked_mini, "generate")
    assert code == 2
    assert "has Python 3.10.9, but requires-python is '>=3.11'" in _error(err)
    assert (locked_mini / "dockyard.lock").read_bytes() == lock_before
    assert not (locked_mini / "Dockerfile").exists()


def test_missing_dockyard_lock(capsys: pytest.CaptureFixture[str], mini: Path) -> None:
    code, _, err = _main(capsys, mini, "generate")
    assert code == 2
    assert "dockyard.lock is missing; run `dockyard lock` first" in _error(err)


# ---- user errors: one line, exit 2, no traceback ----


def test_missing_engine(locked_mini: Path) -> None:
    proc = dockyard(locked_mini, "build")
    assert proc.returncode == 2
    line = _one_error_line(proc)
    assert line.startswith(f"dockyard: error: no Docker engine answers at {NO_ENGINE}")
    assert "set DOCKER_HOST" in line


def test_unknown_app_is_named_before_the_engine_is_needed(locked_mini: Path) -> None:
    proc = dockyard(locked_mini, "run", "nope", "--", "true")
    assert proc.returncode == 2
    pyproject = locked_mini / "pyproject.toml"
    expected = f"dockyard: error: unknown app 'nope'; apps in {pyproject}: web, tool"
    assert _one_error_line(proc) == expected


def test_shell_names_an_unknown_app_too(
    capsys: pytest.CaptureFixture[str], locked_mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    code, _, err = _main(capsys, locked_mini, "shell", "nope")
    assert code == 2
    assert "unknown app 'nope'" in _error(err)


def test_test_of_an_unknown_app_fails_clearly(
    capsys: pytest.CaptureFixture[str], locked_mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`test` asks for the engine before it reads the app name: either message is clear."""
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    code, _, err = _main(capsys, locked_mini, "test", "nope")
    assert code == 2
    line = _error(err)
    assert "unknown app 'nope'" in line or line.startswith(
        f"dockyard: error: no Docker engine answers at {NO_ENGINE}"
    )


def test_malformed_manifest_names_file_and_field(mini: Path) -> None:
    _rewrite(mini, 'ports = ["8080"]', 'ports = ["eighty"]')
    proc = dockyard(mini, "generate")
    assert proc.returncode == 2
    line = _one_error_line(proc)
    assert f"{mini / 'pyproject.toml'}: tool.dockyard.apps.web.ports:" in line
    assert "'eighty' is not a port mapping" in line


def test_no_pyproject(tmp_path: Path) -> None:
    proc = dockyard(tmp_path, "generate")
    assert proc.returncode == 2
    assert f"no pyproject.toml in {tmp_path.resolve()}" in _one_error_line(proc)


def test_bad_option_exits_2(tmp_path: Path) -> None:
    proc = dockyard(tmp_path, "generate", "--bogus")
    assert proc.returncode == 2
    assert "No such option" in proc.stderr and "--bogus" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        (["run"], "Missing argument 'APP'"),
        (["build", "--dev", "--json", "--ca-bundle"], "requires an argument"),
    ],
)
def test_bad_usage_exits_2(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert expected in capsys.readouterr().err


# ---- --help ----


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "locked, layered Docker images, dev containers and deploys"),
        (["init"], "Adopt an existing project: detect its apps"),
        (["lock"], "pin the base image and uv in dockyard.lock"),
        (["generate"], "Render Dockerfile, compose.yaml, compose.dev.yaml"),
        (["build"], "one `docker buildx bake`"),
        (["shell"], "An interactive shell in APP's dev container"),
        (["run"], "Run COMMAND in a one-off dev container of APP"),
        (["test"], "Run each app's tests"),
        (["base"], "Base images for hosts with no registry"),
        (["base", "bootstrap"], "Build a Python base image with debootstrap"),
    ],
)
def test_help_says_what_each_command_does(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert expected in _help(capsys, *args)


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _all_commands(cli)
    assert ("generate",) in commands and ("base", "bootstrap") in commands
    for path in commands:
        command = cli
        for name in path:
            command = command.commands[name]
        summary = " ".join(command.get_short_help_str(limit=200).split()).rstrip(".")
        assert len(summary) > 10, path
        assert summary in _help(capsys, *path), path


def test_help_from_the_real_entry_point(tmp_path: Path) -> None:
    proc = dockyard(tmp_path, "--help")
    assert proc.returncode == 0
    assert "dockyard generate" in proc.stdout


def test_every_command_taking_apps_accepts_them() -> None:
    """A merge once dropped a command's APPS argument; each must still take app names."""
    from dockyard.cli import cli

    for name in ("build", "push", "test", "verify"):
        params = {p.name for p in cli.commands[name].params}
        assert "apps" in params, name
