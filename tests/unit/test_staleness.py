"""dockyard.staleness: the dev-inputs hash a dev image is labelled with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dockyard.staleness import chain, dev_inputs_hash, parse_stages, tree_digest
from helpers import render_project
from helpers import rewrite_manifest as _rewrite

# ---- staleness hash ----

DOCKERFILE = """\
FROM img@sha256:aa AS base
RUN true
FROM base AS uv
RUN make-uv
FROM base AS deps-a
RUN --mount=type=bind,from=uv,source=/uv,target=/uv \\
    --mount=type=bind,source=req/a.txt,target=/tmp/r.txt \\
    install
# a comment
FROM deps-a AS a-dev
RUN --mount=type=bind,source=packages/a,target=/workspace/packages/a \\
    install -e
FROM deps-a AS a
RUN build-prod
FROM base AS deps-b
RUN --mount=type=bind,source=req/b.txt,target=/tmp/r.txt install
"""
FILES = {"req/a.txt": "x==1\n", "req/b.txt": "y==1\n"}


def test_chain_follows_parents_and_mounted_stages() -> None:
    stages = parse_stages(DOCKERFILE)
    assert [s.name for s in chain(stages, "a-dev")] == ["base", "uv", "deps-a", "a-dev"]


def _hash(dockerfile: str = DOCKERFILE, files: dict[str, str] = FILES) -> str:
    return dev_inputs_hash(dockerfile, "a-dev", files.get)


def test_hash_is_stable_and_short() -> None:
    assert _hash() == _hash()
    assert re.fullmatch(r"[0-9a-f]{32}", _hash())


@pytest.mark.parametrize(
    "change",
    [
        lambda d, f: (d.replace("sha256:aa", "sha256:bb"), f),  # base re-pinned
        lambda d, f: (d.replace("make-uv", "make-uv2"), f),  # a mounted stage changed
        lambda d, f: (d, {**f, "req/a.txt": "x==2\n"}),  # the lock export changed
        lambda d, f: (d.replace("install -e", "install -e --more"), f),  # the dev stage
    ],
)
def test_hash_changes_with_every_input(change) -> None:
    dockerfile, files = change(DOCKERFILE, FILES)
    assert _hash(dockerfile, files) != _hash()


@pytest.mark.parametrize(
    "change",
    [
        lambda d, f: (d.replace("build-prod", "build-prod2"), f),  # the prod stage
        lambda d, f: (d, {**f, "req/b.txt": "y==2\n"}),  # another app's export
        lambda d, f: (d.replace("# a comment", "# another comment\n"), f),  # comments
        lambda d, f: (d, {**f, "packages/a": "source edits are mounted"}),  # never read
    ],
)
def test_hash_ignores_what_the_dev_image_does_not_read(change) -> None:
    dockerfile, files = change(DOCKERFILE, FILES)
    if "packages/a" in files:
        files = {**files}
        files.pop("packages/a")
    assert _hash(dockerfile, files) == _hash()


def test_hash_of_an_unknown_stage_is_an_error() -> None:
    with pytest.raises(ValueError, match="no stage named 'nope'"):
        dev_inputs_hash(DOCKERFILE, "nope", FILES.get)


def test_rendered_hash_changes_when_the_lock_export_does(locked_mini: Path) -> None:
    before = json.loads(render_project(locked_mini)["docker-bake.json"])["target"]
    label = "io.dockyard.dev-inputs"
    assert re.fullmatch(r"[0-9a-f]{32}", before["web-dev"]["labels"][label])
    assert label not in before["web"]["labels"]
    _rewrite(locked_mini, 'command = ["mini-tool"]', 'command = ["mini-tool"]\nwritable = ["/x"]')
    after = json.loads(render_project(locked_mini)["docker-bake.json"])["target"]
    assert after["web-dev"]["labels"] == before["web-dev"]["labels"]
    assert after["tool-dev"]["labels"] != before["tool-dev"]["labels"]


# ---- what a prod image's inputs hash covers: COPY sources, folders by content ----

TOOLS_DOCKERFILE = """\
FROM base AS uv
RUN true
FROM scratch AS tools
COPY --from=uv /opt/uv/bin/uv /uv
COPY .dockyard/install.py /install.py
FROM base AS app
RUN --mount=from=tools,dst=/opt/dockyard \\
    --mount=type=bind,source=packages/app,target=/src/packages/app \\
    python3 /opt/dockyard/install.py members app==1=/src/packages/app
"""


def test_a_copied_file_is_an_input_of_every_stage_that_mounts_its_stage() -> None:
    files = {".dockyard/install.py": "v1", "packages/app": None}
    before = dev_inputs_hash(TOOLS_DOCKERFILE, "app", files.get)
    files[".dockyard/install.py"] = "v2"
    assert dev_inputs_hash(TOOLS_DOCKERFILE, "app", files.get) != before


def test_a_tree_digest_follows_content_and_skips_what_dockerignore_drops(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    code = tmp_path / "src" / "m.py"
    code.write_text("x = 1\n")
    ignored = ["**/__pycache__", "**/*.py[cod]", "**/.venv"]
    before = tree_digest(tmp_path, ignored)
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x").write_text("y")
    assert tree_digest(tmp_path, ignored) == before
    code.write_text("x = 2\n")
    assert tree_digest(tmp_path, ignored) != before
    code.write_text("x = 1\n")
    code.chmod(0o755)  # an executable bit is content too
    assert tree_digest(tmp_path, ignored) != before
