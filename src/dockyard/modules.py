"""Import packages, seen from the files (pure): which ones a member ships, which module an
app's command runs, whether the app's image holds it, and where root-level tests run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.adopt import pyscan
from dockyard.errors import DockyardError
from dockyard.workspace import Member, read_toml

if TYPE_CHECKING:
    from dockyard.manifest import App, Project

SERVERS = ("uvicorn", "gunicorn", "hypercorn")


def _top(path: str) -> str:
    return path.strip("/").split("/")[0]


def member_packages(root: Path, member: Member) -> set[str]:
    """Top-level import names a member's wheel holds: its package folders, and what its
    build config maps in (hatch sources/packages/force-include, brick maps, uv_build)."""
    directory = root / member.path
    names = {p.name for p in pyscan.import_packages(directory)}
    tool = read_toml(directory / "pyproject.toml").get("tool", {})
    wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    names |= {_top(str(v)) for v in (wheel.get("sources") or {}).values() if isinstance(v, str)}
    names |= {Path(str(p)).name for p in wheel.get("packages") or []}
    for mapping in (wheel.get("force-include"), tool.get("polylith", {}).get("bricks")):
        names |= {_top(str(v)) for v in (mapping or {}).values()}
    module = tool.get("uv", {}).get("build-backend", {}).get("module-name")
    if isinstance(module, str):
        names.add(module.split(".")[0])
    return {n for n in names if n and n.isidentifier()}


def command_module(argv: list[str], scripts: Mapping[str, str] | None = None) -> str | None:
    """The module a command imports first: ``python -m M``, ``uvicorn M:app``, a console
    script's ``M:func`` (from ``scripts``); None when the command names no module."""
    if not argv:
        return None
    if argv[0] in ("python", "python3") and "-m" in argv[1:3]:
        index = argv.index("-m")
        return argv[index + 1] if index + 1 < len(argv) else None
    if argv[0] in SERVERS or argv[0] == "flask":
        for i, word in enumerate(argv[1:], 1):
            if word in ("--app", "-A") and i + 1 < len(argv):
                return argv[i + 1].split(":")[0]
            module = word.split(":")[0]
            if ":" in word and all(part.isidentifier() for part in module.split(".")):
                return module
        return None
    entry = (scripts or {}).get(argv[0])
    return entry.split(":")[0].strip() if entry else None


def app_module(root: Path, app: App) -> str | None:
    """The module the app's command imports first (None: none dockyard can tell)."""
    scripts: dict[str, str] = {}
    for member in app.first_party:
        scripts.update(scripts_of(root, member))
    return command_module(app.config.command or [], scripts)


def build_checked(root: Path, app: App) -> tuple[Member, str] | None:
    """(member, module) when the build itself checks the module the app's command runs:
    its top-level package is in exactly one of the app's members, whose code stage then
    looks for the module among the files it installs. None: no module, or one dockyard
    cannot place (another package, a namespace split over members): checked after the build."""
    module = app_module(root, app)
    if module is None:
        return None
    top = module.split(".")[0]
    owners = [m for m in app.first_party if top in member_packages(root, m)]
    return (owners[0], module) if len(owners) == 1 else None


def scripts_of(root: Path, member: Member) -> dict[str, str]:
    data = read_toml(root / member.path / "pyproject.toml")
    return {str(k): str(v) for k, v in data.get("project", {}).get("scripts", {}).items()}


def missing_module(
    root: Path, app: str, argv: list[str], members: list[Member], in_image: list[Member]
) -> str | None:
    """Why an app's image cannot run its command (its module is in no member the image
    holds), or None when it can or the module is not first-party (e.g. http.server)."""
    scripts: dict[str, str] = {}
    for member in members:
        for name, entry in scripts_of(root, member).items():
            scripts.setdefault(name, entry)
            if name == argv[0] and member not in in_image:
                return (
                    f"its command runs the console script {name!r} of member {member.name}, "
                    f"which is not in the {app} image"
                )
    module = command_module(argv, scripts)
    if module is None:
        return None
    top = module.split(".")[0]
    owners = [m for m in members if top in member_packages(root, m)]
    holds = ", ".join(m.name for m in in_image)
    if owners and not any(m in in_image for m in owners):
        return (
            f"its command runs {module}, which is in member {owners[0].name}, not in the {app} "
            f"image (it holds {holds}); make {in_image[-1].name} depend on {owners[0].name} "
            "or fix the app's member"
        )
    if not owners and any(
        (root / p / top).is_dir() for p in {".", *(m.path for m in members)} if p
    ):
        return (
            f"its command runs {module}, but {top}/ is a folder of the repository that no "
            f"member ships as a package, so the {app} image (members {holds}) lacks it"
        )
    return None


def check_commands(project) -> None:  # a manifest.Project; typed loosely to avoid a cycle
    """Refuse an app whose command's module its image would not hold (one line)."""
    members = list(project.workspace.members.values())
    for app in project.apps.values():
        for field, argv in (
            ("command", app.config.command),
            ("dev-command", app.config.dev_command),
        ):
            if not argv:
                continue
            why = missing_module(project.root, app.name, argv, members, list(app.first_party))
            if why:
                raise DockyardError(
                    f"{project.pyproject}: tool.dockyard.apps.{app.name}.{field}: {why}; "
                    "an image built so could not start"
                )


def imported_members(root: Path, tests: Path, members: list[Member]) -> list[Member]:
    """The members whose packages the test files under ``tests`` import."""
    imports: set[str] = set()
    for path in pyscan.python_files(tests):
        imports |= pyscan.imported_roots(path.read_text(encoding="utf-8", errors="replace"))
    return [m for m in members if member_packages(root, m) & imports]


def root_tests(project: Project) -> tuple[App, Member] | None:
    """A workspace's root-level tests/ (the root being no member): run in the dev container
    of the app whose image holds the most members they import (the first on a tie)."""
    workspace = project.workspace
    tests = project.root / "tests"
    members = list(workspace.members.values())
    if not workspace.is_workspace or not tests.is_dir() or any(m.path == "." for m in members):
        return None
    imported = imported_members(project.root, tests, members)
    apps = list(project.apps.values())
    host = max(apps, key=lambda a: sum(m in a.first_party for m in imported))
    root = Member(workspace.root_name, "0", ".", (".",), tuple(m.name for m in imported), True)
    return host, root
