"""The image graph on a real engine: layer reuse, the shared layer, a clean prod image."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
import uuid
from pathlib import Path

from dockyard.layerfile import open_layer
from helpers import FIXTURES, copy_project, docker, dockyard, inspect, layers

APPS = ("web", "tool")


def _prod_tags(root: Path) -> dict[str, str]:
    built = json.loads(dockyard(root, "build", "--json").stdout)
    assert {b["app"] for b in built} == set(APPS)
    assert all(b["target"] == "prod" for b in built)
    return {b["app"]: b["image"] for b in built}


def test_build_json_lists_every_image(mini_built: Path) -> None:
    built = json.loads(dockyard(mini_built, "build", "--all", "--json").stdout)
    pairs = {(b["app"], b["target"]): b for b in built}
    assert set(pairs) == {(a, t) for a in APPS for t in ("prod", "dev")}
    assert pairs[("web", "prod")]["image"] == "mini/web:0.2.0"
    assert pairs[("tool", "dev")]["image"] == "mini/tool:dev"
    revision = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=mini_built,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert any(revision in tag for tag in pairs[("web", "prod")]["tags"])
    for b in built:
        assert inspect(b["image"])["Id"] == b["id"]


def test_common_layer_is_shared_by_every_app(mini_built: Path, base_image: str) -> None:
    tags = _prod_tags(mini_built)
    base_count = len(layers(base_image))
    stacks = {app: layers(tag) for app, tag in tags.items()}
    # base layers, the user layer, WORKDIR /app, the venv, then deps-common: the same in
    # every app image
    prefixes = {tuple(stack[: base_count + 4]) for stack in stacks.values()}
    assert len(prefixes) == 1
    common = stacks["web"][base_count + 3]
    assert common != stacks["web"][base_count + 2]
    # ... and it holds the shared package (attrs), importable in both apps
    for tag in tags.values():
        out = docker("run", "--rm", tag, "python", "-c", "import attrs; print(attrs.__file__)")
        assert out.stdout.startswith("/opt/venv/")


def test_library_edit_reuses_every_third_party_layer(mini_built: Path, tmp_path: Path) -> None:
    before = {app: layers(tag) for app, tag in _prod_tags(mini_built).items()}
    lib = mini_built / "packages/mini_lib/src/mini_lib/__init__.py"
    lib.write_text(lib.read_text().replace('f"{self.word}, {name}"', 'f"{self.word}, {name}!"'))
    after_tags = _prod_tags(mini_built)
    new = set()
    for app, tag in after_tags.items():
        after = layers(tag)
        assert len(after) == len(before[app])
        # every layer is reused unchanged but the library's own (its code stage's) ...
        changed = [i for i, (a, b) in enumerate(zip(after, before[app], strict=True)) if a != b]
        assert len(changed) == 1, app
        # ... which sits on the app's packages, below the app's own code
        assert after[changed[0] + 1 :] == before[app][changed[0] + 1 :], app
        new.add(after[changed[0]])
    assert len(new) == 1  # one blob for every app: built once, pushed once
    out = docker(
        "run",
        "--rm",
        after_tags["web"],
        "python",
        "-c",
        "from mini_lib import greet; print(greet('ada'))",
    )
    assert out.stdout.strip() == "hello, ada!"
    assert docker("run", "--rm", after_tags["tool"]).stdout.startswith("hello, tool!")


def _step_ran(output: str, stage: str) -> bool:
    """Did BuildKit run ``stage``'s one step (not taken from its cache)? Plain progress:
    `#12 [tool heavy.packaging 1/1] RUN ...`, then `#12 CACHED` or `#12 DONE 1.2s`."""
    steps = re.findall(rf"^#(\d+) \[(?:\S+ )?{re.escape(stage)} 1/1\] RUN", output, re.M)
    assert steps, f"no step of {stage} in the build output"
    return any(re.search(rf"^#{n} DONE", output, re.M) for n in steps)


def test_a_change_to_a_shared_group_installs_no_heavy_package_again(
    base_image: str, tmp_path: Path
) -> None:
    """attrs, in deps-common (every app), moves to another version; the tool's heavy
    package (packaging, named heavy) does not sit on deps-common: its stage stays cached
    and its layer is the same blob. (The groups were once a chain of install steps with
    the heavy packages on top: any change below installed them all again.)"""
    root = copy_project(FIXTURES / "mini", tmp_path / "mini")
    manifest = root / "pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace(
            '[tool.dockyard]\nname = "mini"\n',
            '[tool.dockyard]\nname = "mini-heavy"\nheavy = ["packaging"]\n',
        )
    )
    dockyard(root, "lock")
    dockyard(root, "build", "tool")
    before = layers("mini-heavy/tool:0.3.0")
    lib = root / "packages/mini_lib/pyproject.toml"
    lib.write_text(lib.read_text().replace('"attrs>=23"', '"attrs==25.3.0"'))
    dockyard(root, "lock")
    out = dockyard(root, "build", "tool")
    assert "attrs==25.3.0" in (root / ".dockyard/requirements/common.txt").read_text()
    log = out.stdout + out.stderr
    # (deps-common's new step may come from the cache of an earlier run on this engine:
    # the layer below shows that it changed)
    assert not _step_ran(log, "heavy.packaging")
    after = layers("mini-heavy/tool:0.3.0")
    heavy = len(layers(base_image)) + 3  # base, the user, WORKDIR, the venv, heavy.packaging
    assert after[heavy] == before[heavy] and after[heavy + 1] != before[heavy + 1]
    checked = "import attrs, packaging; assert attrs.__version__ == '25.3.0'"
    docker("run", "--rm", "mini-heavy/tool:0.3.0", "python", "-c", checked)
    names = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "mini-heavy/tool")
    docker("image", "rm", *names.stdout.split(), check=False)


def test_prod_images_run_as_non_root(mini_built: Path) -> None:
    for app, tag in _prod_tags(mini_built).items():
        config = inspect(tag)["Config"]
        assert config["User"] == "10001:10001", app
        uid = docker("run", "--rm", "--entrypoint", "id", tag, "-u").stdout.strip()
        assert uid == "10001", app
    assert inspect("mini/web:0.2.0")["Config"]["Healthcheck"]["Test"][0] == "CMD"
    assert inspect("mini/web:0.2.0")["Config"]["Cmd"] == ["python", "-m", "mini_web"]
    labels = inspect("mini/web:0.2.0")["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == "0.2.0"


def _layer_members(tag: str) -> list[tuple[str, bytes]]:
    """(path, content) of every file in every layer of ``tag``, via `docker save`."""
    saved = subprocess.run(["docker", "save", tag], capture_output=True, check=True).stdout
    files = []
    with tarfile.open(fileobj=io.BytesIO(saved)) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with open_layer(outer.extractfile(layer)) as inner:
                for member in inner:
                    data = inner.extractfile(member).read() if member.isfile() else b""
                    files.append((member.name, data))
        config = outer.extractfile(manifest[0]["Config"]).read()
    files.append(("<config>", config))
    return files


def test_secrets_never_reach_a_layer(mini_built: Path, tmp_path: Path) -> None:
    marker = f"dockyard-secret-{uuid.uuid4().hex}"
    index_password = f"pw-{uuid.uuid4().hex}"
    host_ca = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(f"# {marker}\n".encode() + Path(host_ca).read_bytes())
    env = {**os.environ, "UV_INDEX_PRIVATE_PASSWORD": index_password}
    # a change to the app forces the steps that use the secrets to run again
    app = mini_built / "packages/mini_web/src/mini_web/__init__.py"
    app.write_text(app.read_text() + f"# {uuid.uuid4().hex}\n")
    dockyard(mini_built, "build", "--all", "--ca-bundle", str(bundle), env=env)
    for tag in ("mini/web:0.2.0", "mini/web:dev", "mini/tool:0.3.0"):
        history = docker("history", "--no-trunc", tag).stdout
        assert marker not in history and index_password not in history
        for path, data in _layer_members(tag):
            assert marker.encode() not in data, f"{tag}: CA bundle baked into {path}"
            assert index_password.encode() not in data, f"{tag}: password baked into {path}"


def test_prod_images_hold_no_caches_tests_or_uv(mini_built: Path) -> None:
    for tag in _prod_tags(mini_built).values():
        paths = [p for p, _ in _layer_members(tag)]
        assert not [p for p in paths if p.startswith(("root/.cache", "root/.cache/uv"))], tag
        assert not [p for p in paths if "/.cache/pip" in p], tag
        assert not [p for p in paths if p.endswith("usr/local/bin/uv") or p == "opt/uv/bin/uv"]
        assert not [p for p in paths if "/tests/" in p and "mini_" in p], tag
        assert not [p for p in paths if p.startswith("src/packages")], tag


def test_verify_names_the_layer_and_files_that_differ(mini_built: Path) -> None:
    """A step that writes the clock into a file makes verify fail and say where."""
    pyproject = mini_built / "pyproject.toml"
    original = pyproject.read_text()
    dockerfile = mini_built / "Dockerfile"
    try:
        # a healthcheck command is harmless; the clock goes in through a writable dir's file
        dockyard(mini_built, "generate")
        text = dockerfile.read_text().replace(
            "USER 10001:10001\nHEALTHCHECK",
            "RUN date +%s%N > /app/stamp\nUSER 10001:10001\nHEALTHCHECK",
            1,
        )
        dockerfile.write_text(text)
        # build from the edited Dockerfile: verify must not regenerate over it
        proc = dockyard(mini_built, "verify", "web", "--no-generate", check=False)
    finally:
        pyproject.write_text(original)
        dockyard(mini_built, "generate")
    assert proc.returncode == 1
    assert "DIFFERENT  web" in proc.stdout
    assert "    app/stamp: mtime, sha256 differ\n" in proc.stdout


def test_a_command_module_the_member_does_not_install_fails_the_build(
    mini_built: Path, tmp_path: Path
) -> None:
    """The code stage of the member holding an app's command module looks for it: a
    script naming a module the wheel lacks stops the build with one line, and the
    image built before keeps its tag."""
    root = tmp_path / "mini"
    subprocess.run(["cp", "-a", str(mini_built), str(root)], check=True)
    before = inspect("mini/tool:0.3.0")["Id"]
    pyproject = root / "packages/mini_tool/pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"mini_tool:main"', '"mini_tool.gone:main"'))
    proc = dockyard(root, "build", "tool", check=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "docker buildx bake failed for tool: app tool cannot start: its command runs " in last
    assert "mini_tool.gone, which mini-tool 0.3.0 does not install" in last
    assert "Traceback" not in proc.stderr
    assert inspect("mini/tool:0.3.0")["Id"] == before
