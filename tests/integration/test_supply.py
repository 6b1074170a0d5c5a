"""Supply chain on real parts: cyclonedx-py against the built images, cosign with key
pairs made here, the loopback registry (127.0.0.1:5000) and a compose target reached
over real ssh (DOCKER_HOST=ssh://root@127.0.0.1:18022). One story, in file order:
SBOMs -> keygen -> push -> its unsigned provenance and SBOM read back from the registry
-> unsigned deploy refused -> sign -> deploy -> signed provenance read back from the
registry -> an unsigned and a wrong-key release refused while the signed one keeps
serving -> a swarm target refuses the same way.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tomllib
import urllib.request
import uuid
from pathlib import Path

import pytest
from deploystory import API_PROBE, HOST, PARSER_PROBE, REGISTRY, commit, remove_proxy, rewrite

from dockyard.engine import cosign
from helpers import REPO, copy_project, docker, dockyard

PASSWORD = "correct horse battery staple"

TARGETS = """
[tool.dockyard.deploy.prod]
host = "{host}"
apps = ["parser", "api"]
directory = "{directory}"
health-timeout = "300s"
require-signature = "keys/signing.pub"

[tool.dockyard.deploy.prod.app.parser]
volumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]
env-file = ["deploy/parser.env"]

[tool.dockyard.deploy.prod.app.api]
ports = ["127.0.0.1:{port}:8000"]

[tool.dockyard.deploy.cluster]
kind = "swarm"
apps = ["api"]
require-signature = "keys/signing.pub"
"""


def _locked_versions(root: Path, name: str) -> set[str]:
    lock = tomllib.loads((root / "uv.lock").read_text())
    return {p["version"] for p in lock["package"] if p["name"] == name}


class Story:
    def __init__(self, root: Path, env: dict[str, str], name: str, port: int, keys: Path):
        self.root, self.env, self.name, self.port, self.keys = root, env, name, port, keys
        self.serving: str | None = None  # the api digest that should be serving

    def run(
        self, *args: str, check: bool = True, password: str | None = None
    ) -> subprocess.CompletedProcess:
        env = dict(self.env) if password is None else {**self.env, "COSIGN_PASSWORD": password}
        return dockyard(self.root, *args, check=check, env=env, stdin=subprocess.DEVNULL)

    def revision(self) -> str:
        return subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=self.root, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip

    def digest(self, app: str) -> str:
        ref = f"{REGISTRY}/{self.name}/{app}:0.1.0-{self.revision()}"
        proc = docker("buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest}}")
        return json.loads(proc.stdout)["digest"]

    def health(self) -> dict:
        url = f"http://127.0.0.1:{self.port}/health"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def running_api_image(self) -> str:
        label = f"label=com.docker.compose.project={self.name}-prod"
        api = "label=com.docker.compose.service=api"
        ids = docker("ps", "-q", "--filter", label, "--filter", api)
        out = docker("inspect", "--format", "{{.Config.Image}}", *ids.stdout.split())
        return out.stdout.strip()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, base_image: str, ssh_env: dict):
    subprocess.run([str(REPO / "scripts/ensure-cosign.sh")], capture_output=True, check=True)
    name = f"dkp{uuid.uuid4().hex[:6]}"
    # this run's own proxy (one per server in real use; unique here, so runs do not meet)
    env = {**ssh_env, "DOCKYARD_PROXY": f"{name}-proxy"}
    env.pop("COSIGN_PASSWORD", None)
    port = 18300 + int(name[3:], 16) % 100
    directory = f"/var/tmp/dockyard-supply-{name}"
    base = tmp_path_factory.mktemp("supply")
    root = copy_project(REPO / "examples/lol_data", base / "lol")
    manifest = root / "pyproject.toml"
    rewrite(manifest, 'name = "lol-data" ', f'name = "{name}"\nregistry = "{REGISTRY}/{name}" ')
    # probe every 2 s, but give a busy shared machine minutes to start the parser
    fast = ', interval = "2s", timeout = "30s", start-period = "240s" }'
    rewrite(manifest, PARSER_PROBE, PARSER_PROBE.replace(" }", fast))
    rewrite(manifest, API_PROBE, API_PROBE.replace(" }", fast))
    with manifest.open("a") as handle:
        handle.write(TARGETS.format(host=HOST, directory=directory, port=port))
    (root / "deploy").mkdir()
    (root / "deploy/parser.env").write_text("POLL_SECONDS=1\n")
    dockyard(root, "lock")
    dockyard(root, "generate")
    commit(root, "targets that require signatures")
    result = Story(root, env, name, port, base / "keys")
    try:
        yield result
    finally:
        remote = {**env, "DOCKER_HOST": HOST}
        subprocess.run(
            ["docker", "compose", "-p", f"{name}-prod", "down", "--volumes", "--remove-orphans"],
            env=remote, capture_output=True, check=False,
        )  # fmt: skip
        remove_proxy(f"{name}-proxy")
        subprocess.run(["rm", "-rf", directory], check=False)
        tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        mine = [t for t in tags if f"/{name}/" in t]
        if mine:
            docker("image", "rm", *mine, check=False)


def test_sbom_lists_what_the_lock_pins(story: Story) -> None:
    out = story.run("build", "--sbom", "parser", "api").stdout
    assert "sbom parser" in out and "sbom api" in out
    rev = story.revision()
    folder = story.root / ".dockyard/supply"
    parser = json.loads((folder / f"parser-0.1.0-{rev}.cdx.json").read_text())
    api = json.loads((folder / f"api-0.1.0-{rev}.cdx.json").read_text())
    assert parser["specVersion"] == "1.6" and parser["bomFormat"] == "CycloneDX"

    def versions(bom: dict, name: str) -> set[str]:
        return {c["version"] for c in bom["components"] if c["name"].lower() == name}

    assert versions(parser, "scikit-learn") == _locked_versions(story.root, "scikit-learn")
    assert versions(api, "fastapi") == _locked_versions(story.root, "fastapi")
    assert not versions(api, "scikit-learn")  # only what the api's venv holds
    # the base image's Debian packages, from its dpkg status
    debs = [c for c in parser["components"] if c["purl"].startswith("pkg:deb/debian/")]
    assert any(c["name"] == "libc6" for c in debs), len(debs)
    # the subject is the image, by ID
    tag = f"{REGISTRY}/{story.name}/parser:0.1.0-{rev}"
    image_id = json.loads(docker("image", "inspect", tag).stdout)[0]["Id"]
    assert parser["metadata"]["component"]["type"] == "container"
    assert image_id.split(":")[1] in parser["metadata"]["component"]["purl"]
    # reproducible: the same image gives the same bytes
    first = (folder / f"parser-0.1.0-{rev}.cdx.json").read_bytes()
    story.run("sbom", "parser")
    assert (folder / f"parser-0.1.0-{rev}.cdx.json").read_bytes() == first
    # and the SBOM files never make the tree dirty (the next build's revision)
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=story.root, capture_output=True, text=True
    )
    assert status.stdout == ""


def test_keygen_keeps_the_private_key_out_of_the_project(story: Story) -> None:
    inside = story.run("keygen", "--key", str(story.root / "signing.key"), check=False,
                       password=PASSWORD)  # fmt: skip
    assert inside.returncode == 2 and "inside the project" in inside.stderr
    assert not (story.root / "signing.key").exists()
    no_password = story.run("keygen", "--key", str(story.keys / "dy.key"), check=False)
    assert no_password.returncode == 2 and "COSIGN_PASSWORD" in no_password.stderr
    story.run("keygen", "--key", str(story.keys / "dy.key"), password=PASSWORD)
    assert (story.keys / "dy.key").stat().st_mode & 0o077 == 0
    assert b"ENCRYPTED" in (story.keys / "dy.key").read_bytes()
    (story.root / "keys").mkdir()
    (story.root / "keys/signing.pub").write_bytes((story.keys / "dy.pub").read_bytes())
    commit(story.root, "the public key deploys trust")
    story.run("build", "parser", "api")
    pushed = story.run("push", "parser", "api")
    assert pushed.stdout.count("attached provenance + SBOM") == 2


def _assert_names_image_and_inputs(story: Story, statement: dict, digest: str) -> None:
    """A provenance statement of this revision's image: subject, commit, lock hashes."""
    assert statement["subject"][0]["digest"]["sha256"] == digest.split(":")[1]
    predicate = statement["predicate"]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=story.root, capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    assert predicate["buildDefinition"]["externalParameters"]["source"]["commit"] == commit
    deps = {d.get("name"): d for d in predicate["buildDefinition"]["resolvedDependencies"]}
    for lock in ("uv.lock", "dockyard.lock"):
        lock_sha = hashlib.sha256((story.root / lock).read_bytes()).hexdigest()
        assert deps[lock]["digest"]["sha256"] == lock_sha
    assert deps["base-image"]["digest"]
    assert predicate["runDetails"]["builder"]["id"]


def _registry_get(path: str, accept: str | None = None) -> bytes:
    request = urllib.request.Request(f"http://{REGISTRY}/v2/{path}")
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def test_push_attaches_provenance_read_back_from_the_registry(story: Story) -> None:
    """After `dockyard push` and before any `sign`: the statement is in the registry as an
    OCI artifact whose subject is the image, listed by the referrers tag schema's index
    (distribution 2.8 has no referrers API), read here with plain HTTP and with
    `dockyard provenance`."""
    digest = story.digest("parser")
    repo = f"{story.name}/parser"
    index = json.loads(_registry_get(f"{repo}/manifests/sha256-{digest.split(':')[1]}",
                                     "application/vnd.oci.image.index.v1+json"))  # fmt: skip
    types = {m["artifactType"]: m for m in index["manifests"]}
    assert set(types) == {"application/vnd.in-toto+json", "application/vnd.cyclonedx+json"}
    entry = types["application/vnd.in-toto+json"]
    manifest = json.loads(_registry_get(f"{repo}/manifests/{entry['digest']}",
                                        "application/vnd.oci.image.manifest.v1+json"))  # fmt: skip
    assert manifest["subject"]["digest"] == digest
    assert manifest["artifactType"] == "application/vnd.in-toto+json"
    [layer] = manifest["layers"]
    statement = json.loads(_registry_get(f"{repo}/blobs/{layer['digest']}"))
    _assert_names_image_and_inputs(story, statement, digest)
    # the same statement through the CLI, and the SBOM beside it
    proc = story.run("provenance", "parser")
    assert json.loads(proc.stdout) == statement
    assert f"{REGISTRY}/{repo}@{digest}" in proc.stderr
    bom = json.loads(story.run("provenance", "parser", "--sbom").stdout)
    assert "scikit-learn" in {c["name"] for c in bom["components"]}


def test_unsigned_images_are_refused_before_the_server_changes(story: Story) -> None:
    proc = story.run("deploy", "prod", check=False)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "refused parser" in line and story.digest("parser") in line
    assert "not signed by keys/signing.pub" in line
    label = f"label=com.docker.compose.project={story.name}-prod"
    assert docker("ps", "-aq", "--filter", label).stdout.strip() == ""


def test_signed_images_deploy(story: Story) -> None:
    proc = story.run("sign", "parser", "api", "--key", str(story.keys / "dy.key"),
                     password=PASSWORD)  # fmt: skip
    assert PASSWORD not in proc.stdout + proc.stderr
    for app in ("parser", "api"):
        assert story.digest(app) in proc.stdout
    story.run("deploy", "prod")
    assert story.health()["status"] == "ok"
    story.serving = story.digest("api")
    assert story.running_api_image().endswith(story.serving)


def test_provenance_and_sbom_are_read_back_from_the_registry(story: Story) -> None:
    reference = f"{REGISTRY}/{story.name}/parser@{story.digest('parser')}"
    public = story.keys / "dy.pub"
    [statement] = cosign.verify_attestation(reference, public, "slsaprovenance1")
    _assert_names_image_and_inputs(story, statement, story.digest("parser"))
    [bom] = cosign.verify_attestation(reference, public, "cyclonedx")
    names = {c["name"] for c in bom["predicate"]["components"]}
    assert "scikit-learn" in names


def _new_release(story: Story, message: str) -> None:
    routes = story.root / "packages/lol_data_api/src/lol_data_api/routes.py"
    routes.write_text(routes.read_text() + f"\n# {message}\n")
    commit(story.root, message)
    story.run("build", "parser", "api")
    story.run("push", "parser", "api")


def test_unsigned_release_is_refused_and_the_signed_one_keeps_serving(story: Story) -> None:
    _new_release(story, "an unsigned release")
    proc = story.run("deploy", "prod", check=False)
    assert proc.returncode == 2
    parser = f"{REGISTRY}/{story.name}/parser@{story.digest('parser')}"
    assert f"refused parser {parser}" in proc.stderr
    assert story.health()["status"] == "ok"
    assert story.running_api_image().endswith(story.serving)


def test_release_signed_by_another_key_is_refused(story: Story) -> None:
    story.run("keygen", "--key", str(story.keys / "other.key"), password="other")
    story.run("sign", "parser", "api", "--key", str(story.keys / "other.key"),
              password="other")  # fmt: skip
    proc = story.run("deploy", "prod", check=False)
    assert proc.returncode == 2
    assert story.digest("parser") in proc.stderr and "not signed by" in proc.stderr
    assert story.health()["status"] == "ok"
    assert story.running_api_image().endswith(story.serving)


def test_swarm_target_refuses_the_same_way(story: Story) -> None:
    proc = story.run("deploy", "cluster", check=False)
    assert proc.returncode == 2
    assert f"refused api {REGISTRY}/{story.name}/api@{story.digest('api')}" in proc.stderr
    # an engine that is not (or no longer: test_swarm leaves) a swarm manager has no stacks
    stacks = docker("stack", "ls", "--format", "{{.Name}}", check=False)
    assert stacks.returncode == 0 or "not a swarm manager" in stacks.stderr, stacks.stderr
    assert f"{story.name}-cluster" not in stacks.stdout.split()


def test_save_and_load_carry_sbom_and_provenance(story: Story, tmp_path: Path) -> None:
    archive = tmp_path / "api.tar.gz"
    story.run("save", "api", "-o", str(archive))
    proc = story.run("load", str(archive))
    folder = tmp_path / "api.supply"
    assert str(folder) in proc.stderr
    rev = story.revision()
    sbom = (folder / f"api-0.1.0-{rev}.cdx.json").read_bytes()
    assert sbom == (story.root / f".dockyard/supply/api-0.1.0-{rev}.cdx.json").read_bytes()
    statement = json.loads((folder / f"api-0.1.0-{rev}.provenance.json").read_text())
    tag = f"{REGISTRY}/{story.name}/api:0.1.0-{rev}"
    image_id = json.loads(docker("image", "inspect", tag).stdout)[0]["Id"]
    assert statement["subject"][0]["digest"]["sha256"] == image_id.split(":")[1]
