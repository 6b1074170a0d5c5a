"""dockyard.buildstep (.dockyard/install.py): deterministic bytecode and pinned mtimes."""

from __future__ import annotations

import grp
import importlib.util
import os
import pwd
import stat
from pathlib import Path

import pytest

from dockyard import buildstep
from dockyard.engine.uv import UV_VERSION, uv_bin

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


SITE = "/opt/venv/lib/python3.11/site-packages"


def test_runtime_code_leaves_out_only_third_party_test_suites() -> None:
    kept = [
        f"{SITE}/numpy/testing/_private/utils.py",  # numpy.testing: runtime API
        f"{SITE}/pandas/_testing/asserters.py",
        f"{SITE}/pandas/tests.py",  # a module, not a directory
        f"{SITE}/tornado/test/util.py",  # `test` is too varied a name
        f"{SITE}/tests/__init__.py",  # a top-level `tests` is `import tests`
        f"{SITE}/attestations/x.py",
        "/opt/venv/bin/tests/tool.py",  # outside site-packages
        "/workspace/lib/tests/test_x.py",
    ]
    left_out = [
        f"{SITE}/pandas/tests/frame/test_api.py",
        f"{SITE}/numpy/_core/tests/test_umath.py",
        f"{SITE}/sklearn/tests/__init__.py",
        f"{SITE}/scipy/linalg/tests/data/gen.py",
    ]
    assert buildstep.runtime_code(left_out + kept, SITE) == kept
    assert buildstep.runtime_code(kept, SITE + "/") == kept


def test_a_test_suite_gets_no_bytecode_at_install_nor_in_a_share_image(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    files = _tree(site)
    suite = site / "pkg0" / "tests" / "test_a.py"
    suite.parent.mkdir()
    suite.write_text(B)
    written = buildstep.compile_bytecode(buildstep.runtime_code([*files, str(suite)], str(site)))
    assert sorted(written) == sorted(importlib.util.cache_from_source(f) for f in files)
    buildstep.compile_missing(str(tmp_path), str(site))  # what share() runs on the venv
    assert not (suite.parent / "__pycache__").exists()


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


# ---- users, directories and the share image's files (no useradd here: it would edit the host) ----


def test_make_dirs_sets_mode_and_owner_and_names_every_ancestor(tmp_path: Path) -> None:
    open_to_all, owned = tmp_path / "home" / "dev", tmp_path / "data" / "logs"
    made = buildstep.make_dirs([str(open_to_all)], mode=0o1777)
    made += buildstep.make_dirs([str(owned)], owner="daemon")  # the suite runs as root
    assert stat.S_IMODE(open_to_all.stat().st_mode) == 0o1777
    assert owned.stat().st_uid == pwd.getpwnam("daemon").pw_uid
    assert owned.stat().st_gid == grp.getgrnam("daemon").gr_gid
    # a new directory changes its parent's mtime: finish() must pin each of them
    assert {str(open_to_all), str(open_to_all.parent), str(owned.parent), "/"} <= set(made)


def test_user_makes_its_home_the_writable_dirs_and_the_workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added: list[tuple[str, int, str]] = []
    monkeypatch.setattr(
        buildstep, "add_user", lambda name, uid, home: added.append((name, uid, home)) or []
    )
    pinned: list[str] = []
    monkeypatch.setattr(buildstep, "finish", pinned.extend)  # the host's / keeps its mtime
    home, data, workdir = tmp_path / "home/dev", tmp_path / "data", tmp_path / "ws/packages/app"
    buildstep.main(
        ["user", "dev", "1000", str(home), "--workdir", str(workdir)] + ["--writable", str(data)]
    )
    assert added == [("dev", 1000, str(home))]
    assert stat.S_IMODE(home.stat().st_mode) == stat.S_IMODE(data.stat().st_mode) == 0o1777
    assert workdir.is_dir() and not stat.S_IMODE(workdir.stat().st_mode) & 0o022
    assert {str(home), str(data), str(workdir), str(workdir.parent)} <= set(pinned)


def test_add_user_makes_a_login_user_whose_uid_need_not_be_unique(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[list[str]] = []
    epochs: list[str | None] = []

    def run(argv: list[str], check: bool, env: dict | None = None) -> None:
        ran.append(argv)
        epochs.append((env or {}).get("SOURCE_DATE_EPOCH"))

    monkeypatch.setattr(buildstep.subprocess, "run", run)
    written = buildstep.add_user("user", 1000, "/home/user")
    assert ran == [
        ["groupadd", "--non-unique", "--gid", "1000", "user"],
        ["useradd", "--non-unique", "--no-log-init", "--uid", "1000", "--gid", "1000"]
        + ["--no-create-home", "--home-dir", "/home/user", "--shell", "/bin/bash", "user"],
    ]
    assert epochs[1] == "86400"  # /etc/shadow gets a fixed day, not the build's
    assert written[0] == "/etc" and "/etc/passwd" in written


def test_copy_files_follows_links_and_leaves_them_readable_by_all(tmp_path: Path) -> None:
    source, target = tmp_path / "mounted", tmp_path / "opt/share"
    (source / "notebooks").mkdir(parents=True)
    (source / "README.md").write_text("read me")
    (source / "README.md").chmod(0o600)
    (source / "notebooks" / "run.sh").write_text("#!/bin/sh\n")
    (source / "notebooks" / "run.sh").chmod(0o774)
    (tmp_path / "elsewhere.csv").write_text("a,b\n")
    (source / "notebooks" / "data.csv").symlink_to(tmp_path / "elsewhere.csv")
    paths = buildstep.copy_files(str(source), str(target))
    modes = {
        p.relative_to(target).as_posix(): stat.S_IMODE(p.lstat().st_mode) for p in map(Path, paths)
    }
    assert modes == {
        ".": 0o755,
        "README.md": 0o644,
        "notebooks": 0o755,
        "notebooks/run.sh": 0o755,
        "notebooks/data.csv": 0o644,
    }
    assert not (target / "notebooks/data.csv").is_symlink()
    assert (target / "notebooks/data.csv").read_text() == "a,b\n"


def test_compile_missing_compiles_only_what_has_no_bytecode(tmp_path: Path) -> None:
    done, missing = tmp_path / "pkg/done.py", tmp_path / "pkg/missing.py"
    done.parent.mkdir()
    done.write_text("x = 1\n")
    missing.write_text("y = 2\n")
    [pyc] = buildstep.compile_bytecode([str(done)])
    os.utime(pyc, (0, 0))  # a layer below pinned it
    buildstep.compile_missing(str(tmp_path), str(tmp_path / "site-packages"))
    assert os.lstat(pyc).st_mtime == 0  # not written again
    assert Path(importlib.util.cache_from_source(str(missing))).exists()


def test_the_commands_and_their_defaults() -> None:
    args = buildstep.parse(["code", "app==2=/src/app", "--check", "api=app.main", "cli=app"])
    assert (args.spec, args.check) == ("app==2=/src/app", ["api=app.main", "cli=app"])
    assert buildstep.parse(["code", "lib==1=/src/lib"]).check == []
    assert buildstep.parse(["code", "lib==1=/src/lib"]).offline is False
    assert buildstep.parse(["code", "lib==1=/src/lib", "--offline", "--check", "a=b"]).offline
    assert buildstep.parse(["dirs", "/data", "/x"]).writable == ["/data", "/x"]
    assert buildstep.parse(["requirements"]).file == "/tmp/requirements.txt"
    args = buildstep.parse(["dev", "/workspace/a", "/workspace/b"])
    assert (args.requirements, args.paths) == (
        "/tmp/requirements.txt",
        ["/workspace/a", "/workspace/b"],
    )
    args = buildstep.parse(["share", "user", "1000", "/home/user", "--writable", "/notebooks"])
    assert (args.name, args.uid, args.home, args.writable) == (
        "user",
        1000,
        "/home/user",
        ["/notebooks"],
    )
    with pytest.raises(SystemExit):
        buildstep.parse(["groupadd"])


# ---- a code stage: one member's files below /stage, copied into each app (COPY --link) ----


def _member(root: Path, requires: str) -> Path:
    (root / "src" / "m").mkdir(parents=True)
    (root / "src" / "m" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "m"\nversion = "1.0"\n\n'
        f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "uv_build"\n'
    )
    return root


def test_an_offline_code_step_builds_with_uvs_own_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a code stage with --network=none runs: the real uv (the one dockyard pins)
    builds a uv_build member in-process, with an empty cache and no index."""
    monkeypatch.setattr(buildstep, "UV", uv_bin())
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    source = _member(tmp_path / "m", f"uv_build>={UV_VERSION},<1000")
    buildstep.build_wheel(str(source), str(tmp_path / "wheels"), offline=True)
    assert [p.name for p in (tmp_path / "wheels").glob("*.whl")] == ["m-1.0-py3-none-any.whl"]


def test_an_offline_code_step_that_needs_the_index_says_what_to_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(buildstep, "UV", uv_bin())
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    source = _member(tmp_path / "m", "uv_build>=0.1,<0.2")  # a release uv must fetch
    with pytest.raises(SystemExit) as exit_:
        buildstep.build_wheel(str(source), str(tmp_path / "wheels"), offline=True)
    assert str(exit_.value).startswith(f"install.py: uv could not build {source} offline")
    assert "[build-system]" in str(exit_.value)
    assert "network was disabled" in capfd.readouterr().err  # uv's own reason first
    assert not list((tmp_path / "wheels").glob("*.whl"))


def test_has_module_finds_files_and_imports_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "pkg" / "sub").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("raise SystemExit('imported')\n")
    (site / "pkg" / "app.py").write_text("")
    (site / "pkg" / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (site / "ns" / "part").mkdir(parents=True)  # a namespace package: no __init__.py
    found = ["pkg", "pkg.app", "pkg.sub", "pkg.fast", "ns", "ns.part"]
    assert all(buildstep.has_module(str(site), m) for m in found)
    missing = ["pkg.nope", "nope", "pkg.app.deeper", "ns.part.x", "pkg.fas"]
    assert not any(buildstep.has_module(str(site), m) for m in missing)


def test_move_to_stage_keeps_paths_and_pins_folders_and_mtimes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = tmp_path / "stage"
    monkeypatch.setattr(buildstep, "STAGE", str(stage))
    site = tmp_path / "venv" / "lib" / "site-packages"
    (site / "pkg" / "__pycache__").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("")
    (site / "pkg" / "__pycache__" / "__init__.pyc").write_bytes(b"x")
    (site / "pkg-1.dist-info").mkdir()
    (site / "pkg-1.dist-info" / "RECORD").write_text("")
    (site / "other.py").write_text("")  # the venv's own, not the member's: stays
    script = tmp_path / "venv" / "bin" / "pkg"
    script.parent.mkdir()
    script.write_text("#!/opt/venv/bin/python\n")
    script.chmod(0o755)
    paths = [
        str(site / "pkg" / "__init__.py"),
        str(site / "pkg" / "__pycache__" / "__init__.pyc"),
        str(site / "pkg" / "__pycache__"),
        str(site / "pkg-1.dist-info"),
        str(site / "pkg-1.dist-info" / "RECORD"),
        str(script),
    ]
    buildstep.move_to_stage(paths)
    moved = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if not p.is_dir())
    inside = str(tmp_path).lstrip("/")
    assert moved == sorted(
        f"{inside}/{p}"
        for p in (
            "venv/bin/pkg",
            "venv/lib/site-packages/pkg-1.dist-info/RECORD",
            "venv/lib/site-packages/pkg/__init__.py",
            "venv/lib/site-packages/pkg/__pycache__/__init__.pyc",
        )
    )
    assert (site / "other.py").exists() and not (site / "pkg" / "__init__.py").exists()
    assert os.access(stage / inside / "venv" / "bin" / "pkg", os.X_OK)  # modes kept
    for path in buildstep.walk(str(stage)):
        assert os.lstat(path).st_mtime == 0, path
        if os.path.isdir(path):
            assert stat.S_IMODE(os.lstat(path).st_mode) == 0o755, path


def test_dirs_makes_the_writable_dirs_below_the_stage_owned_by_the_app_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = tmp_path / "stage"
    monkeypatch.setattr(buildstep, "STAGE", str(stage))
    monkeypatch.setattr(buildstep, "APP_USER", "daemon")  # the suite runs as root
    buildstep.dirs(["/data", "/app/logs"])
    daemon = pwd.getpwnam("daemon").pw_uid
    assert (stage / "data").stat().st_uid == daemon
    assert (stage / "app" / "logs").stat().st_uid == daemon
    assert (stage / "app").stat().st_uid == 0  # /app stays root's, as the base made it
    assert stat.S_IMODE((stage / "app").stat().st_mode) == 0o755
    assert all(os.lstat(p).st_mtime == 0 for p in buildstep.walk(str(stage)))
