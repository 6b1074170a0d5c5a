"""What dockyard keeps between runs so a build or a lock does not ask again: each answer is
reused only for the content it was found for."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dockyard import cache
from dockyard.commands import lock as lock_command
from dockyard.engine import uv, uvimage
from dockyard.errors import DockyardError
from dockyard.lockfile import LOCK_NAME, render_lock
from helpers import synthetic_lock


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "dockyard"


def test_recall_gives_what_was_remembered_and_none_for_anything_else(own_cache: Path) -> None:
    assert cache.recall("kind", "key") is None
    cache.remember("kind", "key", "3.11.2")
    assert cache.recall("kind", "key") == "3.11.2"
    assert cache.recall("kind", "other") is None
    assert (own_cache / "kind" / "key").read_text() == "3.11.2"


def test_an_unwritable_cache_keeps_nothing_and_raises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    cache.remember("kind", "key", "x")
    assert cache.recall("kind", "key") is None


def _refuse(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"asked again: {args}")


def test_uv_lock_is_parsed_once_per_content_and_a_broken_one_is_still_refused(
    own_cache: Path, mini: Path
) -> None:
    text = uv.read_uv_lock(mini)
    assert len(list((own_cache / "parsed-locks").iterdir())) == 1
    (mini / "uv.lock").write_text(text + "\n[[package]\n")  # broken TOML, a new content
    with pytest.raises(DockyardError, match="uv.lock is unreadable"):
        uv.read_uv_lock(mini)
    assert len(list((own_cache / "parsed-locks").iterdir())) == 1


def test_lock_keeps_the_uv_pin_of_dockyard_lock_for_the_same_uv(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = synthetic_lock(mini)
    (mini / LOCK_NAME).write_text(render_lock(current))
    monkeypatch.setattr(uv, "UV_VERSION", current.uv_version)
    monkeypatch.setattr(uv, "hashed_requirement", _refuse)
    assert lock_command._uv_requirements(mini) == current.uv_requirements
    monkeypatch.setattr(uv, "UV_VERSION", "0.99.0")  # another uv: its hashes are asked for
    monkeypatch.setattr(uv, "hashed_requirement", lambda spec: f"{spec} --hash=sha256:00\n")
    assert lock_command._uv_requirements(mini) == "uv==0.99.0 --hash=sha256:00\n"


def test_a_found_host_python_is_remembered_while_it_is_there(
    own_cache: Path, mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    calls = []

    def found(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, f"{python}\n", "")

    monkeypatch.setattr(uvimage, "run", found)
    assert uvimage.host_python_suits(mini) and uvimage.host_python_suits(mini)
    assert len(calls) == 1
    python.unlink()  # gone: uv is asked again
    assert uvimage.host_python_suits(mini)
    assert len(calls) == 2
    monkeypatch.setenv("PATH", os.environ["PATH"] + ":/elsewhere")  # uv may choose another
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    assert uvimage.host_python_suits(mini)
    assert len(calls) == 3
