"""Which uid:gid dev containers run as, so files they write in the mounted source are yours."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dockyard.errors import DockyardError

UID_VAR = "DOCKYARD_UID"
GID_VAR = "DOCKYARD_GID"


def dev_ids(
    environ: Mapping[str, str], user: tuple[int, int], owner: tuple[int, int]
) -> tuple[int, int]:
    """(uid, gid) for dev services.

    DOCKYARD_UID / DOCKYARD_GID win when set. Otherwise the invoking user's ids; but
    when that is root (sudo, CI), the owner of the project folder, so files created
    in the source keep the tree's owner instead of becoming root's.
    """
    ids = list(owner if user[0] == 0 else user)
    for index, var in enumerate((UID_VAR, GID_VAR)):
        value = environ.get(var, "").strip()
        if value:
            if not value.isdigit():
                raise DockyardError(f"{var}={value!r} is not a numeric id; unset it or use `id -u`")
            ids[index] = int(value)
    return ids[0], ids[1]


def compose_env(root: Path) -> dict[str, str]:
    """The variables compose.dev.yaml interpolates for ``user:``."""
    info = root.stat()
    uid, gid = dev_ids(os.environ, (os.getuid(), os.getgid()), (info.st_uid, info.st_gid))
    return {UID_VAR: str(uid), GID_VAR: str(gid)}
