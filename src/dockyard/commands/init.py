"""`dockyard init`: adopt an existing project (detect, report, and with --write convert),
or write the example monorepo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from packaging.specifiers import SpecifierSet

from dockyard import basepython
from dockyard.adopt.detect import detect
from dockyard.adopt.detected import AppGuess, Detection
from dockyard.console import show
from dockyard.engine import docker
from dockyard.errors import DockyardError
from dockyard.fsutil import cannot_write, write_atomic, write_files
from dockyard.manifest import load_project
from dockyard.render.dockerignore import render_dockerignore

BACKUP = ".dockyard-backup"
IGNORED = shutil.ignore_patterns(
    ".venv", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache", "*.db", ".dockyard"
)


def example_source() -> Path:
    """The bundled example: packaged data in a wheel, the repository folder in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "_example" / "lol_data"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "examples" / "lol_data"
    if checkout.is_dir():
        return checkout
    raise DockyardError("the bundled example is missing from this installation; reinstall dockyard")


def write_example(target: Path) -> int:
    if target.exists() and not target.is_dir():
        raise DockyardError(f"{target} exists and is a file; pick a new folder")
    if target.exists() and any(target.iterdir()):
        raise DockyardError(f"{target} exists and is not empty; pick a new folder")
    source = example_source()
    existed = target.exists()
    try:
        shutil.copytree(source, target, ignore=IGNORED, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        # take back the half-written copy (the folder too, when this made it)
        shutil.rmtree(target, ignore_errors=True)
        if existed:
            target.mkdir(exist_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DockyardError(
            f"cannot write the example to {target}: {reason}; make room or pick a "
            "writable folder; nothing was left behind"
        ) from exc
    show(f"wrote the example monorepo to {target}")
    show(f"next: cd {target} && dockyard lock && dockyard build")
    return 0


def _app_lines(app: AppGuess) -> list[str]:
    command = " ".join(app.command) if app.command else "(none: an environment image)"
    lines = [f"  {app.name}: member {app.member}, command {command}", f"      from {app.why}"]
    extras = [
        ("dev-command", " ".join(app.dev_command or [])),
        ("ports", ", ".join(app.ports)),
        ("healthcheck", app.health or ""),
        ("environment", ", ".join(f"{k}={v}" for k, v in app.environment.items())),
        ("volumes", ", ".join(app.volumes)),
        ("writable", ", ".join(app.writable)),
    ]
    lines += [f"      {label}: {value}" for label, value in extras if value]
    return lines


def report(detection: Detection) -> None:
    """What was found and what could not be mapped, in the order a reader checks them."""
    show(f"{detection.root}: {detection.layout}, image namespace {detection.name!r}")
    show("apps:" if detection.apps else "apps: none found")
    for app in detection.apps:
        for line in _app_lines(app):
            show(line)
    if detection.libraries:
        show("libraries (in the apps' images, no image of their own):")
        for library in detection.libraries:
            why = detection.library_why.get(library)
            show(f"  {library}" + (f": {why}" if why else ""))
    for target in detection.deploy:
        show(f"deploy target {target.name} (from {target.source}): {', '.join(target.apps)}")
    if detection.found:
        show("found:")
        for line in detection.found:
            show(f"  - {line}")
    if detection.unmapped:
        show("could not map (check these by hand):")
        for line in detection.unmapped:
            show(f"  - {line}")


def _plan_lines(detection: Detection) -> list[str]:
    lines = [f"  write {rel}" for rel in detection.files]
    for rel in detection.backups:
        action = "move" if rel in detection.retired else "copy"
        lines.append(f"  {action} {rel} to {rel}{BACKUP}")
    return [*lines, f"  write .dockerignore (an old one is kept as .dockerignore{BACKUP})"]


def apply(detection: Detection) -> None:
    """Back up, then write every file atomically; refuse before touching anything."""
    root = detection.root
    clashes = [f"{rel}{BACKUP}" for rel in detection.backups if (root / f"{rel}{BACKUP}").exists()]
    if clashes:
        raise DockyardError(
            f"{root}: {', '.join(clashes)} already exist(s) from an earlier run; move them away "
            "and run `dockyard init --write` again; nothing was written"
        )
    ignore = root / ".dockerignore"
    backups = [*detection.backups, *([".dockerignore"] if ignore.is_file() else [])]
    for rel in backups:
        try:
            shutil.copy2(root / rel, root / f"{rel}{BACKUP}")
        except OSError as exc:
            raise cannot_write(root / f"{rel}{BACKUP}", exc, nothing_written=False) from exc
    write_files({root / rel: text for rel, text in detection.files.items()})
    for rel in detection.retired:
        (root / rel).unlink()
    write_atomic(ignore, render_dockerignore(load_project(root)))


def pick_base(spec: SpecifierSet, written: str) -> tuple[str | None, str | None]:
    """A base whose Python satisfies ``spec`` when the one in use (DOCKYARD_BASE_IMAGE, else
    ``written``) does not: the engine's images and the registry are asked only then."""
    env = os.environ.get("DOCKYARD_BASE_IMAGE")
    current = env or written
    version = basepython.tag_python(current)
    if not str(spec) or version is None or basepython.accepts(spec, version):
        return None, None

    def served(ref: str) -> bool:
        return docker.inspect_image(ref) is not None or docker.remote_digest(ref) is not None

    image, note = basepython.pick_base(spec, current, docker.local_tags(), served)
    if env and image and note:
        note += f"; DOCKYARD_BASE_IMAGE={env} overrides it: unset it (or set it to {image})"
    return image, note


def init(root: Path, *, write: bool = False) -> int:
    detection = detect(root, pick_base)
    report(detection)
    if not detection.apps:
        raise DockyardError(
            f"no app found in {detection.root}: an app is a member with a console script, "
            "a __main__.py, or a FastAPI/Starlette/Flask app object; add one, or write "
            "[tool.dockyard.apps.<name>] by hand (README: The manifest); nothing was written"
        )
    show("with --write, dockyard init would:" if not write else "writing:")
    for line in _plan_lines(detection):
        show(line)
    if not write:
        show("nothing written; run `dockyard init --write` to apply")
        return 0
    apply(detection)
    show("done; next: dockyard lock && dockyard build --all && dockyard test")
    return 0
