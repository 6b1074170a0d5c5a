"""Dev containers of several apps side by side with the real Dev Containers CLI, on a tree
that root owns (the CI case): each app's container keeps running while the others come up,
the dev user writes into the mounted source, and `dockyard down` removes them all.
Host port 18151 only."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import REPO, copy_project, docker, dockyard, free_port

API_PORT = free_port(18151)
# the api's project runs a parser of its own (depends-on): the case that used to recreate
# the parser's dev container
APPS = (("parser", "lol_data_parser"), ("api", "lol_data_api"), ("scripts", "lol_data_scripts"))


def _manifest(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _devcontainer(root: Path, app: str, *args: str) -> subprocess.CompletedProcess:
    cli = shutil.which("devcontainer")
    assert cli, "the Dev Containers CLI is missing: run `make test` (ensure-devcontainer-cli.sh)"
    config = root / ".devcontainer" / app / "devcontainer.json"
    return subprocess.run(
        [cli, args[0], "--workspace-folder", str(root), "--config", str(config), *args[1:]],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _containers(name: str) -> dict[str, str]:
    """Container id -> Compose project, for every dev project of ``name``."""
    out = docker(
        "ps", "-a", "--filter", "label=com.docker.compose.project",
        "--format", '{{.ID}} {{.Label "com.docker.compose.project"}}',
    ).stdout.split("\n")  # fmt: skip
    rows = [line.split() for line in out if line.strip()]
    return {row[0]: row[1] for row in rows if row[1].startswith(f"{name}-dev")}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    name = f"dy-dc-{uuid.uuid4().hex[:6]}"
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("dc") / "lol_data")
    _manifest(root, 'name = "lol-data"', f'name = "{name}"')
    _manifest(root, '"8000:8000"', f'"127.0.0.1:{API_PORT}:8000"')
    # what is tested is coexistence, not start-up speed: the api's container does not wait
    # for the parser's first scan (minutes on a loaded machine), only for it to start
    _manifest(root, 'healthcheck = { command = ["lol-data-parser", "--health"] }\n', "")
    dockyard(root, "lock")
    dockyard(root, "build", "--dev")
    assert root.stat().st_uid == 0 or pytest.fail("the suite runs as root (make test, CI)")
    yield root, name
    dockyard(root, "down", "--volumes", check=False)
    images = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    mine = [image for image in images if image.startswith(f"{name}/")]
    if mine:
        docker("image", "rm", *mine, check=False)


def test_dev_containers_run_side_by_side_and_write_the_source(example) -> None:
    root, name = example
    try:
        ids: dict[str, str] = {}
        for app, _member in APPS:
            up = _devcontainer(root, app, "up")
            assert up.returncode == 0, up.stderr[-3000:]
            result = json.loads(up.stdout.strip().splitlines()[-1])
            assert result["outcome"] == "success"
            assert result["composeProjectName"] == f"{name}-dev-{app}"
            ids[app] = result["containerId"]
        # every earlier container is still the one its `up` made, and answers
        for app, member in APPS:
            assert docker("inspect", "-f", "{{.State.Running}}", ids[app]).stdout.strip() == "true"
            run = _devcontainer(
                root, app, "exec", "sh", "-c",
                "id -u && touch written-here && python -m pytest -q",
            )  # fmt: skip
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
            lines = run.stdout.splitlines()
            assert lines[0] == "0"  # the host user is root, and so is the dev user
            assert " passed" in lines[-1] and "failed" not in lines[-1]
            written = root / "packages" / member / "written-here"
            assert written.stat().st_uid == 0
            written.unlink()
            assert (root / "packages" / member / ".pytest_cache").is_dir()
        projects = set(_containers(name).values())
        assert {f"{name}-dev-{app}" for app, _ in APPS} <= projects
    finally:
        down = dockyard(root, "down", "--volumes", check=False)
    assert down.returncode == 0, down.stderr
    assert _containers(name) == {}
    volumes = docker("volume", "ls", "-q", "--filter", f"name={name}").stdout.split()
    assert volumes == []
