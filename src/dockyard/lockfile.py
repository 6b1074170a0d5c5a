"""dockyard.lock: the inputs uv.lock does not pin (base image, uv itself)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.names import generated_by

LOCK_NAME = "dockyard.lock"


@dataclass(frozen=True)
class BaseImage:
    image: str  # as configured, e.g. python:3.11-slim-bookworm
    reference: str  # what FROM names: image@sha256:<digest>, or the tag when local-only
    id: str  # the image ID (config digest) the reference resolved to
    local_only: bool  # no registry digest: the ID is checked before every build


@dataclass(frozen=True)
class Lock:
    base: BaseImage
    uv_version: str
    uv_requirements: str  # "uv==X" with the hash of every wheel
    uv_lock_sha256: str


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_lock(lock: Lock) -> str:
    if "'''" in lock.uv_requirements:
        raise ValueError("uv requirements must not contain ''' (a TOML literal-string delimiter)")
    base = asdict(lock.base)
    lines = [
        f"# {generated_by('pyproject.toml and uv.lock', 'run `dockyard lock` to update it')}",
        "# Pins what uv.lock does not: the base image and uv itself.",
        "version = 1",
        f"uv-lock-sha256 = {_quote(lock.uv_lock_sha256)}",
        "",
        "[base]",
        f"image = {_quote(base['image'])}",
        f"reference = {_quote(base['reference'])}",
        f"id = {_quote(base['id'])}",
        f"local-only = {'true' if base['local_only'] else 'false'}",
        "",
        "[uv]",
        f"version = {_quote(lock.uv_version)}",
        # A literal string: the requirement's `\` line continuations must stay as written.
        "requirements = '''",
        lock.uv_requirements.rstrip("\n"),
        "'''",
    ]
    return "\n".join(lines) + "\n"


def read_lock(root: Path) -> Lock:
    path = root / LOCK_NAME
    if not path.is_file():
        raise DockyardError(f"{path} is missing; run `dockyard lock` first")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        base = data["base"]
        return Lock(
            base=BaseImage(
                image=base["image"],
                reference=base["reference"],
                id=base["id"],
                local_only=bool(base["local-only"]),
            ),
            uv_version=data["uv"]["version"],
            uv_requirements=data["uv"]["requirements"].strip() + "\n",
            uv_lock_sha256=data["uv-lock-sha256"],
        )
    except (
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        # str() of a KeyError is only the quoted key: say what is missing
        why = f"it has no {exc.args[0]!r} entry" if isinstance(exc, KeyError) else str(exc)
        raise DockyardError(
            f"{path} is damaged ({why}); delete it and run `dockyard lock`"
        ) from None
