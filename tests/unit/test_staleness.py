"""staleness.py: what an image's inputs hash covers (COPY sources, folders by content)."""

from __future__ import annotations

from pathlib import Path

from dockyard.staleness import dev_inputs_hash, tree_digest

DOCKERFILE = """\
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
    before = dev_inputs_hash(DOCKERFILE, "app", files.get)
    files[".dockyard/install.py"] = "v2"
    assert dev_inputs_hash(DOCKERFILE, "app", files.get) != before


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
