"""transfer = "ssh": deploys with no registry of the user's, on real parts: the example
(parser + api) built on the real engine, a server reached over real OpenSSH
(127.0.0.1:18022, the machine's own engine behind it), the server's dockyard-registry
(Debian's docker-registry, fetched with apt and built on the server) reached through a
real ssh port forward, the real proxy. In file order, as one story: first deploy ->
a shared-library edit, whose deploy must send under 1 MB for parser + api (measured,
and set against `dockyard save` of the same images) -> a rollback served by the
server's registry alone -> a server that cannot be reached -> a registry that does not
answer. Everything the story creates has its own names and ports (18680-18689) and is
removed at the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploystory import API_PROBE, HOST, PARSER_PROBE, Story, commit, remove_proxy, rewrite, ssh

from dockyard.engine import serverregistry
from dockyard.engine.remote import TargetEngine
from helpers import REPO, copy_project, docker, dockyard, free_port

PORT = free_port(18680)  # the api, behind the proxy
REGISTRY_PORT = free_port(18681)  # the server's registry, on the server's 127.0.0.1
DEAD_SSH = 18689  # nothing listens here
URL = f"http://127.0.0.1:{PORT}/health"
FAST = ', interval = "2s", start-period = "900s" }'
ONE_MB = 1_000_000

TARGET = """
[tool.dockyard.deploy.prod]
host = "{host}"
transfer = "ssh"
apps = ["parser", "api"]
directory = "{directory}"
health-timeout = "900s"
drain-timeout = "5s"

[tool.dockyard.deploy.prod.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]

[tool.dockyard.deploy.prod.app.api]
ports = ["127.0.0.1:{port}:8000"]

[tool.dockyard.deploy.sw]
kind = "swarm"
host = "{host}"
transfer = "ssh"
apps = ["parser"]
directory = "{directory}-sw"
health-timeout = "900s"

[tool.dockyard.deploy.sw.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]

[tool.dockyard.deploy.down]
host = "ssh://root@127.0.0.1:{dead}"
transfer = "ssh"
apps = ["api"]
"""
SENT = re.compile(r"the layers it lacked \((\d+) bytes of blobs; (\d+) bytes through ssh\)")


class TransferStory(Story):
    sent: list[int]
    figures: dict[str, int]

    def build(self, message: str) -> str:
        """Regenerate, commit and build parser + api (no push: there is no registry)."""
        self.run("generate")
        commit(self.root, message)
        self.run("build", "parser", "api")
        rev = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=self.root, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return f"0.1.0-{rev}"

    def deploy(self) -> subprocess.CompletedProcess:
        proc = self.run("deploy", "prod")
        found = SENT.search(proc.stderr)
        assert found, proc.stderr
        self.sent.append(int(found.group(1)))
        return proc


def _registry_image_ids() -> set[str]:
    out = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "dockyard-registry")
    return set(out.stdout.split())


def _ssh_sent(stderr: str) -> int:
    """The bytes ssh itself counted for the transfer, from the deploy's line."""
    found = SENT.search(stderr)
    assert found, stderr
    return int(found.group(2))


def _remove_stack(remote: dict[str, str], stack: str) -> None:
    """The stack, then (once its containers are gone) its volume."""
    subprocess.run(["docker", "stack", "rm", stack], env=remote, capture_output=True,
                   check=False)  # fmt: skip
    deadline = time.monotonic() + 120
    label = f"label=com.docker.stack.namespace={stack}"
    while docker("ps", "-aq", "--filter", label).stdout.strip():
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    docker("volume", "rm", f"{stack}_db", check=False)


@pytest.fixture
def one_node_swarm() -> Iterator[int]:
    """The engine as a swarm manager; one this made is left again once no service of
    anyone's runs (other runs share the engine)."""
    created = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() == "inactive"
    if created:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        yield int(docker("info", "--format", "{{.Swarm.Nodes}}").stdout.strip())
    finally:
        if created:
            deadline = time.monotonic() + 120
            while docker("service", "ls", "-q").stdout.strip() and time.monotonic() < deadline:
                time.sleep(2)
            if not docker("service", "ls", "-q").stdout.strip():
                docker("swarm", "leave", "--force", check=False)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, base_image: str, ssh_env: dict):
    name = f"dkt{uuid.uuid4().hex[:6]}"
    directory = f"/var/tmp/dockyard-transfer-{name}"
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("tx") / "lol")
    manifest = root / "pyproject.toml"
    rewrite(manifest, 'name = "lol-data" ', f'name = "{name}" ')
    assert "\nregistry =" not in manifest.read_text()  # no registry of the user's
    rewrite(manifest, PARSER_PROBE, PARSER_PROBE.replace(" }", FAST))
    rewrite(manifest, API_PROBE, API_PROBE.replace(" }", FAST))
    with manifest.open("a") as handle:
        handle.write(TARGET.format(host=HOST, directory=directory, port=PORT, dead=DEAD_SSH))
    dockyard(root, "lock")
    registry = f"{name}-registry"
    env = {
        **ssh_env,
        "DOCKYARD_PROXY": f"{name}-proxy",
        "DOCKYARD_REGISTRY_NAME": registry,
        "DOCKYARD_REGISTRY_PORT": str(REGISTRY_PORT),
    }
    images_before = _registry_image_ids()
    result = TransferStory(root, env, name, directory)
    result.sent, result.figures = [], {}
    try:
        yield result
    finally:
        remote = {**ssh_env, "DOCKER_HOST": HOST}
        subprocess.run(
            ["docker", "compose", "-p", f"{name}-prod", "down", "--volumes", "--remove-orphans"],
            env=remote, capture_output=True, check=False,
        )  # fmt: skip
        docker("rm", "--force", f"{name}-prod-dockyard-lock", check=False)
        remove_proxy(f"{name}-proxy")
        for container in (
            registry,
            *(f"{name}-{x}" for x in ("registry2", "fake-registry", "ro-registry")),
        ):
            docker("rm", "--force", container, check=False)
            docker("volume", "rm", container, check=False)
        _remove_stack(remote, f"{name}-sw")
        ssh(ssh_env, f"rm -rf {directory} {directory}-sw")
        tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        built = [t for t in tags if t.startswith(f"{name}/")]
        ours = sorted(_registry_image_ids() - images_before)
        for refs in (built, ours):
            if refs:  # one command per kind: a failed name stops no other kind
                docker("image", "rm", *refs, check=False)
        # listed by digest only once no tag names the same image
        digests = docker("image", "ls", "--digests", "--format",
                         "{{.Repository}}@{{.Digest}}").stdout.split()  # fmt: skip
        pulled = [d for d in digests if f":{REGISTRY_PORT}/{name}/" in d]
        if pulled:
            docker("image", "rm", *pulled, check=False)


def _serves() -> None:
    with urllib.request.urlopen(URL, timeout=10) as response:
        assert json.load(response)["status"] == "ok"


def _state(story: Story) -> dict:
    return json.loads(ssh(story.env, f"cat {story.directory}/dockyard-state.json"))


def test_first_deploy_sends_the_images_over_ssh(story: TransferStory) -> None:
    story.versions.append(story.build("first release"))
    proc = story.deploy()
    assert "release 1" in proc.stderr and "is live" in proc.stderr
    _serves()
    # the server pulled from its own registry, on its loopback
    state = _state(story)
    for app in ("parser", "api"):
        ref = state["releases"][0]["images"][app]
        assert ref.startswith(f"127.0.0.1:{REGISTRY_PORT}/{story.name}/{app}@sha256:"), ref
    registry = json.loads(docker("inspect", f"{story.name}-registry").stdout)[0]
    assert registry["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    bindings = registry["HostConfig"]["PortBindings"]["5000/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": str(REGISTRY_PORT)}]
    mounts = [(m["Type"], m.get("Name"), m["Destination"]) for m in registry["Mounts"]]
    assert mounts == [("volume", f"{story.name}-registry", "/var/lib/registry")]
    labels = json.loads(docker("image", "inspect", registry["Image"]).stdout)[0]["Config"]
    labels = labels["Labels"]
    assert labels["io.dockyard.registry.package"].startswith("docker-registry=")
    assert re.fullmatch(r"[0-9a-f]{64}", labels["io.dockyard.registry.package.sha256"])
    # the first deploy sends the whole images once: far more than a megabyte
    assert story.sent[0] > 50 * ONE_MB


def test_a_registry_another_deploy_started_is_left_alone(story: TransferStory) -> None:
    """Two first deploys to one server race to start its registry: the one that finds the
    name taken uses the other's registry, and never removes it."""
    name = f"{story.name}-registry"
    running = json.loads(docker("inspect", name).stdout)[0]
    server = TargetEngine("prod", HOST, None)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PATH", story.env["PATH"])  # the test sshd's ssh
        started = serverregistry.start(server, name, running["Config"]["Image"], 18683)
    assert started is False
    again = json.loads(docker("inspect", name).stdout)[0]
    assert again["Id"] == running["Id"] and again["State"]["Running"]


def test_a_library_edit_sends_under_a_megabyte(story: TransferStory, tmp_path: Path) -> None:
    core = story.root / "packages/lol_data/src/lol_data/enums.py"
    core.write_text(core.read_text() + "\n# a shared-library edit: both apps change\n")
    story.versions.append(story.build("shared-library edit"))
    proc = story.deploy()
    assert "unchanged" not in proc.stderr  # both apps got the edit
    _serves()
    rows = story.status()
    assert rows["api"][0] == rows["parser"][0] == story.versions[1]
    sent, through_ssh = story.sent[1], _ssh_sent(proc.stderr)
    archive = tmp_path / "whole.tar.gz"
    story.run("save", "parser", "api", "-o", str(archive))
    whole = archive.stat().st_size
    print(
        f"after a shared-library edit, parser + api: ssh transfer sent {sent} bytes of "
        f"layers ({through_ssh} bytes through ssh); `dockyard save` of the same images: "
        f"{whole} bytes"
    )
    assert 0 < sent < ONE_MB
    assert through_ssh < ONE_MB
    assert whole > 50 * ONE_MB  # whole images: every layer, every time


def test_rollback_is_served_by_the_servers_registry(story: TransferStory) -> None:
    """The server's engine forgets release 1's images; a rollback pulls them back from
    the server's own registry, with nothing from the client."""
    first = _state(story)["releases"][-1]["images"]
    remote = {**story.env, "DOCKER_HOST": HOST}
    for ref in first.values():
        subprocess.run(["docker", "image", "rm", ref], env=remote, capture_output=True,
                       check=True)  # fmt: skip
    story.run("rollback", "prod")
    _serves()
    rows = story.status()
    assert rows["api"][0] == rows["parser"][0] == story.versions[0]


def _forwards(port: int) -> list[str]:
    """ssh port forwards to the server's ``port`` still running on this machine."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"ssh") and f":127.0.0.1:{port}".encode() in b" ".join(args):
            found.append(b" ".join(args).decode())
    return found


def _api_containers(story: Story) -> list[str]:
    label = f"label=com.docker.compose.project={story.name}-prod"
    return docker("ps", "-q", "--no-trunc", "--filter", label).stdout.split()


def test_an_unreachable_server_is_one_line_and_changes_nothing(story: TransferStory) -> None:
    before = _api_containers(story)
    proc = story.run("deploy", "down", check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "deploy target 'down'" in lines[0] and f"127.0.0.1:{DEAD_SSH}" in lines[0]
    assert _api_containers(story) == before
    _serves()


def test_a_registry_that_does_not_answer_is_one_line(story: TransferStory) -> None:
    """A container by the registry's name that serves nothing on its port: the forward
    opens, nothing answers through it; one line, the tunnel closed, the release serving."""
    fake = f"{story.name}-fake-registry"
    image = json.loads(docker("inspect", _api_containers(story)[0]).stdout)[0]["Image"]
    docker("run", "--detach", "--name", fake, "--label", "io.dockyard.registry.port=18688",
           "--entrypoint", "sleep", image, "600")  # fmt: skip
    before = _api_containers(story)
    core = story.root / "packages/lol_data/src/lol_data/enums.py"
    core.write_text(core.read_text() + "\n# never deployed\n")
    story.build("a release the server never gets")
    env = {**story.env, "DOCKYARD_REGISTRY_NAME": fake}
    proc = dockyard(story.root, "deploy", "prod", check=False, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert f"the registry {fake} on {HOST} does not answer through the ssh tunnel" in last
    assert "nothing was changed there" in last
    assert _forwards(18688) == []  # the tunnel was closed on the error
    assert _api_containers(story) == before
    _serves()
    assert story.status()["api"][0] == story.versions[0]


def test_a_push_the_registry_refuses_is_one_line(story: TransferStory) -> None:
    """A registry that answers but cannot store (its volume read-only): the push fails,
    one line names the target and the app, the extra tag and the tunnel are gone."""
    broken = f"{story.name}-ro-registry"
    image = json.loads(docker("inspect", f"{story.name}-registry").stdout)[0]["Config"]["Image"]
    docker("run", "--detach", "--name", broken, "--label", "io.dockyard.registry.port=18687",
           "--publish", "127.0.0.1:18687:5000", "--volume", f"{broken}:/var/lib/registry:ro",
           image)  # fmt: skip
    before = _api_containers(story)
    env = {**story.env, "DOCKYARD_REGISTRY_NAME": broken}
    proc = dockyard(story.root, "deploy", "prod", check=False, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    print(last)
    assert last.startswith("dockyard: error: deploy target 'prod': sending ")
    assert f"to the registry {broken} on {HOST} through ssh failed (docker push failed" in last
    assert last.endswith("nothing was changed there")
    assert _forwards(18687) == []
    tags = docker("image", "ls", "--format", "{{.Repository}}").stdout.split()
    assert not [t for t in tags if t.startswith("127.0.0.1:") and f"/{story.name}/" in t]
    assert _api_containers(story) == before
    _serves()


def test_ctrl_c_while_sending_closes_the_tunnel(story: TransferStory) -> None:
    """Ctrl-C while the images travel (a new, empty registry: whole images, seconds):
    the deploy stops, the ssh forward and the push's extra tags are gone, the release
    keeps serving."""
    registry, port = f"{story.name}-registry2", free_port(18682)
    env = {**story.env, "DOCKYARD_REGISTRY_NAME": registry, "DOCKYARD_REGISTRY_PORT": str(port)}
    before = _api_containers(story)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "deploy", "prod"],
        cwd=story.root, env=env, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as a terminal's job is
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not _forwards(port) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _forwards(port), "the forward never opened"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, to the whole job
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "dockyard: interrupted", err
    assert "Traceback" not in err
    assert _forwards(port) == []
    tags = docker("image", "ls", "--format", "{{.Repository}}").stdout.split()
    assert not [t for t in tags if t.startswith("127.0.0.1:") and f"/{story.name}/" in t]
    assert _api_containers(story) == before
    _serves()


def test_a_one_node_swarm_pulls_from_its_own_registry(
    story: TransferStory, one_node_swarm: int
) -> None:
    """kind = "swarm" with transfer = "ssh" on a swarm of one node: the manager is the
    only node, and it pulls from its own loopback registry."""
    assert one_node_swarm == 1
    try:
        proc = story.run("deploy", "sw")
        assert "(swarm) and healthy" in proc.stderr
        assert SENT.search(proc.stderr), proc.stderr
        image = docker(
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
            f"{story.name}-sw_parser",
        )
        assert image.stdout.startswith(f"127.0.0.1:{REGISTRY_PORT}/{story.name}/parser@sha256:")
    finally:
        _remove_stack({**story.env, "DOCKER_HOST": HOST}, f"{story.name}-sw")
