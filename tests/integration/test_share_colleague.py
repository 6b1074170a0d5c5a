"""`dockyard share`, played by the colleague: Docker and nothing else.

The author shares the example's scripts environment through the loopback registry
and as a .tar.gz. The colleague is a non-root uid in an empty folder, with a minimal
environment (no repository, no dockyard on PATH): they type the printed commands,
open the printed Jupyter link, run the team's notebook over the copy of the database
in their folder, and own every file written there.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO, copy_project, docker, dockyard

REGISTRY = "127.0.0.1:5000"
COLLEAGUE = 4242  # a uid no image knows: `--user "$(id -u):$(id -g)"` must still work
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The "team database" the author hands over: three games between the same two teams.
MAKE_DB = """
from datetime import UTC, datetime
from lol_data.db import create_schema, make_engine, session_scope
from lol_data.enums import ROLES, Team
from lol_data.models import Game, Participation, Player
engine = make_engine("sqlite:////notebooks/lol.db")
create_schema(engine)
blue = ("IronWall", "Shadowstep", "Starcaller", "Longshot", "Lantern")
red = ("Granite", "Wildgrowth", "Emberheart", "Volley", "Mender")
with session_scope(engine) as session:
    players = {name: Player(name=name) for name in blue + red}
    for day, winner in enumerate((Team.BLUE, Team.BLUE, Team.RED), start=1):
        game = Game(id=f"G{day}", played_at=datetime(2024, 3, day, 18, tzinfo=UTC),
                    duration_seconds=1800, patch="14.4", winner=winner)
        for team, names in ((Team.BLUE, blue), (Team.RED, red)):
            for name, role in zip(names, ROLES):
                game.participations.append(Participation(
                    player=players[name], team=team, win=team == winner, role=role,
                    champion=f"{role}Champ", kills=4, deaths=1, assists=2, gold=12000,
                    cs=240, jungle_cs=30, vision_score=25, avg_x=5000.0, avg_y=5000.0))
        session.add(game)
engine.dispose()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def printed(text: str, after: str) -> str:
    """The command on the line after ``after`` in the printed instructions."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == after)
    return lines[index + 1].strip()


class Colleague:
    """Someone with Docker and nothing else: a non-root uid, an empty folder, a bare env."""

    def __init__(self, home: Path) -> None:
        self.root = os.geteuid() == 0
        self.uid = COLLEAGUE if self.root else os.geteuid()
        self.folder = home / "work"
        self.folder.mkdir(parents=True)
        self.env = {"PATH": PATH, "HOME": str(home), "LANG": "C.UTF-8"}
        if "DOCKER_HOST" in os.environ:
            self.env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
        assert shutil.which("dockyard", path=PATH) is None
        if self.root:
            for path in (home, self.folder):
                os.chown(path, COLLEAGUE, COLLEAGUE)
        assert self.uid != 0

    def _as_colleague(self) -> dict:
        if not self.root:
            return {}
        socket_gid = os.stat("/var/run/docker.sock").st_gid  # like a member of `docker`
        return {"user": COLLEAGUE, "group": COLLEAGUE, "extra_groups": [socket_gid]}

    def type(self, command: str, timeout: float = 600) -> str:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **self._as_colleague(),
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def start(self, command: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **self._as_colleague(),
        )


@pytest.fixture(scope="module")
def author(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> dict:
    """The example with a registry of its own, shared both ways; the printed texts."""
    root = tmp_path_factory.mktemp("share") / "lol_data"
    copy_project(REPO / "examples/lol_data", root)
    repo = f"{REGISTRY}/share-test-{secrets.token_hex(4)}"
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('name = "lol-data" ', f'registry = "{repo}"\nname = "lol-data" ')
    )
    dockyard(root, "lock")
    port = free_port()
    archive = root.parent / "scripts-share.tar.gz"
    ref = f"{repo}/scripts:share"
    try:
        pushed = dockyard(root, "share", "scripts", "--port", str(port)).stdout
        saved = dockyard(root, "share", "scripts", "-o", str(archive), "--port", str(port)).stdout
        # the team's database, as the author would copy it from their own machine
        team = root.parent / "team"
        team.mkdir()
        docker(
            "run", "--rm", "-v", f"{team}:/notebooks", "--user", "0:0", ref, "python", "-c", MAKE_DB
        )
        yield {
            "ref": ref,
            "port": port,
            "pushed": pushed,
            "saved": saved,
            "archive": archive,
            "db": team / "lol.db",
        }
    finally:
        docker("image", "rm", ref, check=False)


def test_the_image_carries_its_instructions(author: dict) -> None:
    ref = author["ref"]
    label = json.loads(docker("image", "inspect", ref).stdout)[0]["Config"]["Labels"]
    readme = docker("run", "--rm", ref, "cat", "/opt/share/README.md").stdout
    assert label["io.dockyard.share"] == readme
    assert f"docker pull {ref}\n" in readme and "docker load -i FILE.tar.gz" in readme
    assert '--user "$(id -u):$(id -g)" -v "$PWD:/notebooks"' in readme
    assert '-v "${PWD}:/notebooks"' in readme  # PowerShell
    assert "docker load -i scripts-share.tar.gz" in author["saved"]
    assert "docker pull" not in author["saved"]
    assert f"docker pull {ref}" in author["pushed"]
    # non-root, a home for any uid, the mount point as working dir, bytecode compiled
    config = json.loads(docker("image", "inspect", ref).stdout)[0]["Config"]
    assert config["User"] == "1000:1000" and config["WorkingDir"] == "/notebooks"
    probe = (
        "import lol_data.db, pandas, importlib.util as u, os; "
        "print(os.path.exists(u.cache_from_source(lol_data.db.__file__)), "
        "os.path.exists(u.cache_from_source(pandas.__file__)), os.environ['HOME'])"
    )
    out = docker("run", "--rm", "--user", "31337:31337", ref, "python", "-c", probe).stdout
    assert out.split() == ["True", "True", "/home/user"]


@pytest.mark.parametrize("source", ["registry", "tarball"])
def test_a_colleague_runs_the_printed_commands(author: dict, source: str, tmp_path: Path) -> None:
    ref, port = author["ref"], author["port"]
    text = author["pushed"] if source == "registry" else author["saved"]
    colleague = Colleague(tmp_path / "colleague")
    shutil.copy(author["db"], colleague.folder / "lol.db")  # "a copy of the SQLite file"
    if colleague.root:
        os.chown(colleague.folder / "lol.db", COLLEAGUE, COLLEAGUE)
    get = printed(text, "1. Get the image:")
    if source == "tarball":
        received = colleague.folder / author["archive"].name  # the file they were sent
        shutil.copy(author["archive"], received)
        if colleague.root:
            os.chown(received, COLLEAGUE, COLLEAGUE)
        assert get == f"docker load -i {author['archive'].name}"
    else:
        assert get == f"docker pull {ref}"
    docker("image", "rm", ref)  # the colleague's engine has never seen it
    colleague.type(get)
    run = printed(text, "Linux, macOS (bash, zsh):")
    assert run.startswith("docker run ") and run.endswith(ref)
    jupyter = colleague.start(run)
    container: list[str] = []
    try:
        link = wait_for_link(jupyter, port)
        token = link.split("token=", 1)[1]
        status = api(port, token, "GET", "/api/status")
        assert "started" in status
        # the team's notebooks, copied into the folder with the printed command
        colleague.type(
            printed(
                text,
                "The team's files are in the image (/opt/share/notebooks); a copy in your folder:",
            )
        )
        # a file saved through Jupyter, and the notebook run in the colleague's Jupyter
        api(
            port,
            token,
            "PUT",
            "/api/contents/hello.txt",
            {"type": "file", "format": "text", "content": "hi"},
        )
        found = ["ps", "-q", "--filter", f"ancestor={ref}", "--filter", f"publish={port}"]
        container = docker(*found).stdout.split()
        assert len(container) == 1
        nbconvert = "jupyter nbconvert --to notebook --execute --inplace notebooks/explore.ipynb"
        colleague.type(f"docker exec {container[0]} {nbconvert}", timeout=300)
        executed = json.loads((colleague.folder / "notebooks/explore.ipynb").read_text())
        outputs = "".join(
            "".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", [])
        )
        assert "3 games, 10 players" in outputs  # read from lol.db in the mounted folder
        owners = {
            p.relative_to(colleague.folder): p.lstat().st_uid for p in colleague.folder.rglob("*")
        }
        assert owners, "nothing was written"
        assert {uid for uid in owners.values()} == {colleague.uid}, owners
        assert (colleague.folder / "hello.txt").read_text() == "hi"
    finally:
        jupyter.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            jupyter.wait(timeout=60)
        finally:
            jupyter.kill()
            left = [c for c in container if gone_within(c, 10) is False]
            if left:
                docker("rm", "-f", *left, check=False)
    assert not left, "Ctrl-C left the container behind"


def gone_within(container: str, seconds: float) -> bool:
    """Whether ``container`` is removed (docker run --rm) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while docker("ps", "-aq", "--filter", f"id={container}").stdout.strip():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def wait_for_link(jupyter: subprocess.Popen, port: int, timeout: float = 180) -> str:
    """The link Jupyter prints, as the instructions say: http://127.0.0.1:PORT/lab?token=..."""
    pattern = re.compile(rf"http://127\.0\.0\.1:{port}/lab\?token=[0-9a-f]+")
    lines: queue.Queue[str] = queue.Queue()
    assert jupyter.stdout is not None
    stream = jupyter.stdout
    threading.Thread(target=lambda: [lines.put(x) for x in stream], daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if jupyter.poll() is not None:
                raise AssertionError("docker run exited:\n" + "".join(seen)) from None
            continue
        seen.append(line)
        found = pattern.search(line)
        if found:
            return found.group(0)
    raise AssertionError(f"no link within {timeout:.0f}s:\n" + "".join(seen))


def api(port: int, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"{}")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
