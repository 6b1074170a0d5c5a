from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

from lol_data_bot.api import make_client

PLAYER: dict[str, Any] = {
    "name": "IronWall",
    "games": 14,
    "wins": 7,
    "main_role": "top",
    "recent_games": [
        {
            "game_id": "EUW1_6800020",
            "played_at": "2024-03-21T10:45:00Z",
            "champion": "Aatrox",
            "role": "top",
            "kills": 3,
            "deaths": 1,
            "assists": 7,
            "win": True,
        },
        {
            "game_id": "EUW1_6800018",
            "played_at": "2024-03-19T15:59:00Z",
            "champion": "K'Sante",
            "role": "top",
            "kills": 0,
            "deaths": 4,
            "assists": 2,
            "win": False,
        },
    ],
}
ROLES = [
    {"role": "top", "count": 40},
    {"role": "jungle", "count": 39},
    {"role": "mid", "count": 41},
    {"role": "bot", "count": 40},
    {"role": "support", "count": 40},
]

Handler = Callable[[httpx.Request], httpx.Response]


def fake_api(request: httpx.Request) -> httpx.Response:
    """A canned lol-data API: knows IronWall only."""
    if request.url.path == "/roles":
        return httpx.Response(200, json=ROLES)
    if request.url.path.lower() == "/players/ironwall":
        recent = int(request.url.params.get("recent", "5"))
        return httpx.Response(200, json={**PLAYER, "recent_games": PLAYER["recent_games"][:recent]})
    return httpx.Response(404, json={"detail": "not found"})


@pytest.fixture
def transport() -> httpx.MockTransport:
    return httpx.MockTransport(fake_api)


@pytest.fixture
def call() -> Callable[..., Any]:
    """Run ``command(client, *args)`` against a mock transport (default: ``fake_api``)."""

    def run(command: Callable[..., Coroutine[Any, Any, str]], *args: Any, handler: Handler = fake_api) -> str:
        async def go() -> str:
            async with make_client("http://api.test", transport=httpx.MockTransport(handler)) as client:
                return await command(client, *args)

        return asyncio.run(go())

    return run
