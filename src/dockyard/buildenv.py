"""What reaches a build only as BuildKit secrets: the proxy CA and index settings."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError

CA_VARIABLES = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE")
# Index settings a user already has for uv or pip on the host (they may hold credentials).
INDEX_VARIABLES = (
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "UV_INSECURE_HOST",
)
CA_TARGET = "/run/secrets/ca_bundle"
_NAMED = re.compile(r"^[A-Za-z0-9_.-]+=")


@dataclass(frozen=True)
class BuildSecrets:
    ca_bundle: Path | None
    env_text: str  # shell lines sourced inside RUN steps: `export NAME=value`


def find_ca_bundle(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise DockyardError(f"--ca-bundle {explicit}: no such file")
        return path
    for name in CA_VARIABLES:
        value = environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    return None


def _usable(value: str) -> bool:
    """Host-only indexes (file:// paths) mean nothing inside a build container."""
    urls = [_NAMED.sub("", part) for part in value.split()]  # uv's `name=url` form
    return bool(urls) and not any(url.startswith(("file:", "/")) for url in urls)


def build_secrets(
    ca_option: str | None = None, environ: dict[str, str] | None = None
) -> BuildSecrets:
    environ = dict(os.environ if environ is None else environ)
    ca = find_ca_bundle(ca_option, environ)
    lines = []
    if ca is not None:
        lines.append(f"export SSL_CERT_FILE={CA_TARGET} PIP_CERT={CA_TARGET}")
    names = [n for n in INDEX_VARIABLES if _usable(environ.get(n, ""))]
    names += sorted(
        n for n in environ if n.startswith("UV_INDEX_") and n.endswith(("_USERNAME", "_PASSWORD"))
    )
    for name in names:
        lines.append(f"export {name}={shlex.quote(environ[name])}")
    if "PIP_INDEX_URL" not in names:
        for uv_name in ("UV_DEFAULT_INDEX", "UV_INDEX_URL"):
            if uv_name in names:  # the uv stage installs uv itself with pip
                lines.append(f"export PIP_INDEX_URL={shlex.quote(environ[uv_name])}")
                break
    return BuildSecrets(ca, "".join(line + "\n" for line in lines))
