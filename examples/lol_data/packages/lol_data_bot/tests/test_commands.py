from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lol_data_bot.api import Player
from lol_data_bot.commands import (
    API_DOWN,
    NO_GAMES,
    format_player_role,
    format_recent_games,
    format_role_counts,
    player_role,
    recent_games,
    top_roles,
)

Call = Callable[..., Any]


def test_recent_games(call: Call) -> None:
    assert call(recent_games, "ironwall") == (
        "Last 2 games of IronWall (14 games, 7 won):\n"
        "- 2024-03-21 win as Aatrox top, 3/1/7 (EUW1_6800020)\n"
        "- 2024-03-19 loss as K'Sante top, 0/4/2 (EUW1_6800018)"
    )


def test_player_role(call: Call) -> None:
    assert call(player_role, "IronWall") == "IronWall mainly plays top (14 games, 7 won)."


def test_top_roles_most_frequent_first(call: Call) -> None:
    assert call(top_roles) == "Games per role:\n- mid: 41\n- top: 40\n- bot: 40\n- support: 40\n- jungle: 39"


@pytest.mark.parametrize("command", [recent_games, player_role])
def test_unknown_player(call: Call, command: Any) -> None:
    assert call(command, "Nobody") == "I don't know any player called 'Nobody'."


def test_player_names_are_escaped_in_the_url(call: Call) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(404)

    call(player_role, "a/b c", handler=handler)
    assert seen == ["/players/a%2Fb%20c?recent=1"]


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    "handler",
    [
        refuse,
        lambda _request: httpx.Response(503, json={"status": "unavailable"}),
        lambda _request: httpx.Response(200, text="<html>proxy error</html>"),
        lambda _request: httpx.Response(200, json={"unexpected": True}),
    ],
    ids=["refused", "503", "not-json", "wrong-shape"],
)
@pytest.mark.parametrize("command", [recent_games, player_role, top_roles])
def test_api_down(call: Call, command: Any, handler: Any) -> None:
    args = () if command is top_roles else ("IronWall",)
    assert call(command, *args, handler=handler) == API_DOWN


def test_formatting_edge_cases() -> None:
    newcomer = Player(name="Rookie", games=0, wins=0, main_role=None, recent_games=[])
    assert format_recent_games(newcomer) == "Rookie has no games yet."
    assert format_player_role(newcomer) == "Rookie has no classified games yet."
    assert format_role_counts([]) == NO_GAMES
    one = Player(name="Solo", games=1, wins=1, main_role="mid", recent_games=[])
    assert format_player_role(one) == "Solo mainly plays mid (1 game, 1 won)."
