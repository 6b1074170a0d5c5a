"""Outside a git checkout the image tag is only the version, which anyone can push again:
dockyard deploys the image this tree built (by digest) or refuses. Real registry on
127.0.0.1:5000, real engine."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import FIXTURES, REPO, docker, dockyard

REGISTRY = "127.0.0.1:5000"
TARGET = '\n[tool.dockyard.deploy.t]\napps = ["web"]\ndirectory = "/var/tmp/{name}"\n'


@pytest.fixture(scope="module")
def no_git(tmp_path_factory: pytest.TempPathFactory, base_image: str):
    subprocess.run([str(REPO / "scripts/ensure-registry.sh")], capture_output=True, check=True)
    name = f"dy-nogit-{uuid.uuid4().hex[:6]}"
    root = tmp_path_factory.mktemp("nogit") / "mini"
    shutil.copytree(FIXTURES / "mini", root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    path = root / "pyproject.toml"
    text = path.read_text().replace(
        '[tool.dockyard]\nname = "mini"',
        f'[tool.dockyard]\nname = "{name}"\nregistry = "{REGISTRY}/{name}"',
    )
    path.write_text(text + TARGET.format(name=name))
    dockyard(root, "lock")
    dockyard(root, "build", "web", "tool")
    dockyard(root, "push", "web", "tool")
    yield root, f"{REGISTRY}/{name}"
    tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    mine = [tag for tag in tags if tag.startswith((f"{REGISTRY}/{name}/", f"{name}/"))]
    if mine:
        docker("image", "rm", *mine, check=False)


def _digest(ref: str) -> str:
    return (
        docker("buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest.Digest}}")
        .stdout.strip()
        .strip('"')
    )


def test_the_image_built_here_is_deployed_by_digest(no_git, tmp_path: Path) -> None:
    root, repo = no_git
    dockyard(root, "k8s", "t", "--output", str(tmp_path))
    manifests = "".join(p.read_text() for p in tmp_path.iterdir())
    assert f"{repo}/web@{_digest(f'{repo}/web:0.2.0')}" in manifests


def test_a_tag_pushed_from_elsewhere_is_refused(no_git, tmp_path: Path) -> None:
    root, repo = no_git
    built = docker("image", "inspect", "--format", "{{.Id}}", f"{repo}/web:0.2.0").stdout.strip()
    try:
        # someone else pushes another image under the same version tag
        docker("tag", f"{repo}/tool:0.3.0", f"{repo}/web:0.2.0")
        docker("push", "--quiet", f"{repo}/web:0.2.0")
        docker("tag", built, f"{repo}/web:0.2.0")  # this engine's tag still names our build
        for args in (["deploy", "t"], ["k8s", "t", "--output", str(tmp_path)]):
            proc = dockyard(root, *args, check=False)
            assert proc.returncode == 2, proc.stderr
            assert "Traceback" not in proc.stderr
            assert "is not a git checkout" in proc.stderr
            assert "not an image this engine built and pushed" in proc.stderr
        assert not list(tmp_path.iterdir())
    finally:
        docker("push", "--quiet", f"{repo}/web:0.2.0", check=False)
