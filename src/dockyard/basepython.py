"""The Python a base image has, against the ``requires-python`` of the apps built on it.

`dockyard lock` refuses a base whose Python no app accepts (the build would fail deep
inside uv); `dockyard init` picks a base that satisfies every app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dockyard import cache
from dockyard.engine.pyrun import run_python
from dockyard.errors import DockyardError
from dockyard.workspace import read_toml

PYTHONS = ("3.11", "3.12", "3.13", "3.14")  # minor versions a base can have, oldest first
BOOTSTRAP = {"3.11": "bookworm", "3.13": "trixie"}  # what `dockyard base bootstrap` builds
_TAG_VERSION = re.compile(r"(?:^|[-:])(3\.\d+)(?:[.-]|$)")


def requires_python(pyprojects: Iterable[Path]) -> tuple[SpecifierSet, list[str]]:
    """Every ``requires-python`` of these files, combined, and the files that set one."""
    spec, sources = SpecifierSet(), []
    for path in pyprojects:
        raw = read_toml(path).get("project", {}).get("requires-python")
        if not raw:
            continue
        try:
            spec &= SpecifierSet(str(raw))
        except InvalidSpecifier:
            raise DockyardError(
                f"{path}: project.requires-python: {raw!r} is not a version specifier like '>=3.12'"
            ) from None
        sources.append(str(path))
    return spec, sources


def accepts(spec: SpecifierSet, version: str) -> bool:
    """Does ``spec`` accept Python ``version`` (X.Y: any of its patch releases)?"""
    if version.count(".") >= 2:
        return spec.contains(version, prereleases=True)
    return any(spec.contains(f"{version}.{patch}", prereleases=True) for patch in (0, 99))


def tag_python(image: str) -> str | None:
    """X.Y from a tag like python:3.12-slim-bookworm or dockyard/python:3.13-trixie."""
    repo, _, tag = image.split("@", 1)[0].rpartition(":")
    if not repo or "python" not in repo.rsplit("/", 1)[-1]:
        return None
    match = _TAG_VERSION.search(tag)
    return match.group(1) if match else None


def image_python(image: str) -> str:
    """The X.Y.Z of ``python3`` in a local image (runs it once, no network)."""
    probe = "import platform; print(platform.python_version())"
    proc = run_python(image, probe, python="python3")
    version = proc.stdout.strip()
    if proc.returncode != 0 or not re.fullmatch(r"3\.\d+\.\d+\S*", version):
        tail = (proc.stderr or "").strip().splitlines()
        raise DockyardError(
            f"cannot tell which Python the base image '{image}' has: `python3` did not run in it"
            + (f" ({tail[-1]})" if tail else "")
            + "; dockyard needs a base with python3 on PATH"
        )
    return version


def project_pyprojects(root: Path, member_paths: Iterable[str]) -> list[Path]:
    """The root pyproject.toml and those of the given members (paths relative to root)."""
    paths = [root / "pyproject.toml"]
    paths += [root / p / "pyproject.toml" for p in member_paths if p != "."]
    return [p for p in dict.fromkeys(paths) if p.is_file()]


def check_base_python(root: Path, member_paths: Iterable[str], image: str, image_id: str) -> None:
    """Refuse, in one line naming both versions, a base whose Python an app does not accept.

    ``image_id``: the base's ID on the engine (`dockyard lock` has just pinned it), which
    names its content, so its Python version is asked once per base (a container start).
    """
    spec, sources = requires_python(project_pyprojects(root, member_paths))
    if not str(spec):
        return
    key = image_id.removeprefix("sha256:")
    version = cache.recall("base-python", key)
    if version is None:
        version = image_python(image)
        cache.remember("base-python", key, version)
    if accepts(spec, version):
        return
    raise DockyardError(
        f"the base image '{image}' has Python {version}, but requires-python is '{spec}' "
        f"({', '.join(Path(s).relative_to(root).as_posix() for s in sources)}); "
        f"{advice(spec, image)}"
    )


def advice(spec: SpecifierSet, image: str = "") -> str:
    """What to do when no base at hand has a Python ``spec`` accepts."""
    for version, suite in BOOTSTRAP.items():
        if accepts(spec, version):
            tag = f"dockyard/python:{version}-{suite}"
            return (
                f"use a base that has it: with no registry, `dockyard base bootstrap --suite "
                f"{suite}` builds {tag}; then set base-image (or DOCKYARD_BASE_IMAGE) to it "
                "and run `dockyard lock`"
            )
    wanted = next((v for v in PYTHONS if accepts(spec, v)), None)
    if wanted:
        return f"set base-image to an image with Python {wanted} (e.g. python:{wanted}-slim)"
    return f"no Python dockyard knows satisfies '{spec}'; fix requires-python"


def pick_base(
    spec: SpecifierSet,
    current: str,
    local: Iterable[str],
    served: Callable[[str], bool],
) -> tuple[str | None, str | None]:
    """A base for a new manifest when ``current``'s Python (by its tag) does not satisfy
    ``spec``, and a line for the user; (None, None) when ``current`` is fine.

    The official slim image of the oldest suitable Python when it is here or a registry
    serves it; else a local base that suits (one `dockyard base bootstrap` built); else
    that official image, with what to run.
    """
    version = tag_python(current)
    if not str(spec) or version is None or accepts(spec, version):
        return None, None
    wanted = next((v for v in PYTHONS if accepts(spec, v)), None)
    why = f"requires-python '{spec}' rules out {current} (Python {version})"
    if wanted is None:
        return None, f"{why}: {advice(spec)}"
    official = f"python:{wanted}-slim-bookworm"
    if served(official):
        return official, f"{why}: base-image {official}"
    suitable = [tag for tag in local if (v := tag_python(tag)) and accepts(spec, v)]
    suitable.sort(key=lambda tag: (tag_python(tag) or "", tag))
    if suitable:
        return suitable[0], f"{why}; no registry serves {official}: base-image {suitable[0]}"
    return official, f"{why}; no registry serves {official}: {advice(spec)}"
