"""The script that switches a route file in the proxy container, run here by sh (the proxy
image's shell is the base's; the integration tests run it in the real proxy)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dockyard.engine.proxy import _SWITCH_ROUTE, switched_from


def _switch(path: Path, dial: str) -> tuple[int, str | None]:
    proc = subprocess.run(
        ["sh", "-c", _SWITCH_ROUTE, "sh", str(path)],
        input=dial + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, switched_from(proc.stdout)


def test_a_switch_writes_the_file_and_says_what_it_named_before(tmp_path: Path) -> None:
    route = tmp_path / "routes" / "lol-prod.api.18080"
    assert _switch(route, "lol-prod-api-1:8000") == (0, None)  # no file before
    assert route.read_text() == "lol-prod-api-1:8000\n"
    assert _switch(route, "lol-prod-api-2:8000") == (0, "lol-prod-api-1:8000")
    assert route.read_text() == "lol-prod-api-2:8000\n"
    assert not list(route.parent.glob("*.new"))  # replaced by a rename


def test_a_file_that_names_the_upstream_already_is_left_alone(tmp_path: Path) -> None:
    route = tmp_path / "lol-prod.api.18080"
    route.write_text("lol-prod-api-1:8000\n")
    before = route.stat().st_mtime_ns, route.stat().st_ino
    assert _switch(route, "lol-prod-api-1:8000") == (0, "lol-prod-api-1:8000")
    assert (route.stat().st_mtime_ns, route.stat().st_ino) == before


def test_a_route_that_cannot_be_written_fails_the_script(tmp_path: Path) -> None:
    blocker = tmp_path / "routes"
    blocker.write_text("a file where the folder should be\n")
    code, _ = _switch(blocker / "lol-prod.api.18080", "lol-prod-api-1:8000")
    assert code != 0
