"""What detection found: apps, libraries, settings, and what it could not map."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.manifest import RESERVED


@dataclass
class AppGuess:
    """An app as detection sees it; becomes [tool.dockyard.apps.<name>]."""

    name: str
    member: str
    command: list[str] | None
    why: str  # where the command came from, in the user's words
    dev_command: list[str] | None = None  # what its dev service runs instead (live reload)
    ports: list[str] = field(default_factory=list)
    health: str | None = None  # an http URL probed inside the container
    environment: dict[str, str] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    writable: list[str] = field(default_factory=list)
    restart: str | None = None


@dataclass
class DeployGuess:
    """A server compose file the user had -> [tool.dockyard.deploy.<name>]."""

    name: str
    source: str  # the compose file it came from
    apps: list[str]
    env_files: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Detection:
    layout: str  # "uv workspace", "single project", "requirements layout"
    root: Path
    name: str  # [tool.dockyard] name
    apps: list[AppGuess] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)
    library_why: dict[str, str] = field(default_factory=dict)  # library -> why it is one
    found: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    deploy: list[DeployGuess] = field(default_factory=list)
    base_image: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # rel path -> new text (--write)
    backups: list[str] = field(default_factory=list)  # rel paths copied aside (--write)
    retired: list[str] = field(default_factory=list)  # rel paths removed once backed up


def app_name(raw: str) -> str:
    """A valid, non-clashing app name from a member or folder name."""
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-") or "app"
    if not name[0].isalpha():
        name = f"app-{name}"
    if name in RESERVED or name.startswith("deps-") or name.endswith("-dev"):
        name = f"{name}-app"
    return name


def unique_names(apps: list[AppGuess]) -> None:
    """Two members that shorten to the same app name keep their full member names."""
    counts = Counter(app.name for app in apps)
    for app in apps:
        if counts[app.name] > 1:
            app.name = app_name(app.member)
    seen: set[str] = set()
    for app in apps:
        name, n = app.name, 2
        while app.name in seen:
            app.name, n = f"{name}-{n}", n + 1
        seen.add(app.name)


def project_name(raw: str) -> str:
    """A valid [tool.dockyard] name (image namespace) from a folder or project name."""
    return re.sub(r"[^a-z0-9.-]+", "-", raw.lower()).strip("-.") or "project"
