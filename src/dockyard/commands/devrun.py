"""`dockyard shell`, `run` and `test`: one-off dev containers with the source mounted."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dockyard.build.devimages import ensure_dev_images
from dockyard.console import say
from dockyard.devuser import compose_env
from dockyard.engine import docker
from dockyard.errors import DockyardError
from dockyard.manifest import App, Project
from dockyard.modules import root_tests
from dockyard.names import DEV_COMPOSE_FILE
from dockyard.plan import WORKSPACE, needed_apps
from dockyard.workspace import Member, normalize


def _run_args(app: App, command: list[str]) -> list[str]:
    args = ["run", "--rm"]
    if not sys.stdin.isatty():
        args.append("-T")
    return [*args, app.name, *command]


def run_in_dev(project: Project, name: str, command: list[str], *, build: bool = False) -> int:
    app = project.app(name)
    docker.require_engine()
    ensure_dev_images(project, needed_apps(project, app), build=build)
    proc = docker.compose(
        project.root,
        DEV_COMPOSE_FILE,
        _run_args(app, command),
        check=False,
        env=compose_env(project.root),
    )
    return proc.returncode


def shell(project: Project, name: str, *, build: bool = False) -> int:
    return run_in_dev(
        project,
        name,
        ["sh", "-c", "command -v bash >/dev/null && exec bash || exec sh"],
        build=build,
    )


def test_targets(project: Project, names: tuple[str, ...]) -> list[tuple[App, Member]]:
    """(dev container app, member to test) pairs.

    No names: every member with a tests/ folder, each in the first app whose image
    contains it (a shared library is tested once), and a workspace root's tests/. A
    name is an app (its own member), a member (tested in the first app that contains
    it), or the workspace root's name (its tests/).
    """

    def host(member: Member) -> App | None:
        return next((a for a in project.apps.values() if member in a.first_party), None)

    if not names:
        pairs = []
        for member in project.workspace.members.values():
            app = host(member)
            if app is None:
                say(f"note: member {member.name} is in no app's image; not tested")
            elif member.has_tests:
                pairs.append((app, member))
        root = root_tests(project)  # tests/ at the workspace root, testing the members
        return [*pairs, root] if root else pairs
    pairs = []
    root = root_tests(project)
    for name in names:
        if name in project.apps:
            app = project.apps[name]
            pairs.append((app, app.member))
            continue
        if root and name == root[1].name:  # the workspace root's tests/, by its name
            pairs.append(root)
            continue
        found = project.workspace.members.get(normalize(name))
        owner = host(found) if found else None
        if found is None or owner is None:
            project.app(name)  # raises: names the apps
            raise AssertionError(name)  # not reached: project.app raised
        pairs.append((owner, found))
    return pairs


def test(project: Project, names: tuple[str, ...], pytest_args: tuple[str, ...]) -> int:
    """Each member's tests in a dev container; services it needs run in a throwaway project."""
    pairs = test_targets(project, names)
    docker.require_engine()
    if not pairs:
        raise DockyardError(
            f"nothing to test in {project.root}: no selected member has a tests/ folder"
        )
    needed = {a.name: a for app, _ in pairs for a in needed_apps(project, app)}
    ensure_dev_images(project, list(needed.values()), rebuild_stale=True)
    with tempfile.TemporaryDirectory(prefix="dockyard-test-") as tmp:
        # Test runs publish no host ports, so they never clash with a stack that
        # is already running (the prod stack on :8000, a `dockyard dev` API...).
        no_ports = Path(tmp) / "no-ports.yaml"
        no_ports.write_text(
            "services:\n" + "".join(f"  {name}:\n    ports: !reset []\n" for name in project.apps)
        )
        failed = _run_tests(project, pairs, pytest_args, [DEV_COMPOSE_FILE, str(no_ports)])
    tested = [m.name for _, m in pairs if m.has_tests]
    if failed:
        say(
            f"tests failed for: {', '.join(failed)} "
            f"(passed: {', '.join(t for t in tested if t not in failed) or 'none'})",
        )
        return 1
    say(f"tests passed for: {', '.join(tested)}")
    return 0


def _run_tests(
    project: Project,
    pairs: list[tuple[App, Member]],
    pytest_args: tuple[str, ...],
    files: list[str],
) -> list[str]:
    """Run each pair's tests in a throwaway Compose project; the members that failed."""
    failed = []
    for app, member in pairs:
        if not member.has_tests:
            say(
                f"== {member.name}: no tests/ folder in {member.path}; nothing to run ==",
            )
            continue
        workdir = WORKSPACE if member.path == "." else f"{WORKSPACE}/{member.path}"
        say(
            f"== {member.name}: {' '.join(app.config.test_command)} in the {app.name} "
            f"dev container ({member.path}) ==",
        )
        test_project = f"{project.name}-test-{app.name}"
        # at a workspace root, only its tests/ (the members' own run in their own turn)
        only = ["tests"] if member.path == "." and project.workspace.is_workspace else []
        args = _run_args(app, [*app.config.test_command, *only, *pytest_args])
        args[2:2] = ["-w", workdir]
        try:
            proc = docker.compose(
                project.root,
                files,
                args,
                project_name=test_project,
                check=False,
                env=compose_env(project.root),
            )
        finally:
            docker.compose(
                project.root,
                files,
                ["down", "--volumes", "--remove-orphans"],
                project_name=test_project,
                capture=True,
                check=False,
            )
        if proc.returncode != 0:
            failed.append(member.name)
    return failed
