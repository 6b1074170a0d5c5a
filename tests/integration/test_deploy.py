"""Ship and deploy the example on real parts: the registry on 127.0.0.1:5000 and a server
reached over a real OpenSSH connection (DOCKER_HOST=ssh://root@127.0.0.1:18022), whose
engine happens to be this machine's. The tests run in file order, as one story:
push -> save/load -> deploy -> ingest -> new version -> broken version (automatic
rollback) -> rollback -> faults, counting the rows and log lines after each step.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from deploystory import (
    API_PROBE,
    FAST_PROBE,
    HOST,
    PARSER_PROBE,
    REGISTRY,
    Story,
    remove_proxy,
    rewrite,
    ssh,
)

from helpers import REPO, copy_project, docker, dockyard, free_port

API_PORT = free_port(18080)
API = f"http://127.0.0.1:{API_PORT}"
# the api's probe in this story: a long start period only bounds a slow start (busy CI)
API_FAST = API_PROBE.replace(" }", ', interval = "2s", start-period = "300s" }')
BROKEN_PROBE = '{ command = ["false"], interval = "2s", retries = 2, start-period = "1s" }'

TARGET = """
[tool.dockyard.deploy.prod]
host = "{host}"
apps = ["parser", "api"]
directory = "{directory}"
health-timeout = "300s"
keep = 3

[tool.dockyard.deploy.prod.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]
env-file = ["deploy/parser.env"]

[tool.dockyard.deploy.prod.app.api]
ports = ["127.0.0.1:{port}:8000"]

[tool.dockyard.deploy.unreachable]
host = "ssh://root@127.0.0.1:18098"
apps = ["api"]
"""


class ProdStory(Story):
    """The story of this module: its api answers on API."""

    def running(self, version: str, parser: str | None = None) -> None:
        """Both apps healthy: the api at ``version``, the parser at ``parser`` (default the
        same; an app whose image content did not change keeps running its first release)."""
        assert self.status() == {
            "api": (version, "running (healthy)"),
            "parser": (parser or version, "running (healthy)"),
        }
        assert health()["status"] == "ok"


def health() -> dict:
    with urllib.request.urlopen(API + "/health", timeout=10) as response:
        return json.load(response)


def players() -> int:
    with urllib.request.urlopen(API + "/players", timeout=10) as response:
        return len(json.load(response))


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, base_image: str, ssh_env: dict):
    name = f"dkt{uuid.uuid4().hex[:6]}"
    directory = f"/var/tmp/dockyard-deploy-{name}"
    root = copy_project(REPO / "examples/lol_data", tmp_path_factory.mktemp("deploy") / "lol")
    manifest = root / "pyproject.toml"
    rewrite(manifest, 'name = "lol-data" ', f'name = "{name}"\nregistry = "{REGISTRY}/{name}" ')
    # probe every 2 s so that a deploy takes seconds, not a minute
    rewrite(manifest, PARSER_PROBE, PARSER_PROBE.replace(" }", FAST_PROBE))
    rewrite(manifest, API_PROBE, API_FAST)
    with manifest.open("a") as handle:
        handle.write(TARGET.format(host=HOST, directory=directory, port=API_PORT))
    (root / "deploy").mkdir()
    (root / "deploy/parser.env").write_text("POLL_SECONDS=1\n")
    dockyard(root, "lock")
    # this run's own proxy (one per server in real use; unique here, so runs do not meet)
    env = {**ssh_env, "DOCKYARD_PROXY": f"{name}-proxy"}
    result = ProdStory(root, env, name, directory)
    try:
        yield result
    finally:
        remote = {**ssh_env, "DOCKER_HOST": HOST}
        subprocess.run(
            ["docker", "compose", "-p", f"{name}-prod", "down", "--volumes", "--remove-orphans"],
            env=remote, capture_output=True, check=False,
        )  # fmt: skip
        docker("rm", "--force", f"{name}-prod-dockyard-lock", check=False)  # if interrupted
        remove_proxy(f"{name}-proxy")
        ssh(ssh_env, f"rm -rf {directory}")
        tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        mine = [t for t in tags if f"/{name}/" in t]
        if mine:
            docker("image", "rm", *mine, check=False)
        label = f"label=com.docker.compose.project={name}-prod"
        assert not docker("ps", "-aq", "--filter", label).stdout.strip()


def test_push_sends_only_layers_the_registry_lacks(story: ProdStory) -> None:
    story.versions.append(story.release("first release"))
    again = story.run("push", "parser", "api")
    assert "0 layer(s) sent" in again.stderr
    pushed = [line for line in again.stdout.splitlines() if line.startswith("pushed ")]
    assert len(pushed) == 4  # parser and api, each as <version> and <version>-<revision>
    for line in pushed:
        assert "(0 layer(s) sent" in line
    # and each prod image's provenance and SBOM are (again) next to it in the registry
    assert again.stdout.count("attached provenance + SBOM to ") == 2


def test_save_and_load_move_images_without_a_registry(story: ProdStory, tmp_path: Path) -> None:
    archive = tmp_path / "api.tar.gz"
    story.run("save", "api", "-o", str(archive))
    tag = f"127.0.0.1:5000/{story.name}/api:{story.versions[0]}"
    image_id = json.loads(docker("image", "inspect", tag).stdout)[0]["Id"]
    docker("image", "rm", tag)
    out = story.run("load", str(archive)).stdout
    assert f"loaded {tag}" in out
    assert json.loads(docker("image", "inspect", tag).stdout)[0]["Id"] == image_id
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    proc = story.run("load", str(bad), check=False)
    assert proc.returncode == 2
    assert "is not an image archive" in proc.stderr and "Traceback" not in proc.stderr


def test_first_deploy_over_ssh_runs_healthy(story: ProdStory) -> None:
    proc = story.run("deploy", "prod")
    assert "release 1" in proc.stderr and "is live" in proc.stderr
    story.running(story.versions[0])
    compose = ssh(story.env, f"cat {story.directory}/compose.yaml")
    assert compose.startswith("# Generated by dockyard")
    assert f"{story.directory}/logs:/app/logs" in compose and "@sha256:" in compose
    # the bind-mounted log dir belongs to the apps' non-root user, the env file to root only
    assert ssh(story.env, f"stat -c %u {story.directory}/logs").strip() == "10001"
    assert ssh(story.env, f"stat -c %a {story.directory}/deploy/parser.env").strip() == "600"


def test_ingest_on_the_server(story: ProdStory) -> None:
    for match in sorted((story.root / "data/matches").glob("*.json"))[:5]:
        name = f"{story.directory}/incoming/{match.name}"
        ssh(story.env, f"cat > {name}.part && mv {name}.part {name}", match.read_bytes())
    deadline = time.monotonic() + 60
    while health()["games"] < 5 and time.monotonic() < deadline:
        time.sleep(1)
    assert health()["games"] == 5
    assert any("ingested" in line for line in story.log_lines())


def test_new_version_keeps_data_and_logs(story: ProdStory) -> None:
    before = story.log_lines()
    count = players()
    app = story.root / "packages/lol_data_api/src/lol_data_api/app.py"
    app.write_text(app.read_text() + "\n# version 2\n")
    story.versions.append(story.release("second release"))
    story.run("deploy", "prod")
    # only the api's code changed: the parser's container is not replaced
    story.running(story.versions[1], parser=story.versions[0])
    assert health()["games"] == 5 and players() == count
    assert story.log_lines()[: len(before)] == before


def test_broken_version_rolls_back_by_itself(story: ProdStory) -> None:
    manifest = story.root / "pyproject.toml"
    rewrite(manifest, API_FAST, BROKEN_PROBE)
    story.versions.append(story.release("broken healthcheck"))
    proc = story.run("deploy", "prod", check=False)
    assert proc.returncode == 2
    error = proc.stderr.strip().splitlines()[-1]
    assert "api is unhealthy" in error
    assert "release 2" in error and "kept serving" in error
    assert "Traceback" not in proc.stderr
    story.running(story.versions[1], parser=story.versions[0])
    assert health()["games"] == 5


def test_rollback_goes_to_the_previous_release(story: ProdStory) -> None:
    story.run("rollback", "prod")
    story.running(story.versions[0])
    assert health()["games"] == 5
    state = json.loads(ssh(story.env, f"cat {story.directory}/dockyard-state.json"))
    assert state["current"] == 1 and [r["id"] for r in state["releases"]] == [2, 1]
    logs = story.run("logs", "prod", "parser", "--tail", "5").stdout
    assert "lol_data_parser" in logs


def test_k8s_manifests_name_the_pushed_digests(story: ProdStory, tmp_path: Path) -> None:
    import kubernetes_validate
    import yaml

    out = tmp_path / "k8s"
    story.run("k8s", "prod", "-o", str(out))
    repo = f"{REGISTRY}/{story.name}/api"
    manifest = docker(
        "buildx", "imagetools", "inspect", f"{repo}:{story.versions[-1]}",
        "--format", "{{json .Manifest}}",
    ).stdout  # fmt: skip
    deployment = yaml.safe_load((out / "api-deployment.yaml").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"{repo}@{json.loads(manifest)['digest']}"  # this revision, by digest
    for path in out.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        if doc["kind"] != "Kustomization":
            kubernetes_validate.validate(doc, "1.30.0", strict=True)


def _fails_cleanly(story: ProdStory, args: tuple[str, ...], *needles: str) -> None:
    proc = story.run(*args, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[-1], lines


@pytest.fixture
def still_serving(story: ProdStory):
    """After the test (and its manifest is restored): the last good release still serves."""
    yield
    story.running(story.versions[0])


def test_unreachable_server(story: ProdStory, still_serving: None) -> None:
    _fails_cleanly(story, ("deploy", "unreachable"), "cannot reach the engine at ssh://")


def test_registry_down(story: ProdStory, still_serving: None) -> None:
    manifest = story.root / "pyproject.toml"
    original = manifest.read_text()
    rewrite(manifest, "127.0.0.1:5000/", "127.0.0.1:18099/")
    try:
        _fails_cleanly(story, ("push", "api"), "registry 127.0.0.1:18099 does not answer")
        _fails_cleanly(story, ("deploy", "prod"), "registry 127.0.0.1:18099 does not answer")
    finally:
        manifest.write_text(original)


def test_target_naming_an_unknown_app(story: ProdStory, still_serving: None) -> None:
    manifest = story.root / "pyproject.toml"
    original = manifest.read_text()
    rewrite(manifest, 'apps = ["parser", "api"]', 'apps = ["parser", "api", "nope"]')
    try:
        _fails_cleanly(
            story, ("deploy", "prod"), "tool.dockyard.deploy.prod", "'nope' is not an app"
        )
    finally:
        manifest.write_text(original)


def test_image_that_does_not_exist(story: ProdStory, still_serving: None) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
         "-m", "not built"], cwd=story.root, check=True,
    )  # fmt: skip
    _fails_cleanly(story, ("deploy", "prod"), "is not in the registry", "dockyard push")


def test_no_orphans_and_kept_releases(story: ProdStory) -> None:
    remote = {**story.env, "DOCKER_HOST": HOST}
    names = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label=com.docker.compose.project={story.name}-prod",
         "--format", "{{.Names}}"], env=remote, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    # one container per app (blue/green numbers them on: api-1, api-2, ...)
    assert sorted(n.rsplit("-", 1)[0] for n in names) == [
        f"{story.name}-prod-api",
        f"{story.name}-prod-parser",
    ]
    assert shutil.which("ssh")
