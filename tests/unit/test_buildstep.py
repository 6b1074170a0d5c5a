"""dockyard.buildstep (.dockyard/install.py): deterministic bytecode and pinned mtimes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard import buildstep

# python/cpython#129724: b's pyc differs when a.py was compiled first in the same process
A = "import foo\n"
B = 'a = {"foo", 2, 3}\n\ndef f():\n    b = {"foo", 2, 3}\n'


def _tree(root: Path, count: int = 12) -> list[str]:
    files = []
    for i in range(count):
        package = root / f"pkg{i % 3}"
        package.mkdir(parents=True, exist_ok=True)
        path = package / f"m{i}.py"
        path.write_text((A if i % 2 else B) + f"VALUE = {i}\n")
        files.append(str(path))
    return files


def _pycs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.pyc"))}


def test_bytecode_is_the_same_bytes_on_every_compile(tmp_path: Path) -> None:
    """Same files, any order given, any history: the same pycs (each embeds its path)."""
    files = _tree(tmp_path)
    written = buildstep.compile_bytecode(files)
    first = _pycs(tmp_path)
    assert len(written) == len(files) == len(first)
    for pyc in written:
        os.remove(pyc)
    buildstep.compile_bytecode([files[1], files[0]])  # a different history of the process
    buildstep.compile_bytecode(list(reversed(files)))
    assert _pycs(tmp_path) == first
    for data in first.values():
        flags = int.from_bytes(data[4:8], "little")
        assert flags == 0b01  # PEP 552: hash-based, source never checked (unchecked-hash)


def test_a_file_that_does_not_compile_gets_no_pyc_and_stops_nothing(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text("x = 1\n")
    bad.write_text("print 'python 2'\n")
    written = buildstep.compile_bytecode([str(bad), str(good)])
    assert [Path(p).name for p in written] == [f"good.{_tag()}.pyc"]


def _tag() -> str:
    import sys

    return sys.implementation.cache_tag


def test_finish_pins_only_what_the_step_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "venv"
    old = venv / "lib" / "old.py"
    old.parent.mkdir(parents=True)
    old.write_text("")
    os.utime(old, (0, 0))
    os.utime(old.parent, (0, 0))
    os.utime(venv, (0, 0))
    new = venv / "lib" / "new.py"
    new.write_text("")
    monkeypatch.setattr(buildstep, "TOUCHED_ALWAYS", ())
    written = buildstep.new_paths(str(venv))
    assert sorted(written) == sorted([str(venv / "lib"), str(new)])
    buildstep.finish(written)
    assert all(os.lstat(p).st_mtime == 0 for p in buildstep.walk(str(venv)))
