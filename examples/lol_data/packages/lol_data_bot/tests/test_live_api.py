"""Integration tests against a LIVE lol-data API holding the bundled sample matches.

``dockyard`` starts the API container (with the parser's database) before running these;
locally, see the workspace README. They fail, rather than skip, when no API answers:
deselect them with ``-m "not live"`` when you only want the unit tests.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

from lol_data_bot.api import api_url_from_env, make_client
from lol_data_bot.commands import player_role, recent_games, top_roles

pytestmark = pytest.mark.live

READY_TIMEOUT_SECONDS = 20.0
# One sample player per role (see data/generate_samples.py).
MAIN_ROLES = {"IronWall": "top", "Shadowstep": "jungle", "Starcaller": "mid", "Longshot": "bot", "Lantern": "support"}


@functools.cache
def wait_for_api(url: str) -> str | None:
    """None once ``url`` reports a healthy API with games, else what went wrong last."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    problem = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/health", timeout=2.0)
            if response.status_code == 200 and response.json().get("games", 0) > 0:
                return None
            problem = f"/health answered {response.status_code}: {response.text[:200]}"
        except (httpx.HTTPError, ValueError) as error:
            problem = f"{type(error).__name__}: {error}"
        time.sleep(0.5)
    return problem


def ask(command: Callable[..., Coroutine[Any, Any, str]], *args: str) -> str:
    """Run a bot command against the live API, failing the test if there is none."""
    url = api_url_from_env()
    problem = wait_for_api(url)
    if problem is not None:
        pytest.fail(
            f"no lol-data API with ingested games at LOL_DATA_API_URL={url} within "
            f"{READY_TIMEOUT_SECONDS:.0f} s ({problem}). These tests need the live API "
            "(dockyard starts it for the bot's tests).",
            pytrace=False,
        )

    async def go() -> str:
        async with make_client(url) as client:
            return await command(client, *args)

    return asyncio.run(go())


@pytest.mark.parametrize(("player", "role"), MAIN_ROLES.items())
def test_role_of_known_players(player: str, role: str) -> None:
    assert ask(player_role, player).startswith(f"{player} mainly plays {role} (")


def test_recent_games_of_a_known_player() -> None:
    reply = ask(recent_games, "lantern")
    lines = reply.splitlines()
    assert lines[0].startswith("Last 5 games of Lantern (")
    assert len(lines) == 6
    assert all(" support, " in line and "(EUW1_" in line for line in lines[1:])


def test_roles_lists_every_role() -> None:
    lines = ask(top_roles).splitlines()
    assert lines[0] == "Games per role:"
    assert sorted(line.split(":")[0].removeprefix("- ") for line in lines[1:]) == sorted(MAIN_ROLES.values())


def test_unknown_player() -> None:
    assert ask(player_role, "Definitely Not A Player") == "I don't know any player called 'Definitely Not A Player'."
