"""The requirements layout -> a uv workspace: a pyproject.toml per package folder, a root one."""

from __future__ import annotations

import tomlkit
from tomlkit.items import Array, Table

from dockyard.adopt.requirements import RequirementsLayout, RequirementsMember
from dockyard.workspace import normalize

DEFAULT_PYTHON = "3.11"


def _dependencies(member: RequirementsMember) -> Array:
    deps = tomlkit.array()
    for package in member.first_party:
        deps.add_line(normalize(package), comment="this repository (a workspace member)")
    for line in member.lines:
        if line.text is None:
            deps.add_line(comment=line.comment or "")
        elif line.comment:
            deps.add_line(line.text, comment=line.comment)
        else:
            deps.add_line(line.text)
    if len(deps) or member.lines:
        deps.add_line(indent="")
    return deps


def _hatch(package: str) -> Table:
    """Build the folder itself as the package, and make editable installs put the
    repository root on sys.path (what the old PYTHONPATH=/app did)."""
    wheel = tomlkit.table()
    wheel.add(tomlkit.comment(f"the package is this folder itself: ship it as `{package}`"))
    wheel["include"] = ["/**"]
    wheel["exclude"] = ["/tests", "/pyproject.toml"]
    wheel["dev-mode-dirs"] = [".."]
    sources = tomlkit.table()
    sources[""] = package
    wheel["sources"] = sources
    return wheel


def member_pyproject(member: RequirementsMember, python: str) -> str:
    doc = tomlkit.document()
    source = member.requirements or "no requirements file"
    doc.add(tomlkit.comment(f"Written by `dockyard init --write` from {source}."))
    project = tomlkit.table()
    project["name"] = member.dist
    project["version"] = "0.1.0"
    project["requires-python"] = f">={python}"
    project["dependencies"] = _dependencies(member)
    doc["project"] = project
    if member.dev:
        groups = tomlkit.table()
        groups["dev"] = member.dev
        doc["dependency-groups"] = groups
    build = tomlkit.table()
    build["requires"] = ["hatchling"]
    build["build-backend"] = "hatchling.build"
    doc["build-system"] = build
    tool = tomlkit.table(is_super_table=True)
    if member.first_party:
        sources = tomlkit.table()
        for package in member.first_party:
            entry = tomlkit.inline_table()
            entry["workspace"] = True
            sources[normalize(package)] = entry
        tool["uv"] = tomlkit.table(is_super_table=True)
        tool["uv"]["sources"] = sources
    hatch = tomlkit.table(is_super_table=True)
    hatch["build"] = tomlkit.table(is_super_table=True)
    hatch["build"]["targets"] = tomlkit.table(is_super_table=True)
    hatch["build"]["targets"]["wheel"] = _hatch(member.package)
    tool["hatch"] = hatch
    doc["tool"] = tool
    return tomlkit.dumps(doc)


def root_pyproject(
    layout: RequirementsLayout, dockyard: Table, python: str, existing: str | None
) -> str:
    """The workspace root; a pyproject.toml that held only tool settings keeps them."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("By `dockyard init --write`: the repository as a uv workspace."))
    doc.add(tomlkit.comment("Each package folder has a pyproject.toml; uv.lock pins them all."))
    project = tomlkit.table()
    project["name"] = f"{layout.detection.name}-workspace"
    project["version"] = "0.1.0"
    project["requires-python"] = f">={python}"
    project["dependencies"] = []
    doc["project"] = project
    for key, item in tomlkit.parse(existing or "").body:  # the user's own tables, kept
        if key is None:
            doc.add(item)
        else:
            doc.add(key, item)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table())
    uv["package"] = False
    workspace = tomlkit.table()
    workspace["members"] = list(layout.members)
    uv["workspace"] = workspace
    tool["dockyard"] = dockyard
    return tomlkit.dumps(doc)


def requirements_files(layout: RequirementsLayout, dockyard: Table) -> dict[str, str]:
    """Every file the conversion writes, by path relative to the root."""
    python = layout.python or DEFAULT_PYTHON
    files = {
        f"{package}/pyproject.toml": member_pyproject(member, python)
        for package, member in layout.members.items()
    }
    path = layout.detection.root / "pyproject.toml"
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    files["pyproject.toml"] = root_pyproject(layout, dockyard, python, existing)
    if existing is not None:
        layout.detection.backups.append("pyproject.toml")
    return files
