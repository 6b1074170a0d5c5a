"""The requirements-file layout (the seed article's): top-level package folders,
requirements_<app>.txt, a multi-stage Dockerfile, docker-compose*.yml and run_*.sh
scripts -> members and apps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dockyard.adopt import legacy, pyscan
from dockyard.adopt.detected import Detection
from dockyard.workspace import normalize, read_toml

BASE_SUFFIXES = ("", "base", "common", "core")
DEV_SUFFIXES = ("dev", "test", "tests")
COMPOSE_GLOBS = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")


@dataclass
class RequirementsMember:
    """A package folder that becomes a workspace member."""

    package: str  # folder and import name, e.g. lol_data_parser
    requirements: str | None = None  # the requirements file it takes its dependencies from
    lines: list[legacy.RequirementLine] = field(default_factory=list)
    first_party: list[str] = field(default_factory=list)  # packages it needs
    dev: list[str] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)  # -r/-e/URL lines, resolved later

    @property
    def dist(self) -> str:
        return normalize(self.package)


@dataclass
class Found:
    """A command found for a package, where it came from, and variables it sets."""

    command: list[str]
    why: str
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class RequirementsLayout:
    detection: Detection
    members: dict[str, RequirementsMember]
    base: str | None
    python: str | None  # X.Y when the Dockerfile named one


def package_folders(root: Path) -> list[str]:
    return [p.name for p in pyscan.import_packages(root) if p.parent == root]


def is_requirements_layout(root: Path) -> bool:
    """Requirements files + package folders, and no project in pyproject.toml (a root
    pyproject.toml holding only tool settings, e.g. [tool.ruff], is kept and extended)."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        data = read_toml(pyproject)
        if "project" in data or "poetry" in data.get("tool", {}):
            return False
    return any(root.glob("requirements*.txt")) and bool(package_folders(root))


def base_package(packages: list[str]) -> str | None:
    """The package every other one extends by name (lol_data for lol_data_parser ...)."""
    for name in sorted(packages, key=len):
        if all(p == name or p.startswith(f"{name}_") for p in packages):
            return name
    return None


def owner(name: str, packages: list[str], base: str | None) -> str | None:
    """The package a requirements suffix, stage, service or script name refers to."""
    name = name.lower().strip("_-")
    for suffix in ("_prod", "_dev", "_env", "-prod", "-dev", "-env"):
        name = name.removesuffix(suffix)
    if name in BASE_SUFFIXES and base:
        return base
    if name in packages:
        return name
    matches = [p for p in packages if p.endswith(f"_{name}") or name.startswith(f"{p}_")]
    return max(matches, key=len) if matches else None


def read_requirements(root: Path, layout: RequirementsLayout, packages: list[str]) -> None:
    d = layout.detection
    for path in sorted(root.glob("requirements*.txt")):
        suffix = path.stem.removeprefix("requirements")
        if suffix.strip("_-") in DEV_SUFFIXES:
            lines, odd = legacy.parse_requirements(path.read_text(encoding="utf-8"))
            add_dev(layout, [line.text for line in lines if line.text], path.name)
            d.unmapped += [f"{path.name}: {line!r} is not a plain requirement" for line in odd]
            d.retired.append(path.name)
            continue
        pkg = owner(suffix, packages, layout.base)
        if pkg is None or layout.members[pkg].requirements is not None:
            d.unmapped.append(f"{path.name}: no package folder matches it; add its lines by hand")
            continue
        lines, odd = legacy.parse_requirements(path.read_text(encoding="utf-8"))
        member = layout.members[pkg]
        member.requirements, member.lines, member.odd = path.name, lines, odd
        d.found.append(f"{path.name} -> dependencies of {member.dist}")
        d.retired.append(path.name)


def _linked(
    layout: RequirementsLayout, member: RequirementsMember, packages: list[str]
) -> set[str]:
    """Packages named by ``-r requirements_x.txt`` or ``-e ./pkg`` lines; the rest unmapped."""
    files = {m.requirements: p for p, m in layout.members.items() if m.requirements}
    linked: set[str] = set()
    for line in member.odd:
        words = line.split()
        target = Path(words[-1]).name if words else ""
        if words[0] in ("-r", "--requirement") and target in files:
            linked.add(files[target])
        elif words[0] in ("-e", "--editable", words[-1]) and target in packages:
            linked.add(target)
        else:
            layout.detection.unmapped.append(
                f"{member.requirements}: {line!r} is not a plain requirement; add it by hand"
            )
    return linked


def first_party(root: Path, layout: RequirementsLayout, packages: list[str]) -> None:
    for package, member in layout.members.items():
        imports = pyscan.scan_package(root / package)[1]
        needed = {p for p in packages if p in imports and p != package}
        needed |= _linked(layout, member, packages) - {package}
        if layout.base and package != layout.base:
            needed.add(layout.base)  # every image of the seed builds on the base env
        member.first_party = sorted(needed)


def read_dockerfile(root: Path, layout: RequirementsLayout, packages: list[str]):
    """Commands per package (from CMD), packages with their own stage, dev packages."""
    d = layout.detection
    path = root / "Dockerfile"
    commands: dict[str, Found] = {}
    staged: set[str] = set()
    if not path.is_file():
        return commands, staged
    stages = legacy.parse_dockerfile(path.read_text(encoding="utf-8"))
    d.retired.append("Dockerfile")
    if stages:
        _base_image(layout, stages[0].base)
    dev: list[str] = []
    for stage in stages:
        pkg = owner(stage.name or "", packages, layout.base)
        if pkg is None:
            continue
        staged.add(pkg)
        if (stage.name or "").lower().endswith("dev"):
            for run in stage.runs:
                dev += [p for p in legacy.pip_installs(run)[0] if p not in dev]
        if stage.cmd:
            commands[pkg] = Found(stage.cmd, f"CMD of Dockerfile stage {stage.name}")
        _copies(layout, stage, packages)
        for key, value in stage.env.items():
            if key != "PYTHONPATH":
                d.unmapped.append(f"Dockerfile stage {stage.name}: ENV {key}={value}")
    if dev:
        add_dev(layout, dev, "Dockerfile dev stages")
    return commands, staged


def add_dev(layout: RequirementsLayout, packages: list[str], source: str) -> None:
    """Dev packages go to the base package's dev group, so every app's dev image has them."""
    target = layout.members[layout.base] if layout.base else None
    for member in [target] if target else layout.members.values():
        member.dev += [p for p in packages if p not in member.dev]
    where = f"{target.dist} (every app's dev image has it)" if target else "every member"
    layout.detection.found.append(f"{source}: {' '.join(packages)} -> dev group of {where}")


def _base_image(layout: RequirementsLayout, base: str) -> None:
    d = layout.detection
    repo, _, tag = base.partition(":")
    version = tag.split("-")[0] if repo.endswith("python") else ""
    if version.count(".") == 1 and version.replace(".", "").isdigit():
        layout.python = version
        d.base_image = f"python:{version}-slim-bookworm"
        d.found.append(f"Dockerfile FROM {base} -> base-image {d.base_image}, pinned by lock")
    else:
        d.found.append(f"Dockerfile FROM {base}: not a pin; dockyard lock pins the base image")


def _copies(layout: RequirementsLayout, stage: legacy.Stage, packages: list[str]) -> None:
    for sources, target in stage.copies:
        for source in sources:
            name = source.strip("/").split("/")[0]
            if name in packages or name.startswith(("requirements", "run_")):
                continue
            layout.detection.unmapped.append(
                f"Dockerfile stage {stage.name}: COPY {source} {target}: "
                "dockyard images hold only the members; mount it (volumes) or package it"
            )
