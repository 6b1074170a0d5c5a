"""Blue/green compose deploys behind the real dockyard-proxy (Caddy), on real parts: the
registry on 127.0.0.1:5000, a server reached over real OpenSSH (127.0.0.1:18022), the
machine's engine. In file order, as one story: first deploy -> a good update of the api
under load (one client at 25 requests/s and 8 concurrent clients, loopback, bounded) ->
a release whose api raises at import, under the same load -> the deploy lock -> a
damaged state file -> rollback -> Ctrl-C and a dropped ssh connection in the middle of
a deploy. Every failed request is counted; the target is 0.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from deploystory import (
    API_PROBE,
    HOST,
    PARSER_PROBE,
    REGISTRY,
    SSH_PORT,
    Story,
    rewrite,
    ssh,
    tear_down,
)

from helpers import REPO, copy_project, docker, dockyard, free_port

PORT = free_port(18280)
URL = f"http://127.0.0.1:{PORT}/health"
# probes every 2 s; a long start period only bounds a slow start (a busy CI machine)
SLOW_START = ', interval = "2s", start-period = "900s" }'

TARGET = """
[tool.dockyard.deploy.prod]
host = "{host}"
apps = ["parser", "api"]
directory = "{directory}"
health-timeout = "900s"
drain-timeout = "10s"

[tool.dockyard.deploy.prod.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]

[tool.dockyard.deploy.prod.app.api]
ports = ["127.0.0.1:{port}:8000"]
"""


class Traffic:
    """One client at 25 requests/s and 8 concurrent ones (5/s each) until stopped, at
    most 900 s and 30 000 requests: counts requests and failures (loopback only)."""

    def __init__(self, url: str) -> None:
        self.url, self.requests, self.failures, self.errors = url, 0, 0, []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        rates = [25] + [5] * 8
        self._threads = [threading.Thread(target=self._run, args=(r,)) for r in rates]

    def _run(self, rate: float) -> None:
        deadline = time.monotonic() + 900
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    ok = response.status == 200
            except OSError as exc:
                ok = False
                self.errors.append(repr(exc)[:200])
            with self._lock:
                self.requests += 1
                self.failures += 0 if ok else 1
                if self.requests >= 30_000:
                    self._stop.set()
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def _container_ids(name: str, app: str) -> list[str]:
    label = f"label=com.docker.compose.project={name}-prod"
    service = f"label=com.docker.compose.service={app}"
    return docker("ps", "-q", "--no-trunc", "--filter", label, "--filter", service).stdout.split()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, base_image: str, ssh_env: dict):
    name = f"dkb{uuid.uuid4().hex[:6]}"
    directory = f"/var/tmp/dockyard-bluegreen-{name}"
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("bg") / "lol")
    manifest = root / "pyproject.toml"
    rewrite(manifest, 'name = "lol-data" ', f'name = "{name}"\nregistry = "{REGISTRY}/{name}" ')
    rewrite(manifest, PARSER_PROBE, PARSER_PROBE.replace(" }", SLOW_START))
    rewrite(manifest, API_PROBE, API_PROBE.replace(" }", SLOW_START))
    with manifest.open("a") as handle:
        handle.write(TARGET.format(host=HOST, directory=directory, port=PORT))
    dockyard(root, "lock")
    env = {**ssh_env, "DOCKYARD_PROXY": f"{name}-proxy"}
    result = Story(root, env, name, directory)
    try:
        yield result
    finally:
        tear_down(ssh_env, name, directory)


def _serves(version: str) -> None:
    with urllib.request.urlopen(URL, timeout=10) as response:
        assert json.load(response)["status"] == "ok"


def test_first_deploy_puts_the_api_behind_the_proxy(story: Story) -> None:
    story.versions.append(story.release("first release"))
    proc = story.run("deploy", "prod")
    assert "release 1" in proc.stderr and "is live" in proc.stderr
    _serves(story.versions[0])
    # the app publishes no port: the proxy owns it
    api = _container_ids(story.name, "api")
    assert len(api) == 1
    ports = json.loads(docker("inspect", api[0]).stdout)[0]["NetworkSettings"]["Ports"]
    assert not any(ports.values())
    proxy = json.loads(docker("inspect", f"{story.name}-proxy").stdout)[0]
    assert proxy["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert f"127.0.0.1:{PORT}:{PORT}" in proxy["Config"]["Labels"]["io.dockyard.proxy.ports"]
    status = story.run("status", "prod").stdout
    assert f"serving :{PORT}" in status


def test_good_update_loses_no_request_and_leaves_the_parser_alone(story: Story) -> None:
    parser_before = _container_ids(story.name, "parser")
    app = story.root / "packages/lol_data_api/src/lol_data_api/app.py"
    app.write_text(app.read_text() + "\n# version 2\n")
    story.versions.append(story.release("second release"))
    with Traffic(URL) as traffic:
        proc = story.run("deploy", "prod")
    print("good update:", traffic.requests, "requests,", traffic.failures, "failed")
    assert traffic.requests >= 200  # the clients really ran through the update
    assert traffic.failures == 0, traffic.errors[:5]
    assert "api: the proxy sends every new request to the new container now" in proc.stderr
    assert "parser: unchanged" in proc.stderr
    assert _container_ids(story.name, "parser") == parser_before  # not restarted
    rows = story.status()
    assert rows["api"][0] == story.versions[1]
    assert rows["parser"][0] == story.versions[0]  # the revision its running image has


def test_broken_release_never_takes_traffic(story: Story) -> None:
    api_before = _container_ids(story.name, "api")
    app = story.root / "packages/lol_data_api/src/lol_data_api/app.py"
    app.write_text(app.read_text() + '\nraise RuntimeError("broken release")\n')
    story.versions.append(story.release("broken release"))
    with Traffic(URL) as traffic:
        proc = story.run("deploy", "prod", check=False)
    print("broken update:", traffic.requests, "requests,", traffic.failures, "failed")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr.split("last log lines")[0]
    last = proc.stderr.strip().splitlines()[-1]
    assert "api crashed: RuntimeError: broken release" in last, last
    assert "release 2" in last and "kept serving" in last
    assert "last log lines of the new container" in proc.stderr
    assert traffic.requests >= 100 and traffic.failures == 0, traffic.errors[:5]
    assert _container_ids(story.name, "api") == api_before
    assert story.status()["api"][0] == story.versions[1]


def test_a_second_deploy_waits_for_the_lock(story: Story) -> None:
    lock = f"{story.name}-prod-dockyard-lock"
    image = json.loads(docker("inspect", _container_ids(story.name, "api")[0]).stdout)[0]
    docker("create", "--name", lock, "--label", "io.dockyard.lock=someone since now",
           "--entrypoint", "true", image["Config"]["Image"])  # fmt: skip
    try:
        proc = story.run("deploy", "prod", check=False)
        assert proc.returncode == 2
        last = proc.stderr.strip().splitlines()[-1]
        assert "holds the lock" in last and "someone since now" in last and "--break-lock" in last
        assert "(lock)" in story.run("status", "prod").stdout
    finally:
        docker("rm", "--force", lock, check=False)


def test_a_damaged_state_file_is_refused_before_anything_changes(story: Story) -> None:
    state = f"{story.directory}/dockyard-state.json"
    good = ssh(story.env, f"cat {state}")
    compose = ssh(story.env, f"cat {story.directory}/compose.yaml")
    api_before = _container_ids(story.name, "api")
    ssh(story.env, f'printf \'{{"current": 2, "releases": [\' > {state}')
    try:
        proc = story.run("rollback", "prod", check=False)
        assert proc.returncode == 2
        last = proc.stderr.strip().splitlines()[-1]
        assert "dockyard-state.json" in last and "is damaged" in last and "changed nothing" in last
        assert "move it aside" not in last
        assert ssh(story.env, f"cat {story.directory}/compose.yaml") == compose
        assert _container_ids(story.name, "api") == api_before
    finally:
        ssh(story.env, f"cat > {state}", good.encode())
    _serves(story.versions[1])


def test_rollback_goes_through_the_same_switch(story: Story) -> None:
    with Traffic(URL) as traffic:
        story.run("rollback", "prod")
    assert traffic.failures == 0, traffic.errors[:5]
    assert story.status()["api"][0] == story.versions[0]
    state = json.loads(ssh(story.env, f"cat {story.directory}/dockyard-state.json"))
    assert state["current"] == 1


def test_files_on_the_server_agree_with_what_runs(story: Story) -> None:
    _server_files_agree(story)


def _server_files_agree(story: Story) -> None:
    """The state file's current release is the server's compose file and what runs."""
    compose = ssh(story.env, f"cat {story.directory}/compose.yaml")
    state = json.loads(ssh(story.env, f"cat {story.directory}/dockyard-state.json"))
    running = next(r for r in state["releases"] if r["id"] == state["current"])
    assert running["compose"] == compose
    for app in ("api", "parser"):
        image = json.loads(docker("inspect", _container_ids(story.name, app)[0]).stdout)[0]
        assert image["Config"]["Image"] == running["images"][app]


def test_ctrl_c_mid_deploy_leaves_one_release(story: Story) -> None:
    """Ctrl-C after the parser was replaced and while the api's new container starts: the
    parser is put back too, so the server runs one release (never new parser + old api),
    the files on the server agree with it, the api serves throughout, and the next deploy
    says what happened and goes through."""
    running = story.status()
    assert running["api"][0] == running["parser"][0] == story.versions[0]
    app = story.root / "packages/lol_data_api/src/lol_data_api/app.py"
    app.write_text(app.read_text().replace('\nraise RuntimeError("broken release")\n', ""))
    core = story.root / "packages/lol_data/src/lol_data/enums.py"
    core.write_text(core.read_text() + "\n# a shared-library edit: both apps change\n")
    story.versions.append(story.release("shared-library edit"))
    seen: list[str] = []
    with Traffic(URL) as traffic:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dockyard", "deploy", "prod"],
            cwd=story.root, env=story.env, stderr=subprocess.PIPE, text=True,
            start_new_session=True,  # its own process group, as a terminal's job is
        )  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if "api: starting the new release" in line:
                os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, to the whole job
                break
        seen.extend(proc.stderr)
        code = proc.wait(timeout=600)
    out = "".join(seen)
    assert any("parser: healthy and serving" in line for line in seen), out
    assert code != 0, out
    assert "Traceback" not in out
    last = out.strip().splitlines()[-1]
    assert "interrupted (Ctrl-C)" in last and "kept serving" in last, last
    assert traffic.failures == 0, traffic.errors[:5]
    rows = story.status()
    assert rows["api"][0] == rows["parser"][0] == story.versions[0]  # one release, the old
    _server_files_agree(story)
    again = story.run("deploy", "prod")
    assert "did not go through" in again.stderr and "interrupted (Ctrl-C)" in again.stderr
    rows = story.status()
    assert rows["api"][0] == rows["parser"][0] == story.versions[-1]


def _descendants(pid: int) -> set[int]:
    """``pid``'s processes, children of children included (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _drop_ssh(pid: int) -> int:
    """Kill the test sshd's session processes serving the ssh connections of ``pid``'s
    processes (found by their client port; nobody else's), as a dropped network would
    end them; how many were killed."""
    mine = _descendants(pid)
    rows = subprocess.run(["ss", "-tnpH"], capture_output=True, text=True, check=True)
    ports, sessions = set(), []
    for line in rows.stdout.splitlines():
        parts = line.split()
        if len(parts) < 6:
            continue
        local, peer = parts[3], parts[4]
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if peer == f"127.0.0.1:{SSH_PORT}" and pids & mine:
            ports.add(local.rsplit(":", 1)[1])
        elif local == f"127.0.0.1:{SSH_PORT}":
            sessions.append((peer.rsplit(":", 1)[1], pids))
    killed = {p for port, pids in sessions if port in ports for p in pids}
    for session in killed:
        os.kill(session, signal.SIGKILL)
    return len(killed)


def _api_containers_running(story: Story) -> int:
    return len(_container_ids(story.name, "api"))


def test_dropped_ssh_connection_mid_deploy_leaves_one_release(story: Story) -> None:
    """The ssh connection drops after the parser was replaced and the api's new container
    started: dockyard says so in one line (no traceback), puts the parser back over a new
    connection, the server runs one release (the old) with the files on the server
    agreeing, the api serves throughout, and `status` and the next deploy say what
    happened; that deploy goes through."""
    running = story.status()
    before = running["api"][0]
    assert running["parser"][0] == before
    core = story.root / "packages/lol_data/src/lol_data/enums.py"
    core.write_text(core.read_text() + "\n# another shared-library edit\n")
    story.versions.append(story.release("shared-library edit, deployed over a dropped link"))
    seen: list[str] = []
    killed = 0
    with Traffic(URL) as traffic:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dockyard", "deploy", "prod"],
            cwd=story.root, env=story.env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if "api: starting the new release" in line:
                deadline = time.monotonic() + 120
                while _api_containers_running(story) < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)  # the new api container beside the old one
                killed = _drop_ssh(proc.pid)
                break
        seen.extend(proc.stderr)
        code = proc.wait(timeout=600)
    out = "".join(seen)
    print("dropped ssh:", killed, "sshd processes killed,", traffic.requests, "requests,",
          traffic.failures, "failed; dockyard said:", out.strip().splitlines()[-1])  # fmt: skip
    assert killed > 0, out
    assert any("parser: healthy and serving" in line for line in seen), out
    assert code == 2, out
    assert "Traceback" not in out
    last = out.strip().splitlines()[-1]
    assert "lost the ssh connection to ssh://root@127.0.0.1:18022" in last, last
    assert "kept serving" in last, last
    assert traffic.failures == 0, traffic.errors[:5]
    rows = story.status()
    assert rows["api"][0] == rows["parser"][0] == before  # one release, the old
    _server_files_agree(story)
    status = story.run("status", "prod").stdout
    assert "did not go through" in status and "lost the ssh connection" in status
    again = story.run("deploy", "prod")
    assert "did not go through" in again.stderr and "lost the ssh connection" in again.stderr
    rows = story.status()
    assert rows["api"][0] == rows["parser"][0] == story.versions[-1]
    _server_files_agree(story)
