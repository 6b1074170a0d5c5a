from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from lol_data import queries
from lol_data.db import session_scope
from lol_data.enums import Role, Team
from lol_data.models import Game

AddGame = Callable[..., Game]
BLUE, RED = Team.BLUE, Team.RED


@pytest.fixture
def filled(engine: Engine, add_game: AddGame) -> Engine:
    with session_scope(engine) as session:
        add_game(session, "G1", 1, [("IronWall", BLUE, Role.TOP), ("Lantern", RED, Role.SUPPORT)], winner=BLUE)
        add_game(session, "G2", 2, [("IronWall", RED, Role.TOP), ("Lantern", BLUE, Role.SUPPORT)], winner=BLUE)
        add_game(session, "G3", 3, [("IronWall", BLUE, Role.MID), ("Mender", RED, None)], winner=RED)
    return engine


def test_list_games_newest_first(filled: Engine) -> None:
    with session_scope(filled) as session:
        games = queries.list_games(session)
        assert [g.id for g in games] == ["G3", "G2", "G1"]
        assert games[0].played_at == datetime(2024, 3, 3, 18, 0, tzinfo=UTC)
        assert [g.id for g in queries.list_games(session, limit=1)] == ["G3"]
        assert queries.count_games(session) == 3


def test_get_game_orders_participants(filled: Engine, add_game: AddGame) -> None:
    with session_scope(filled) as session:
        add_game(
            session,
            "G4",
            4,
            [("Lantern", RED, Role.SUPPORT), ("Mender", BLUE, Role.SUPPORT), ("IronWall", BLUE, Role.TOP)],
        )
        game = queries.get_game(session, "G4")
    assert game is not None
    assert [(p.player, p.team, p.role) for p in game.participants] == [
        ("IronWall", BLUE, Role.TOP),
        ("Mender", BLUE, Role.SUPPORT),
        ("Lantern", RED, Role.SUPPORT),
    ]
    assert game.model_dump(mode="json")["participants"][0]["team"] == "blue"


def test_get_game_unknown(filled: Engine) -> None:
    with session_scope(filled) as session:
        assert queries.get_game(session, "nope") is None


def test_list_players(filled: Engine) -> None:
    with session_scope(filled) as session:
        players = {p.name: p for p in queries.list_players(session)}
    assert list(players) == ["IronWall", "Lantern", "Mender"]
    assert (players["IronWall"].games, players["IronWall"].wins, players["IronWall"].main_role) == (3, 1, Role.TOP)
    assert (players["Lantern"].games, players["Lantern"].wins, players["Lantern"].main_role) == (2, 1, Role.SUPPORT)
    assert (players["Mender"].games, players["Mender"].wins, players["Mender"].main_role) == (1, 1, None)


def test_get_player_is_case_insensitive_with_recent_games(filled: Engine) -> None:
    with session_scope(filled) as session:
        player = queries.get_player(session, "ironwall", recent=2)
    assert player is not None
    assert player.name == "IronWall"
    assert (player.games, player.wins, player.main_role) == (3, 1, Role.TOP)
    assert [(g.game_id, g.role, g.win) for g in player.recent_games] == [
        ("G3", Role.MID, False),
        ("G2", Role.TOP, False),
    ]


def test_get_player_unknown(filled: Engine) -> None:
    with session_scope(filled) as session:
        assert queries.get_player(session, "Nobody") is None


def test_role_counts_lists_every_role(filled: Engine) -> None:
    with session_scope(filled) as session:
        counts = {c.role: c.count for c in queries.role_counts(session)}
    assert counts == {Role.TOP: 2, Role.JUNGLE: 0, Role.MID: 1, Role.BOT: 0, Role.SUPPORT: 2}


def test_main_role_breaks_ties_by_role_order() -> None:
    assert queries.main_role(Counter({Role.SUPPORT: 2, Role.JUNGLE: 2})) == Role.JUNGLE
    assert queries.main_role(Counter()) is None
