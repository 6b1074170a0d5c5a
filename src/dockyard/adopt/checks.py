"""What detection checks before anything is written: that each app's image would hold
the module its command runs, where root-level tests run, and a base whose Python fits."""

from __future__ import annotations

from collections.abc import Callable

from packaging.specifiers import SpecifierSet

from dockyard import basepython
from dockyard.adopt import legacy, requirements
from dockyard.adopt.detected import AppGuess, Detection
from dockyard.errors import DockyardError
from dockyard.manifest import DEFAULT_BASE_IMAGE
from dockyard.modules import command_module, imported_members, missing_module
from dockyard.workspace import load_workspace, normalize

# (requires-python of the project, the base image it would get) -> (a better base or None,
# a line for the report or None); it may ask the engine, so `dockyard init` passes it in
BasePicker = Callable[[SpecifierSet, str], tuple[str | None, str | None]]


def base_for_python(detection: Detection, pick: BasePicker) -> None:
    """A base image whose Python satisfies every member's requires-python."""
    workspace = load_workspace(detection.root)
    paths = [m.path for m in workspace.members.values()]
    spec, _ = basepython.requires_python(basepython.project_pyprojects(detection.root, paths))
    image, note = pick(spec, detection.base_image or DEFAULT_BASE_IMAGE)
    if image:
        detection.base_image = image
    if note:
        needs_you = image is None or "bootstrap" in note or "DOCKYARD_BASE_IMAGE" in note
        (detection.unmapped if needs_you else detection.found).append(note)


def _refuse(detection: Detection, app: str, why: str) -> DockyardError:
    return DockyardError(
        f"{detection.root}: {app}: {why}; an image built so could not start. Fix the "
        "command (or the packages), then run `dockyard init` again; nothing was written"
    )


def project_commands(detection: Detection) -> None:
    """Refuse an app whose command runs a module its image would not hold."""
    workspace = load_workspace(detection.root)
    members = list(workspace.members.values())
    for app in detection.apps:
        name = normalize(app.member)
        if not app.command or name not in workspace.members:
            continue
        in_image = workspace.first_party_closure(name)
        why = missing_module(detection.root, app.name, app.command, members, in_image)
        if why:
            raise _refuse(detection, f"app {app.name}", why)


def requirements_commands(layout: requirements.RequirementsLayout) -> None:
    """The same for package folders: an app's (or a Dockerfile stage's) `python -m x`
    whose x is a folder that is no package."""
    detection = layout.detection
    runs = [(f"app {app.name}", app.command or []) for app in detection.apps]
    dockerfile = detection.root / "Dockerfile"
    if dockerfile.is_file():
        stages = legacy.parse_dockerfile(dockerfile.read_text(encoding="utf-8"))
        runs += [(f"Dockerfile stage {s.name or s.base}", s.cmd) for s in stages if s.cmd]
    for name, argv in runs:
        module = command_module(argv)
        top = module.split(".")[0] if module else ""
        if not top or not (detection.root / top).is_dir() or top in layout.members:
            continue
        raise _refuse(
            detection,
            name,
            f"its command runs {module}, but {top}/ is not a package (no __init__.py or "
            "__main__.py), so no image would hold it",
        )


def root_tests(detection: Detection) -> None:
    """Say where `dockyard test` runs a workspace's root-level tests/."""
    workspace = load_workspace(detection.root)
    members = list(workspace.members.values())
    tests = detection.root / "tests"
    if not workspace.is_workspace or not tests.is_dir() or not detection.apps:
        return
    if any(m.path == "." for m in members):
        return
    imported = imported_members(detection.root, tests, members)

    def held(app: AppGuess) -> int:
        closure = workspace.first_party_closure(normalize(app.member))
        return sum(m in closure for m in imported)

    host = max(detection.apps, key=held)
    names = ", ".join(m.name for m in imported) or "no member"
    detection.found.append(
        f"tests/ at the root (imports {names}): `dockyard test` runs it in the dev container "
        f"of app {host.name}"
        + ("; the root's dev group goes into every dev image" if workspace.root_dev_group else "")
    )
