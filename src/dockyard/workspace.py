"""Read the layout of a Python project: a uv workspace or a single pyproject."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.graph import dependencies_first

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    """PEP 503 name normalisation: ``Lol_Data.API`` -> ``lol-data-api``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = _REQ_NAME.match(requirement)
    return normalize(match.group(1)) if match else ""


@dataclass(frozen=True)
class Member:
    """One installable project of the workspace (a library or an app)."""

    name: str  # normalised distribution name
    version: str
    path: str  # POSIX path relative to the workspace root ("." for a single project)
    import_roots: tuple[str, ...]  # dirs (relative to root) that go on sys.path in dev
    requires: tuple[str, ...]  # normalised names of everything in [project].dependencies
    has_tests: bool
    build_backend: str = ""  # [build-system] build-backend, e.g. "uv_build"
    build_requires: tuple[str, ...] = ()  # [build-system] requires, as written
    # folders outside the member (relative to the root) its build config names, e.g. a
    # brick layout's "../../components/x" mapped into the wheel: its builds mount them too
    outside: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workspace:
    root: Path
    root_name: str
    members: dict[str, Member] = field(default_factory=dict)
    is_workspace: bool = True
    # the root is no member but declares a dev group (pytest for root-level tests, say):
    # every dev image gets it, as `uv sync` at the root would install it
    root_dev_group: bool = False

    def first_party_closure(self, name: str) -> list[Member]:
        """The member and every workspace member it needs, dependencies first."""
        names = dependencies_first(
            [name], lambda current: [r for r in self.members[current].requires if r in self.members]
        )
        return [self.members[n] for n in names]


def read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DockyardError(f"{path}: not found") from None
    except UnicodeDecodeError as exc:
        raise DockyardError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise DockyardError(f"{path}: not valid TOML ({exc}); fix the syntax and retry") from None
    except OSError as exc:
        raise DockyardError(f"{path}: cannot be read ({exc.strerror})") from None


def table(path: Path, data: dict, dotted: str) -> dict:
    """The table at ``dotted`` (e.g. ``tool.uv.workspace``), {} when absent; never another type."""
    current: dict = data
    for key in dotted.split("."):
        value = current.get(key, {})
        if not isinstance(value, dict):
            raise DockyardError(f"{path}: [{dotted}] must be a table")
        current = value
    return current


def _strings(path: Path, value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DockyardError(f"{path}: {where} must be a list of strings")
    return value


def _all_strings(value: object) -> list[str]:
    """Every string in a TOML value, table keys included; not dev-mode-dirs, which only
    editable installs read (dev containers mount the whole repository anyway)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            s
            for k, v in value.items()
            if k != "dev-mode-dirs"
            for s in (*_all_strings(k), *_all_strings(v))
        ]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    return []


def outside_paths(root: Path, directory: Path, tool: dict) -> tuple[str, ...]:
    """Folders (or files) outside ``directory`` that its [tool.*] build settings name
    with ``../`` (hatch force-include, dev-mode-dirs, a bricks hook's map), relative to
    ``root``; one that leaves the repository is an error saying so."""
    found: list[str] = []
    for text in _all_strings(tool):
        if not text.replace("\\", "/").startswith("../"):
            continue
        target = (directory / text).resolve()
        if not target.exists():
            continue
        if not target.is_relative_to(root):
            raise DockyardError(
                f"{directory / 'pyproject.toml'}: the build reads {text!r}, outside the "
                f"repository {root}; dockyard builds only from the repository: move it inside"
            )
        found.append(target.relative_to(root).as_posix())
    # a folder already covered by another one it is in needs no mount of its own
    found = sorted(set(found))
    return tuple(p for p in found if not any(p.startswith(f"{q}/") for q in found))


def _member(root: Path, directory: Path) -> Member:
    pyproject = directory / "pyproject.toml"
    data = read_toml(pyproject)
    project = data.get("project")
    rel = directory.relative_to(root).as_posix() if directory != root else "."
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise DockyardError(f"{pyproject}: no [project] table with a name (PEP 621); add one")
    src = directory / "src"
    roots = [src] if src.is_dir() else [directory]
    import_roots = tuple((r.relative_to(root).as_posix() if r != root else ".") for r in roots)
    deps = _strings(pyproject, project.get("dependencies", []), "project.dependencies")
    build_system = data.get("build-system")
    return Member(
        name=normalize(project["name"]),
        version=str(project.get("version", "0.0.0")),
        path=rel,
        import_roots=import_roots,
        requires=tuple(requirement_name(d) for d in deps if isinstance(d, str)),
        has_tests=(directory / "tests").is_dir(),
        build_backend=str(
            build_system.get("build-backend", "") if isinstance(build_system, dict) else ""
        ),
        build_requires=_build_requires(build_system),
        outside=outside_paths(root, directory, table(pyproject, data, "tool")),
    )


def _build_requires(build_system: object) -> tuple[str, ...]:
    """[build-system] requires, the strings as written (anything else: none)."""
    requires = build_system.get("requires") if isinstance(build_system, dict) else None
    return tuple(r for r in requires if isinstance(r, str)) if isinstance(requires, list) else ()


def load_workspace(root: Path) -> Workspace:
    """Members of the uv workspace at ``root``, or the root project alone."""
    root = root.resolve()
    pyproject = root / "pyproject.toml"
    data = read_toml(pyproject)
    project = table(pyproject, data, "project")
    root_name = normalize(str(project.get("name", root.name)))
    if "workspace" not in table(pyproject, data, "tool.uv"):
        member = _member(root, root)
        return Workspace(root, root_name, {member.name: member}, is_workspace=False)

    ws = table(pyproject, data, "tool.uv.workspace")
    where = "tool.uv.workspace"
    excluded = {
        p.resolve()
        for pattern in _strings(pyproject, ws.get("exclude", []), f"{where}.exclude")
        for p in _glob(root, pattern, pyproject)
    }
    members: dict[str, Member] = {}
    for pattern in _strings(pyproject, ws.get("members", []), f"{where}.members"):
        for directory in sorted(_glob(root, pattern, pyproject)):
            if directory.resolve() in excluded or not directory.is_dir():
                continue
            if not (directory / "pyproject.toml").is_file():
                raise DockyardError(
                    f"{directory / 'pyproject.toml'}: not found, but {pyproject} lists "
                    f"'{pattern}' as workspace members; add the file, or the folder to "
                    "[tool.uv.workspace].exclude"
                )
            member = _member(root, directory)
            members[member.name] = member
    is_package = table(pyproject, data, "tool.uv").get("package", True)
    if "name" in project and is_package and root_name not in members:
        member = _member(root, root)
        members[member.name] = member
    root_dev = "dev" in table(pyproject, data, "dependency-groups") and not any(
        m.path == "." for m in members.values()
    )
    return Workspace(root, root_name, members, is_workspace=True, root_dev_group=root_dev)


def _glob(root: Path, pattern: str, pyproject: Path) -> list[Path]:
    try:
        return list(root.glob(pattern))
    except (ValueError, NotImplementedError) as exc:
        raise DockyardError(f"{pyproject}: '{pattern}' is not a usable glob ({exc})") from None
