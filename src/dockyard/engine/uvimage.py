"""`uv lock` where the host has no Python that requires-python accepts: in the base image.

uv needs an interpreter the project accepts to lock it. A project asking for Python
3.12 on a host that only has 3.11 would make uv download one; the base image, which
`dockyard lock` has just checked has a suitable Python, runs the same pinned uv
instead: the repository and uv's binary mounted, the host's CA bundle and index
settings passed as mounts and environment names (their values never reach a command
line or a layer), files written as the user who runs dockyard.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from dockyard import cache
from dockyard.buildenv import INDEX_VARIABLES, find_ca_bundle
from dockyard.engine.run import run
from dockyard.engine.uv import lock as lock_on_host
from dockyard.engine.uv import uv_bin
from dockyard.errors import DockyardError

CA_TARGET = "/run/dockyard/ca.crt"


def host_python_suits(root: Path) -> bool:
    """Does uv find, on this host, a Python the project's requires-python accepts?

    A yes is remembered with the interpreter uv found, per everything uv's choice reads
    (the project's pyproject.toml and .python-version, PATH and uv's own variables), and
    trusted while that interpreter is still there: asking uv costs about 0.3 s.
    """
    digest = hashlib.sha256(uv_bin().encode())
    for name in ("pyproject.toml", ".python-version"):
        path = root / name
        digest.update(b"\0" + (path.read_bytes() if path.is_file() else b""))
    for name in ("PATH", "VIRTUAL_ENV", "UV_PYTHON", "UV_PYTHON_PREFERENCE"):
        digest.update(b"\0" + os.environ.get(name, "").encode())
    key = digest.hexdigest()
    found = cache.recall("host-python", key)
    if found and os.access(found, os.X_OK):
        return True
    proc = run(
        [uv_bin(), "python", "find", "--project", str(root), "--no-python-downloads"],
        cwd=root,
        check=False,
        timeout=60,
    )
    if proc.returncode == 0 and proc.stdout.strip():
        cache.remember("host-python", key, proc.stdout.strip())
    return proc.returncode == 0


def _index_env() -> list[str]:
    names = [n for n in INDEX_VARIABLES if os.environ.get(n)]
    names += sorted(n for n in os.environ if n.startswith("UV_INDEX_"))
    return [arg for name in dict.fromkeys(names) for arg in ("-e", name)]


def lock_in_image(root: Path, image: str, *, check: bool = False) -> None:
    """``uv lock`` (``--check``) run by the pinned uv inside ``image``."""
    uv = Path(uv_bin()).resolve()
    if not uv.is_file():
        raise DockyardError(
            f"no Python on this host satisfies {root / 'pyproject.toml'}'s requires-python "
            "and uv's binary was not found to run it in the base image; install a suitable "
            "Python for uv (`uv python install`), then run `dockyard lock` again"
        )
    args = ["docker", "run", "--rm", "--network", "host", "--user", f"{os.getuid()}:{os.getgid()}"]
    args += ["-v", f"{root}:{root}", "-w", str(root), "-v", f"{uv}:/usr/local/bin/uv:ro"]
    args += ["-e", "HOME=/tmp", "-e", "UV_CACHE_DIR=/tmp/uv-cache"]
    args += ["-e", "UV_PYTHON_DOWNLOADS=never", "-e", "UV_PYTHON_PREFERENCE=only-system"]
    ca = find_ca_bundle(None)
    if ca is not None:
        args += ["-v", f"{ca.resolve()}:{CA_TARGET}:ro", "-e", f"SSL_CERT_FILE={CA_TARGET}"]
    args += [*_index_env(), "--entrypoint", "uv", image, "lock", "--project", str(root)]
    if check:
        args.append("--check")
    proc = run(args, check=False, timeout=900)
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        reason = detail[-1] if detail else f"exit code {proc.returncode}"
        if check:
            raise DockyardError(
                f"{root / 'uv.lock'} is stale ({reason}); run `dockyard lock` and commit it"
            )
        raise DockyardError(f"`uv lock` (in the base image {image}) failed in {root}: {reason}")


def lock(root: Path, base_image: str, *, check: bool = False) -> None:
    """``uv lock`` on the host when it has a Python the project accepts, else in the base."""
    if host_python_suits(root):
        lock_on_host(root, check=check)
    else:
        lock_in_image(root, base_image, check=check)
