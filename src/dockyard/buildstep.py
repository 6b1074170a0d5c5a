"""The install steps of the generated Dockerfile, run inside the build (stdlib only).

dockyard writes this file as .dockyard/install.py; the `tools` stage of the Dockerfile
holds it beside uv and every step mounts the two, so each RUN reads as one intention
(`install.py requirements FILE`, `install.py user dev ...`) and the shell plumbing lives
here, once.

Every command sets the mtime of everything it wrote to 0, and those that install compile
the Python files they wrote to bytecode (all but third-party test suites: see
runtime_code()). A layer's bytes then depend only on its inputs: two clean builds are
bit-identical, and apps share the layers they have in common.

Bytecode is compiled the way a reproducible build needs it (CPython's marshal output can
depend on what the same process compiled before, python/cpython#129724, which is why
uv's parallel `--compile-bytecode` is not deterministic, astral-sh/uv#10619): hash-based
pycs (no timestamps), PYTHONHASHSEED=0, and the sorted list of files split into a fixed
number of chunks, each compiled in order by a fresh process, whatever the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

VENV = "/opt/venv"
TOOLS = os.path.dirname(os.path.abspath(__file__))  # uv sits beside this script
UV = os.path.join(TOOLS, "uv")
SECRET_ENV = "/run/secrets/build_env"
WHEELS = "/tmp/wheels"
REQUIREMENTS = "/tmp/requirements.txt"  # where a step's lock export is bound
CHUNKS = 4  # fixed, never the CPU count: the chunks decide the bytes of the pycs
MIN_CHUNK = 50  # a member's few files: one interpreter, not four starting for two files each
TOUCHED_ALWAYS = ("/tmp", "/opt")  # what every step changes beside the venv
APP_USER = "app"  # the prod user (the Dockerfile's base stage makes it): owns --writable dirs
# what groupadd and useradd rewrite (the `-` files are their backups), pinned when present
USER_FILES = (
    "/etc",
    *(f"/etc/{n}{b}" for b in ("", "-") for n in ("passwd", "group", "shadow", "gshadow")),
)
SHARE_FROM, SHARE_TO = "/tmp/share", "/opt/share"  # the share step's mounted files -> the image
STAGE = "/stage"  # a code or dirs stage's files, at their image paths (COPY --link'd to /)


def load_secrets() -> None:
    """The build_env secret (`export NAME=value` lines): index settings, the CA path."""
    if not os.path.isfile(SECRET_ENV):
        return
    with open(SECRET_ENV) as env:
        for line in env:
            words = shlex.split(line)
            for word in words[1:] if words[:1] == ["export"] else []:
                name, _, value = word.partition("=")
                os.environ[name] = value


def uv(*args: str, check: bool = True) -> int:
    return subprocess.run([UV, *args], check=check).returncode


def site_packages() -> str:
    lib = os.path.join(VENV, "lib")
    return os.path.join(
        lib, next(n for n in sorted(os.listdir(lib)) if n.startswith("python")), "site-packages"
    )


def walk(top: str):
    """Every path under ``top`` (itself included), symlinks not followed."""
    yield top
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            yield os.path.join(root, name)


def new_paths(top: str) -> list[str]:
    """What this step wrote under ``top``: the layers below pinned every mtime to 0."""
    return [p for p in walk(top) if os.lstat(p).st_mtime != 0]


def zero_mtimes(paths) -> None:
    for path in paths:
        if os.path.lexists(path):
            os.utime(path, (0, 0), follow_symlinks=False)


def runtime_code(paths: Iterable[str], site: str) -> list[str]:
    """``paths`` without the files of third-party test suites: a directory named ``tests``
    inside a package in ``site`` (site-packages), at any depth below its top level.

    Those are packages' own test suites (numpy/_core/tests, pandas/tests, sklearn/*/tests:
    about a third of the bytecode of a scientific stack), run by `pytest --pyargs`, never
    imported by the code that ships beside them. Kept, because code imports them at run
    time: ``testing`` and ``_testing`` (numpy.testing, pandas._testing), ``test`` (too
    varied a name), a top-level ``tests`` (whatever installs one there makes it
    `import tests`), and everything outside ``site``. First-party members are compiled
    by code(), which does not call this. Skipping a file that is imported after all
    is never wrong, only slower: Python compiles a file without a pyc when it imports it.
    Each path is judged alone, so what is compiled stays a pure function of the list.
    """
    top = site.rstrip("/") + "/"
    return [
        p for p in paths if not p.startswith(top) or "tests" not in p[len(top) :].split("/")[1:-1]
    ]


def compile_bytecode(files: list[str]) -> list[str]:
    """Compile ``files`` to unchecked-hash pycs, deterministically; the pycs written."""
    files = sorted(f for f in files if f.endswith(".py"))
    if not files:
        return []
    size = max(MIN_CHUNK, -(-len(files) // CHUNKS))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    env = dict(os.environ, PYTHONHASHSEED="0")
    argv = [
        sys.executable,
        "-S",
        "-m",
        "compileall",
        "-qq",
        "--invalidation-mode",
        "unchecked-hash",
    ]

    def run(chunk: list[str]) -> None:
        # A file that does not compile (a template, Python 2 test data) just gets no pyc.
        subprocess.run([*argv, "-i", "-"], input="\n".join(chunk) + "\n", text=True, env=env)

    with ThreadPoolExecutor(max_workers=CHUNKS) as pool:
        list(pool.map(run, chunks))
    pycs = [importlib.util.cache_from_source(f) for f in files]
    return [p for p in pycs if os.path.exists(p)]


def finish(paths) -> None:
    """mtime 0 on what the step wrote, and on the directories every step changes."""
    zero_mtimes(paths)
    zero_mtimes(TOUCHED_ALWAYS)


def requirements(path: str) -> None:
    """A hashed lock export installed alone into a fresh venv, then moved below STAGE at
    the paths it has in the app images, as a member's code is: every app that needs the
    group copies the same layer with `COPY --link`, and a change to another group never
    installs this one again."""
    uv("venv", "--quiet", "--python", "python3", VENV)
    python = os.path.join(VENV, "bin", "python")
    uv("pip", "install", "--python", python, "--no-deps", "--require-hashes", "-r", path)
    site = site_packages()
    stage_installed(site, _installed(site), runtime_code)


def dev(requirements_file: str, paths: list[str]) -> None:
    """The dev group from its lock export, then the first-party members installed
    editable against the mounted source (dev images)."""
    python = os.path.join(VENV, "bin", "python")
    uv(
        "pip",
        "install",
        "--python",
        python,
        "--no-deps",
        "--require-hashes",
        "-r",
        requirements_file,
    )
    site = site_packages()
    compile_bytecode(runtime_code(new_paths(site), site))
    args = [a for p in paths for a in ("-e", p)]
    uv("pip", "install", "--python", python, "--no-deps", "--no-sources", *args)
    finish(new_paths(VENV))


def venv() -> None:
    """The empty venv every app image starts from (its packages are copied in later).
    No cache: uv would keep what it learnt of the interpreter in /root/.cache, in the layer."""
    uv("venv", "--quiet", "--no-cache", "--python", "python3", VENV)
    finish(new_paths(VENV))


def build_wheel(source: str, out_dir: str, *, offline: bool = False) -> None:
    """A wheel of ``source``: offline first (uv's cache or bundled backend), else the index.
    ``offline``: the step has no network (uv builds the member with its own uv_build)."""
    args = ["build", "--quiet", "--wheel", "--no-sources", "--out-dir", out_dir, source]
    with open(os.devnull, "w") as quiet:  # uv's reason is shown only when there is no retry
        status = subprocess.run([UV, *args, "--offline"], stderr=None if offline else quiet)
    if status.returncode == 0:
        return
    if offline:
        sys.exit(
            f"install.py: uv could not build {source} offline (uv's reason above); the "
            "step has no network because the member's pyproject.toml [build-system] asks "
            "for the uv_build that uv has built in"
        )
    uv(*args)


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(len(parts))]


def make_dirs(paths: list[str], *, mode: int | None = None, owner: str | None = None) -> list[str]:
    """mkdir -p each path, then chmod ``mode`` / chown ``owner``: the paths and their
    ancestors, for finish() (a new directory changes its parent's mtime too)."""
    for path in paths:
        os.makedirs(path, exist_ok=True)
        if mode is not None:
            os.chmod(path, mode)
        if owner is not None:
            shutil.chown(path, owner, owner)
    return sorted({*paths, *(a for p in paths for a in _ancestors(p))})


def _installed(site: str) -> list[str]:
    """What the wheels just installed (their RECORD files and dist-info folders); a
    dist-info whose mtime is 0 is a layer's below. uv's cache note for a local wheel,
    which holds the build's clock and is not needed to run, is removed."""
    written: list[str] = []
    for info in sorted(n for n in os.listdir(site) if n.endswith(".dist-info")):
        record = os.path.join(site, info, "RECORD")
        if os.lstat(os.path.join(site, info)).st_mtime == 0 or not os.path.exists(record):
            continue
        cache_note = os.path.join(site, info, "uv_cache.json")
        if os.path.exists(cache_note):
            os.remove(cache_note)
        with open(record) as f:
            rows = [r for r in f if not r.startswith(f"{info}/uv_cache.json,")]
        with open(record, "w") as f:
            f.writelines(rows)
        written += [os.path.normpath(os.path.join(site, r.split(",")[0])) for r in rows]
        written += walk(os.path.join(site, info))
    return written


def has_module(site: str, module: str) -> bool:
    """Is ``module`` (a.b.c) among the files under ``site``: a/b a folder, c a .py file,
    a package folder or an extension module? Files only: nothing is imported."""
    *parents, last = module.split(".")
    folder = os.path.join(site, *parents)
    if not os.path.isdir(folder):
        return False
    path = os.path.join(folder, last)
    if os.path.isdir(path) or os.path.isfile(path + ".py"):
        return True
    return any(n.startswith(last + ".") and n.endswith((".so", ".pyd")) for n in os.listdir(folder))


def move_to_stage(paths: list[str]) -> None:
    """Move ``paths`` (files and folders of the image) below STAGE, at the same place; every
    folder on the way mode 755 and everything mtime 0, as the layers below have theirs."""
    for path in sorted(set(paths)):
        if os.path.isdir(path) and not os.path.islink(path):
            continue  # made below with the files in it (or on its own when empty)
        target = STAGE + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(path, target)
    for path in sorted(p for p in set(paths) if os.path.isdir(p) and not os.path.islink(p)):
        os.makedirs(STAGE + path, exist_ok=True)
    for path in walk(STAGE):
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o755)
    zero_mtimes(walk(STAGE))


def stage_installed(site: str, written: list[str], compiled) -> None:
    """What the wheels just installed, and its bytecode (of the files ``compiled`` keeps
    of those in ``site``), moved below STAGE."""
    pycs = compile_bytecode(compiled([p for p in written if p.startswith(site + "/")], site))
    move_to_stage(written + pycs + [os.path.dirname(p) for p in pycs])


def code(spec: str, checks: list[str], offline: bool = False) -> None:
    """One first-party member, installed alone (offline, no dependencies) into a fresh venv
    and moved below STAGE at the paths it has in the app images.

    The member's code stage runs this; every app that uses the member copies STAGE with
    `COPY --link`. An edit to the member re-runs this one step, once for all its apps, and
    none of their package layers: the apps' images are only put together again.

    SPEC is NAME==VERSION=SOURCE: its wheel is built from SOURCE right here (uv runs
    uv_build in-process; another backend comes from uv's cache or the index). Each check
    is APP=MODULE, the module the app's command runs: it must be among the files the
    member installed (its dependencies are not here to import it). ``offline``: the step
    has no network, so the build never falls back to the index.
    """
    pin, _, version = spec.partition("==")
    version, _, source = version.partition("=")
    wheels = os.path.join(WHEELS, pin)
    build_wheel(source, wheels, offline=offline)
    uv("venv", "--quiet", "--python", "python3", VENV)
    python = os.path.join(VENV, "bin", "python")
    links = ["--find-links", wheels]
    uv("pip", "install", "--python", python, "--no-deps", "--no-index", "--no-cache", *links,
       f"{pin}=={version}")  # fmt: skip
    site = site_packages()
    written = _installed(site)
    for check in checks:
        app, _, module = check.partition("=")
        if not has_module(site, module):
            sys.exit(
                f"install.py: app {app} cannot start: its command runs {module}, which "
                f"{pin} {version} does not install. Its wheel lacks it: when a build hook "
                "maps code from outside the member, name those folders with ../ paths in "
                "the member's pyproject.toml [tool] settings so dockyard mounts them into "
                "the build"
            )
    stage_installed(site, written, lambda files, _site: files)


def dirs(writable: list[str]) -> None:
    """An app's ``writable`` directories, owned by the prod user, below STAGE (its
    prod image copies them with `COPY --link`)."""
    os.makedirs(STAGE, exist_ok=True)
    made = make_dirs([STAGE + path for path in writable], owner=APP_USER)
    for path in made:
        if path.startswith(STAGE + "/") and path not in (STAGE + p for p in writable):
            os.chmod(path, 0o755)
    zero_mtimes(walk(STAGE))


def add_user(name: str, uid: int, home: str) -> list[str]:
    """A login user NAME, uid and gid UID (not unique: the base image may have one), home
    HOME (not made here); the files in /etc it rewrote, for finish()."""
    subprocess.run(["groupadd", "--non-unique", "--gid", str(uid), name], check=True)
    # useradd writes today's day into /etc/shadow unless SOURCE_DATE_EPOCH fixes it (day
    # 1: day 0 would ask for a new password at the next login)
    subprocess.run(
        ["useradd", "--non-unique", "--no-log-init", "--uid", str(uid), "--gid", str(uid)]
        + ["--no-create-home", "--home-dir", home, "--shell", "/bin/bash", name],
        check=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "86400"},
    )
    return [p for p in USER_FILES if os.path.lexists(p)]


def user(name: str, uid: int, home: str, writable: list[str], workdir: str | None) -> None:
    """A user for any uid (dev images run as yours): its home and the ``writable``
    directories mode 1777, so tools that write there work whoever runs the container;
    ``workdir`` made for the Dockerfile's WORKDIR, which would stamp the clock on it."""
    written = add_user(name, uid, home) + make_dirs([home, *writable], mode=0o1777)
    finish(written + make_dirs([workdir] if workdir else []))


def readable_by_all(top: str) -> list[str]:
    """chmod -R a+rX,go-w ``top`` (what cp gives a copy under umask 022): the paths."""
    paths = list(walk(top))
    for path in paths:
        mode = os.lstat(path).st_mode
        bits = (mode & 0o755) | 0o444
        if os.path.isdir(path) or mode & 0o111:
            bits |= 0o111
        os.chmod(path, bits)
    return paths


def copy_files(source: str, target: str) -> list[str]:
    """cp -rL SOURCE/. TARGET/, readable by everyone: the paths under ``target``."""
    os.makedirs(target, exist_ok=True)
    shutil.copytree(source, target, dirs_exist_ok=True)  # follows symlinks, as cp -L
    return readable_by_all(target)


def compile_missing(top: str, site: str) -> None:
    """Bytecode for each .py file under ``top`` that has none yet, third-party test
    suites in ``site`` left out as at install."""
    cached = importlib.util.cache_from_source
    missing = [p for p in walk(top) if p.endswith(".py") and not os.path.exists(cached(p))]
    compile_bytecode(runtime_code(missing, site))


def share(name: str, uid: int, home: str, writable: list[str]) -> None:
    """A share image: bytecode for what the venv still lacks, a user for any uid (home and
    ``writable`` mode 1777), and the mounted README and team files copied to /opt/share."""
    compile_missing(VENV, site_packages())
    written = new_paths(VENV) + add_user(name, uid, home)
    written += make_dirs([home, *writable], mode=0o1777) + make_dirs([SHARE_TO])
    finish(written + copy_files(SHARE_FROM, SHARE_TO))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="install.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("requirements", help="a lock export, alone, below /stage")
    command.add_argument("file", nargs="?", default=REQUIREMENTS)
    command = commands.add_parser("dev", help="the dev group, members editable")
    command.add_argument("paths", nargs="*", metavar="member")
    command.add_argument("--requirements", default=REQUIREMENTS, metavar="file")
    commands.add_parser("venv", help="an empty venv")
    command = commands.add_parser("code", help="a first-party member, alone, below /stage")
    command.add_argument("spec")
    command.add_argument("--check", nargs="+", default=[], metavar="app=module")
    command.add_argument("--offline", action="store_true", help="no index to fall back to")
    command = commands.add_parser("dirs", help="an app's writable dirs, below /stage")
    command.add_argument("writable", nargs="+", metavar="dir")
    for name in ("user", "share"):
        command = commands.add_parser(name, help=f"see {name}() in this file")
        command.add_argument("name")
        command.add_argument("uid", type=int)
        command.add_argument("home")
        if name == "user":
            command.add_argument("--workdir")
        command.add_argument("--writable", nargs="+", default=[], metavar="dir")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    load_secrets()
    if args.command == "requirements":
        requirements(args.file)
    elif args.command == "dev":
        dev(args.requirements, args.paths)
    elif args.command == "venv":
        venv()
    elif args.command == "code":
        code(args.spec, args.check, args.offline)
    elif args.command == "dirs":
        dirs(args.writable)
    elif args.command == "user":
        user(args.name, args.uid, args.home, args.writable, args.workdir)
    else:
        share(args.name, args.uid, args.home, args.writable)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
