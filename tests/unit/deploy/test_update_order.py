"""How each app is replaced on a compose target, and the state file's note (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.deploy.release import State, add_release, dump_state, parse_state, with_note
from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.render.server import update_order

TARGET = """
[tool.dockyard.deploy.prod]
apps = ["web"]

[tool.dockyard.deploy.prod.app.web]
{settings}
"""


@pytest.mark.parametrize(
    ("settings", "order"),
    [
        ('ports = ["8080:8080"]\nvolumes = ["state:/state"]', "start-first"),
        ('ports = []\nvolumes = ["state:/state"]', "stop-first"),
        ('ports = []\nvolumes = ["./in:/in:ro"]', "start-first"),
        ('ports = []\nvolumes = ["state:/state"]\nupdate = "start-first"', "start-first"),
        ('ports = []\nvolumes = []\nupdate = "stop-first"', "stop-first"),
    ],
)
def test_update_order(mini: Path, settings: str, order: str) -> None:
    with (mini / "pyproject.toml").open("a") as handle:
        handle.write(TARGET.format(settings=settings))
    project = load_project(mini)
    assert update_order(project, project.deploy["prod"], "web") == order


def test_an_unknown_update_order_is_named(mini: Path) -> None:
    with (mini / "pyproject.toml").open("a") as handle:
        handle.write(TARGET.format(settings='update = "all-at-once"'))
    with pytest.raises(DockyardError, match="update"):
        load_project(mini)


def test_a_note_survives_the_state_file_and_a_release_clears_it() -> None:
    state, _ = add_release(
        State(), images={"a": "r@x"}, versions={"a": "1"}, compose="c", deployed_at="t", keep=2
    )
    noted = with_note(state, "deploy failed: x; release 1 kept running")
    again = parse_state(dump_state(noted), "here")
    assert again.note == noted.note and again.current == 1
    later, _ = add_release(
        again, images={"a": "r@y"}, versions={"a": "2"}, compose="d", deployed_at="u", keep=2
    )
    assert later.note is None


def test_drain_timeout_is_a_duration(mini: Path) -> None:
    with (mini / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.dockyard.deploy.prod]\napps = ["web"]\ndrain-timeout = "2m"\n')
    assert load_project(mini).deploy["prod"].drain_seconds == 120
