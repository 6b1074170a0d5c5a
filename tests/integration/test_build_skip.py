"""`dockyard build` leaves BuildKit alone when an image's inputs are unchanged, and prod
images carry reproducible bytecode for third-party and first-party code."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import docker, dockyard, inspect


def _ids(root: Path, *args: str) -> tuple[dict[str, str], str]:
    proc = dockyard(root, "build", "--json", *args)
    return {(b["app"] + "-" + b["target"]): b["id"] for b in json.loads(proc.stdout)}, proc.stderr


def test_a_build_with_nothing_changed_never_calls_buildkit(mini_built: Path) -> None:
    before, _ = _ids(mini_built, "--all")
    after, log = _ids(mini_built, "--all")
    assert after == before
    assert "up to date (same inputs): web, web-dev, tool, tool-dev" in log
    assert "docker buildx bake" not in log and "#1 " not in log


def test_an_edit_to_one_app_rebuilds_only_that_app(mini_built: Path) -> None:
    before, _ = _ids(mini_built)
    code = mini_built / "packages/mini_tool/src/mini_tool/__init__.py"
    code.write_text(code.read_text() + "\nEDITED = True\n")
    # the web image is left alone and gets the revision tag it lacks (as after a commit)
    (web,) = json.loads(dockyard(mini_built, "build", "--json", "web").stdout)
    docker("image", "rm", web["tags"][1])
    after, log = _ids(mini_built)
    assert "up to date (same inputs): web" in log
    assert after["web-prod"] == before["web-prod"]
    assert inspect(web["tags"][1])["Id"] == web["id"]
    assert after["tool-prod"] != before["tool-prod"]
    labels = inspect("mini/tool:0.3.0")["Config"]["Labels"]
    assert len(labels["io.dockyard.inputs"]) == 32
    # every tag names the new image: the bake gives it one, dockyard the rest
    code.write_text(code.read_text() + "\nEDITED_AGAIN = True\n")
    (tool,) = json.loads(dockyard(mini_built, "build", "--json", "tool").stdout)
    assert len(tool["tags"]) == 2 and tool["id"] != after["tool-prod"]
    assert {inspect(tag)["Id"] for tag in tool["tags"]} == {tool["id"]}


PROBE = """
import importlib.util, sys
for name in sys.argv[1:]:
    spec = importlib.util.find_spec(name)
    with open(spec.cached, "rb") as f:
        flags = int.from_bytes(f.read(8)[4:8], "little")
    print(name, flags)
"""


def test_prod_images_ship_unchecked_hash_bytecode(mini_built: Path) -> None:
    out = docker("run", "--rm", "mini/web:0.2.0", "python", "-c", PROBE, "attrs", "mini_lib")
    # 1: hash-based and never checked against the source (PEP 552), third-party and ours
    assert out.stdout.split() == ["attrs", "1", "mini_lib", "1"]
