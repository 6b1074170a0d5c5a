"""`dockyard init`: write [tool.dockyard] for an existing project, or the example monorepo."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import tomlkit

from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.manifest import load_project
from dockyard.render.dockerignore import render_dockerignore
from dockyard.workspace import load_workspace, read_toml

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
    if target.exists() and any(target.iterdir()):
        raise DockyardError(f"{target} exists and is not empty; pick a new folder")
    shutil.copytree(example_source(), target, ignore=IGNORED, dirs_exist_ok=True)
    click.echo(f"wrote the example monorepo to {target}")
    click.echo(f"next: cd {target} && dockyard lock && dockyard build")
    return 0


def _script_command(data: dict) -> list[str] | None:
    scripts = data.get("project", {}).get("scripts", {})
    return [next(iter(scripts))] if scripts else None


def detect_apps(root: Path) -> dict[str, dict]:
    """Members with a console script become apps; the rest are libraries."""
    workspace = load_workspace(root)
    apps: dict[str, dict] = {}
    for member in workspace.members.values():
        data = read_toml(root / member.path / "pyproject.toml")
        command = _script_command(data)
        if command is None:
            continue
        name = member.name.removeprefix(f"{workspace.root_name}-") or member.name
        name = name.replace(".", "-").replace("_", "-")
        apps[name] = {"member": member.name, "command": command}
    return apps


def init(root: Path) -> int:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise DockyardError(
            f"no pyproject.toml in {root}: dockyard needs a uv workspace or a PEP 621 project "
            "(`uv init` makes one); or try `dockyard init --example DIR`"
        )
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    if "dockyard" in document.get("tool", {}):
        raise DockyardError(f"{pyproject} already has [tool.dockyard]; edit it there")
    apps = detect_apps(root)
    if not apps:
        raise DockyardError(
            f"no app found in {root}: an app is a member with a [project.scripts] entry; "
            "add one, or write [tool.dockyard.apps.<name>] by hand (see README)"
        )
    table = tomlkit.table()
    table.add(tomlkit.comment("dockyard: images, dev containers and deploys (README)"))
    table["base-image"] = "python:3.12-slim-bookworm"
    apps_table = tomlkit.table(is_super_table=True)
    for name, app in apps.items():
        entry = tomlkit.table()
        entry["member"] = app["member"]
        entry["command"] = app["command"]
        apps_table[name] = entry
    table["apps"] = apps_table
    document.setdefault("tool", tomlkit.table(is_super_table=True))["dockyard"] = table
    write_atomic(pyproject, tomlkit.dumps(document))
    write_atomic(root / ".dockerignore", render_dockerignore(load_project(root)))
    for name, app in apps.items():
        click.echo(f"app {name}: member {app['member']}, command {' '.join(app['command'])}")
    click.echo(f"wrote [tool.dockyard] to {pyproject} and {root / '.dockerignore'}")
    click.echo("next: dockyard lock && dockyard build --all")
    return 0
