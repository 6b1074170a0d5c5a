"""Which layout a repository has, what it holds, and the files `init --write` would write."""

from __future__ import annotations

from pathlib import Path

import tomlkit

from dockyard.adopt import checks, convert, requirements, runtime
from dockyard.adopt.detected import Detection, project_name
from dockyard.adopt.hints import single_app_hints
from dockyard.adopt.project import detect_project
from dockyard.adopt.render import dockyard_table
from dockyard.errors import DockyardError
from dockyard.names import BAKE_FILE, COMPOSE_FILE, DEV_COMPOSE_FILE, DOCKERFILE, is_generated
from dockyard.workspace import read_toml

SUPPORTED = (
    "dockyard adopts a uv workspace, a single pyproject.toml project (PEP 621), or top-level "
    "package folders with requirements_<app>.txt files"
)
GENERATED = (DOCKERFILE, COMPOSE_FILE, DEV_COMPOSE_FILE, BAKE_FILE)
OTHER_ECOSYSTEMS = {
    "package.json": "a Node.js project",
    "go.mod": "a Go module",
    "Cargo.toml": "a Rust crate",
    "pom.xml": "a Java (Maven) project",
    "build.gradle": "a Java (Gradle) project",
    "Gemfile": "a Ruby project",
    "composer.json": "a PHP project",
}


def _unsupported(root: Path, what: str, how: str) -> DockyardError:
    return DockyardError(f"{root}: {what}. {SUPPORTED}. {how}; nothing was written")


def _check_pyproject(root: Path, pyproject: Path) -> None:
    data = read_toml(pyproject)
    if "dockyard" in data.get("tool", {}):
        raise DockyardError(f"{pyproject} already has [tool.dockyard]; edit it there")
    if "project" in data or requirements.is_requirements_layout(root):
        return
    if "poetry" in data.get("tool", {}):
        raise _unsupported(
            root,
            "a Poetry project ([tool.poetry], no [project] table)",
            "Convert it first with `uvx migrate-to-uv` (keeps your dependencies and groups), "
            "then run `dockyard init` again",
        )
    raise _unsupported(root, f"{pyproject.name} has no [project] table", "Add one (PEP 621)")


def check_supported(root: Path) -> None:
    """Raise a clear error (exit 2) for a repository dockyard cannot adopt."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        _check_pyproject(root, pyproject)
        return
    if requirements.is_requirements_layout(root):
        return
    if (root / "setup.py").is_file() or (root / "setup.cfg").is_file():
        raise _unsupported(
            root,
            "a setup.py/setup.cfg project without pyproject.toml",
            "Add a pyproject.toml with a [project] table (name, version, dependencies from "
            "install_requires) and a [build-system], then run `dockyard init` again",
        )
    if any(root.glob("requirements*.txt")):
        raise _unsupported(
            root,
            "requirements files but no package folder (a folder with __init__.py)",
            "Put your code in a package folder, or start a project with `uv init`",
        )
    for marker, what in OTHER_ECOSYSTEMS.items():
        if (root / marker).is_file():
            raise _unsupported(root, f"{what} ({marker}), not a Python one", "Nothing to adopt")
    python = any(root.glob("*.py"))
    raise _unsupported(
        root,
        "Python files but no pyproject.toml or requirements file"
        if python
        else "no Python project",
        "Start one with `uv init` (a pyproject.toml), or try `dockyard init --example DIR`",
    )


def detect(root: Path, pick_base: checks.BasePicker | None = None) -> Detection:
    """What `dockyard init` found at ``root``, with the files ``--write`` would write."""
    root = root.resolve()
    if not root.is_dir():
        raise DockyardError(f"{root} is not a folder; pass the project root with --project DIR")
    check_supported(root)
    if not requirements.is_requirements_layout(root):
        detection = detect_project(root)
        single_app_hints(detection)
        checks.project_commands(detection)
        checks.root_tests(detection)
        if detection.apps and pick_base is not None:
            checks.base_for_python(detection, pick_base)
        if detection.apps:
            text = detection.files.get("pyproject.toml")
            document = tomlkit.parse(text or (root / "pyproject.toml").read_text(encoding="utf-8"))
            document.setdefault("tool", tomlkit.table(is_super_table=True))
            document["tool"]["dockyard"] = dockyard_table(detection)
            detection.files["pyproject.toml"] = tomlkit.dumps(document)
            if "pyproject.toml" not in detection.backups:
                detection.backups.append("pyproject.toml")
    else:
        layout = detect_requirements(root)
        detection = layout.detection
        checks.requirements_commands(layout)
        if detection.apps:
            detection.files = convert.requirements_files(layout, dockyard_table(detection))
    _hand_written_outputs(detection)
    detection.backups += [rel for rel in detection.retired if rel not in detection.backups]
    return detection


def _hand_written_outputs(detection: Detection) -> None:
    """Files `dockyard generate` will own that the user wrote: moved aside, not overwritten."""
    for rel in GENERATED:
        path = detection.root / rel
        if rel in detection.retired or not path.is_file():
            continue
        if is_generated(path.read_text(encoding="utf-8", errors="replace")):
            continue
        detection.retired.append(rel)
        detection.found.append(f"{rel} (hand-written): `dockyard generate` writes its own")


def detect_requirements(root: Path) -> requirements.RequirementsLayout:
    packages = requirements.package_folders(root)
    base = requirements.base_package(packages)
    detection = Detection("requirements layout", root, project_name(base or root.name))
    layout = requirements.RequirementsLayout(
        detection, {p: requirements.RequirementsMember(p) for p in packages}, base, None
    )
    requirements.read_requirements(root, layout, packages)
    requirements.first_party(root, layout, packages)
    commands, staged = requirements.read_dockerfile(root, layout, packages)
    runtime.run_scripts(root, layout, packages, commands)
    apps = runtime.apps(root, layout, commands, staged)
    runtime.compose(root, layout, packages, apps)
    detection.apps = list(apps.values())
    for package, member in layout.members.items():
        if package in apps:
            continue
        detection.libraries.append(member.dist)
        detection.library_why[member.dist] = (
            "the base package the others build on"
            if package == layout.base
            else "no Dockerfile stage or CMD, run_*.sh, __main__.py or web app object"
        )
    return layout
