"""Dev environments on a real engine: the Dev Containers CLI, file ownership, notebooks,
live reload and stale dev images. Host ports 18100-18199 only."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO, copy_project, docker, dockyard, free_port

NAME = "dy-devenv-t"
API_PORT = free_port(18101)
OWNER = 1000  # the copied tree belongs to a normal user; the suite runs as root


def _manifest(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("devenv") / "lol_data")
    _manifest(root, 'name = "lol-data"', f'name = "{NAME}"')
    _manifest(root, '"8000:8000"', f'"127.0.0.1:{API_PORT}:8000"')
    dockyard(root, "lock")
    dockyard(root, "build", "--dev")
    subprocess.run(["chown", "-R", f"{OWNER}:{OWNER}", str(root)], check=True)
    yield root
    dockyard(root, "down", "--volumes", check=False)
    for image in CLI_IMAGES:
        docker("rmi", image, check=False)


def _project_containers() -> list[str]:
    """Containers of the dev project and of every app's dev-container project."""
    out = docker(
        "ps", "-a", "--format", '{{.ID}} {{.Label "com.docker.compose.project"}}'
    ).stdout.splitlines()  # fmt: skip
    rows = [line.split() for line in out]
    return [row[0] for row in rows if len(row) > 1 and row[1].startswith(f"{NAME}-dev")]


CLI_IMAGES: set[str] = set()  # images the Dev Containers CLI derived (vsc-...-uid)


def _remember_cli_image(up: subprocess.CompletedProcess) -> None:
    if up.returncode == 0:
        container = json.loads(up.stdout.strip().splitlines()[-1])["containerId"]
        image = docker("inspect", "--format", "{{.Config.Image}}", container).stdout.strip()
        if image.startswith("vsc-"):
            CLI_IMAGES.add(image)


def _devcontainer(root: Path, app: str, *args: str) -> subprocess.CompletedProcess:
    cli = shutil.which("devcontainer")
    assert cli, (
        "the Dev Containers CLI is missing: run `make test` (scripts/ensure-devcontainer-cli.sh)"
    )
    config = root / ".devcontainer" / app / "devcontainer.json"
    proc = subprocess.run(
        [cli, args[0], "--workspace-folder", str(root), "--config", str(config), *args[1:]],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if args[0] == "up":
        _remember_cli_image(proc)
    return proc


def test_devcontainer_up_and_exec_runs_each_apps_tests(example: Path) -> None:
    try:
        for app, member in (
            ("parser", "lol_data_parser"),
            ("api", "lol_data_api"),
            ("scripts", "lol_data_scripts"),
            ("bot", "lol_data_bot"),
        ):
            up = _devcontainer(example, app, "up")
            assert up.returncode == 0, up.stderr[-3000:]
            result = json.loads(up.stdout.strip().splitlines()[-1])
            assert result["outcome"] == "success"
            assert result["composeProjectName"] == f"{NAME}-dev-{app}"  # one per app
            assert result["remoteWorkspaceFolder"] == f"/workspace/packages/{member}"
            run = _devcontainer(
                example, app, "exec", "sh", "-c", "pwd && id -u && python -m pytest -q"
            )
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
            lines = run.stdout.splitlines()
            assert lines[:2] == [f"/workspace/packages/{member}", str(OWNER)]
            assert " passed" in lines[-1] and "failed" not in lines[-1]
    finally:
        dockyard(example, "down", "--volumes")
    assert _project_containers() == []


def test_devcontainer_exec_fails_when_a_test_fails(example: Path) -> None:
    broken = example / "packages/lol_data_api/tests/test_zz_broken.py"
    broken.write_text("def test_broken():\n    assert 1 == 2\n")
    try:
        up = _devcontainer(example, "api", "up")
        assert up.returncode == 0, up.stderr[-3000:]
        run = _devcontainer(example, "api", "exec", "python", "-m", "pytest", "-q")
        assert run.returncode == 1
        assert "1 failed" in run.stdout
    finally:
        broken.unlink()
        dockyard(example, "down", "--volumes")


def test_files_written_by_dockyard_run_belong_to_the_trees_owner(example: Path) -> None:
    made = example / "packages/lol_data_api/made-by-run.txt"
    proc = dockyard(
        example,
        "run",
        "api",
        "--",
        "sh",
        "-c",
        f"id -u > {made.name} && python -c 'import lol_data_api'",
    )
    assert proc.returncode == 0
    try:
        info = made.stat()
        assert (info.st_uid, info.st_gid) == (OWNER, OWNER)
        assert made.read_text().strip() == str(OWNER)
    finally:
        made.unlink()


def test_dockyard_uid_overrides_and_the_venv_works_for_any_uid(example: Path) -> None:
    env = {**os.environ, "DOCKYARD_UID": "4321", "DOCKYARD_GID": "4322"}
    proc = dockyard(
        example,
        "run",
        "scripts",
        "--",
        "sh",
        "-c",
        "id -u && id -g && echo $HOME && python -c 'import pandas, lol_data_scripts; print(1)'",
        env=env,
    )
    assert proc.stdout.split() == ["4321", "4322", "/home/dev", "1"]


def test_compose_dev_works_as_an_ide_interpreter(example: Path) -> None:
    """What PyCharm's Docker Compose interpreter does: a one-off of the service, the venv
    python by its fixed path; the imports resolve into the mounted repository (so the path
    mapping <repo> -> /workspace holds), and nothing is left behind."""
    probe = (
        "import sys, lol_data, lol_data_api; "
        "print(sys.executable); print(lol_data.__file__); print(lol_data_api.__file__)"
    )
    proc = subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            "compose.dev.yaml",
            "run",
            "--rm",
            "-T",
            "api",
            "/opt/venv/bin/python",
            "-c",
            probe,
        ],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == [
        "/opt/venv/bin/python",
        "/workspace/packages/lol_data/src/lol_data/__init__.py",
        "/workspace/packages/lol_data_api/src/lol_data_api/__init__.py",
    ]
    leftovers = docker(
        "ps",
        "-aq",
        "--filter",
        f"label=com.docker.compose.project={NAME}-dev",
        "--filter",
        "label=com.docker.compose.oneoff=True",
    )
    assert leftovers.stdout.strip() == ""
    dockyard(example, "down")


COUNT_GAMES = (
    "from lol_data.db import engine_from_env, session_scope; from lol_data import queries; "
    "s = session_scope(engine_from_env()).__enter__(); print(queries.count_games(s))"
)


def test_dev_parser_fills_the_dev_database_the_scripts_app_reads(example: Path) -> None:
    """As the tree's owner (not root) the parser can write the dev database volume."""
    dockyard(example, "run", "parser", "--", "lol-data-parser", "--once")
    proc = dockyard(example, "run", "scripts", "--", "python", "-c", COUNT_GAMES)
    assert proc.stdout.strip() == str(len(list((example / "data/matches").glob("*.json"))))


NOTEBOOK_PORT = free_port(18102)
NOTEBOOK = "/workspace/packages/lol_data_scripts/notebooks/explore.ipynb"


def _read_url(proc: subprocess.Popen, timeout: float) -> str:
    """The token of the URL line dockyard notebook prints (bounded wait)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        match = re.search(rf"http://127\.0\.0\.1:{NOTEBOOK_PORT}/lab\?token=(\w+)", line)
        if match:
            return match.group(1)
    raise AssertionError(f"no notebook URL within {timeout}s: {''.join(seen)[-3000:]}")


def _api(path: str, token: str) -> dict | list:
    request = urllib.request.Request(
        f"http://127.0.0.1:{NOTEBOOK_PORT}{path}", headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_notebook_serves_jupyter_runs_the_notebook_on_the_db_and_stops_on_ctrl_c(
    example: Path,
) -> None:
    dockyard(example, "run", "parser", "--", "lol-data-parser", "--once")
    games = len(list((example / "data/matches").glob("*.json")))
    container = f"{NAME}-notebook-scripts"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "notebook", "--port", str(NOTEBOOK_PORT)],
        cwd=example,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    try:
        token = _read_url(proc, timeout=180)
        assert "python3" in _api("/api/kernelspecs", token)["kernelspecs"]
        with pytest.raises(urllib.error.HTTPError):  # the token is required
            urllib.request.urlopen(f"http://127.0.0.1:{NOTEBOOK_PORT}/api/kernelspecs", timeout=10)
        run = docker(
            "exec",
            container,
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--stdout",
            NOTEBOOK,
        )
        cells = [c for c in json.loads(run.stdout)["cells"] if c["cell_type"] == "code"]
        first = "".join(cells[0]["outputs"][0]["text"])
        assert re.fullmatch(rf"{games} games, \d+ players\n", first), first
        assert all(c["outputs"] for c in cells)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            docker("rm", "-f", container, check=False)
    assert docker("ps", "-aq", "--filter", f"name={container}").stdout.strip() == ""


def test_notebook_on_a_busy_port_says_so_and_leaves_nothing(example: Path) -> None:
    port = free_port(NOTEBOOK_PORT + 1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        proc = dockyard(example, "notebook", "--port", str(port), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"dockyard: error: could not start Jupyter Lab for scripts: 127.0.0.1:{port} is in "
        "use; choose another port with --port"
    )
    assert docker("ps", "-aq", "--filter", f"name={NAME}-notebook-scripts").stdout.strip() == ""


def _get(port: int, path: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None


def _poll(port: int, path: str, want, timeout: float, step: float = 0.05) -> float:
    """Seconds until GET path answers ``want`` (bounded in time, so in count)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if _get(port, path) == want:
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError(f"{path} did not answer {want} within {timeout}s: {_get(port, path)}")


def test_dev_serves_a_source_edit_without_a_rebuild(example: Path, record_property) -> None:
    routes = example / "packages/lol_data_api/src/lol_data_api/routes.py"
    original = routes.read_text()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "dev", "api"],
        cwd=example,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    latencies = []
    try:
        started = time.monotonic()
        while _get(API_PORT, "/health") is None:
            assert proc.poll() is None and time.monotonic() - started < 240, "dev never served"
            time.sleep(0.5)
        assert _get(API_PORT, "/dev-probe") is None
        for edit in ("one", "two", "three"):
            routes.write_text(
                original + f'\n\n@router.get("/dev-probe")\ndef dev_probe() -> dict[str, str]:\n'
                f'    return {{"edit": "{edit}"}}\n'
            )
            latencies.append(_poll(API_PORT, "/dev-probe", {"edit": edit}, timeout=60))
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=90) == 0
    finally:
        routes.write_text(original)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    record_property("edit_to_served_seconds", latencies)
    print(f"\ndockyard dev: edit-to-served latency (s): {[round(x, 2) for x in latencies]}")
    running = docker("ps", "-q", "--filter", f"label=com.docker.compose.project={NAME}-dev")
    assert running.stdout.strip() == ""


def test_a_stale_dev_image_is_named_and_build_rebuilds_it(example: Path) -> None:
    """Last in the module: it changes the manifest (then puts it back and rebuilds)."""
    original = (example / "pyproject.toml").read_text()
    _manifest(
        example,
        'volumes = ["db:/data"]          #',
        'writable = ["/scratch"]\nvolumes = ["db:/data"] #',
    )
    try:
        proc = dockyard(example, "run", "scripts", "--", "true", check=False)
        assert proc.returncode == 1
        assert proc.stderr.strip().splitlines() == [
            f"dockyard: error: the dev image {NAME}/scripts:dev is stale: its lock exports or "
            "Dockerfile stages changed since it was built; run again with --build to rebuild "
            f"it first (or `dockyard build --dev scripts`)"
        ]
        dockyard(example, "run", "parser", "--", "true")  # other apps' images are fresh
        fresh = dockyard(example, "run", "--build", "scripts", "--", "ls", "-ld", "/scratch")
        assert fresh.stdout.startswith("drwxrwxrwt")
        dockyard(example, "run", "scripts", "--", "true")
    finally:
        (example / "pyproject.toml").write_text(original)
        dockyard(example, "build", "--dev", "scripts")
