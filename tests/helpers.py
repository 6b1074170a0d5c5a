"""Helpers several test modules share (import them with `from helpers import ...`; tests/ is
on sys.path through its conftest). Test modules never import each other or a conftest."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from dockyard.lockfile import BaseImage, Lock, file_sha256
from dockyard.manifest import load_project

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

BASE_REFERENCE = "example/python:3.11@sha256:" + "ab" * 32
UV_REQUIREMENTS = (
    "uv==0.13.9 \\\n    --hash=sha256:" + "c1" * 32 + " \\\n    --hash=sha256:" + "d2" * 32 + "\n"
)


_HANDED_OUT: set[int] = set()


def free_port(preferred: int) -> int:
    """``preferred``, or the first port above it that nothing on 127.0.0.1 listens on (a
    published container port has docker-proxy listening) and no earlier call returned.

    A suite that a fixed port could not start (a container another run left, a second
    run on the same engine) takes the next one instead. The ports stay below the
    kernel's ephemeral range, so a test's own client connections never take them."""
    for port in range(preferred, preferred + 100):
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise AssertionError(f"no free port on 127.0.0.1 in {preferred}-{preferred + 99}")


IGNORE = shutil.ignore_patterns(".venv", "__pycache__", ".pytest_cache", "*.db")


def dockyard(root: Path, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run the real CLI (integration tests) (the installed entry point) in ``root``."""
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        cwd=root,
        capture_output=True,
        text=True,
        **kw,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dockyard {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.stderr}")
    return proc


def inspect(ref: str) -> dict:
    return json.loads(docker("image", "inspect", ref).stdout)[0]


def layers(ref: str) -> list[str]:
    return inspect(ref)["RootFS"]["Layers"]


def copy_project(source: Path, target: Path) -> Path:
    """A copy of a project in a fresh git repository (revisions tag the images)."""
    shutil.copytree(source, target, ignore=IGNORE)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
        cwd=target,
        check=True,
    )
    return target


def rewrite(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in the file ``path``."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def rewrite_manifest(root: Path, old: str, new: str) -> None:
    """``rewrite`` the project's root pyproject.toml."""
    rewrite(root / "pyproject.toml", old, new)


def synthetic_lock(root: Path) -> Lock:
    """A lock as `dockyard lock` would write it, for a base image that need not exist."""
    return Lock(
        base=BaseImage(
            image=load_project(root).base_image,
            reference=BASE_REFERENCE,
            id="sha256:" + "ef" * 32,
            local_only=False,
        ),
        uv_version="0.13.9",
        uv_requirements=UV_REQUIREMENTS,
        uv_lock_sha256=file_sha256(root / "uv.lock"),
    )


def render_project(root: Path) -> dict[str, str]:
    """Every file `dockyard generate` would write for the project at ``root`` (needs its lock)."""
    from dockyard.build.load import load_plan
    from dockyard.render import render_all

    return render_all(load_plan(load_project(root)))


def cli_error(capsys: Any, root: Path, *args: str) -> tuple[int, str]:
    """Run the CLI in-process on ``root``, expecting it to exit: (exit code, stderr)."""
    import pytest

    from dockyard.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--project", str(root)])
    return exit_info.value.code, capsys.readouterr().err.strip()
