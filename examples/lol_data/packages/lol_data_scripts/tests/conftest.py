from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lol_data.db import create_schema, make_engine, session_scope
from lol_data.enums import ROLES, Team
from lol_data.models import Game, Participation, Player

BLUE_PLAYERS = ("IronWall", "Shadowstep", "Starcaller", "Longshot", "Lantern")
RED_PLAYERS = ("Granite", "Wildgrowth", "Emberheart", "Volley", "Mender")
WINNERS = (Team.BLUE, Team.BLUE, Team.RED)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lol.db'}"


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """Three 30-minute games between the same two teams: blue wins twice."""
    with session_scope(empty_engine) as session:
        players = {name: Player(name=name) for name in BLUE_PLAYERS + RED_PLAYERS}
        for day, winner in enumerate(WINNERS, start=1):
            game = Game(
                id=f"G{day}",
                played_at=datetime(2024, 3, day, 18, tzinfo=UTC),
                duration_seconds=1800,
                patch="14.4",
                winner=winner,
            )
            for team, names in ((Team.BLUE, BLUE_PLAYERS), (Team.RED, RED_PLAYERS)):
                for name, role in zip(names, ROLES, strict=True):
                    game.participations.append(
                        Participation(
                            player=players[name],
                            team=team,
                            win=team == winner,
                            role=role,
                            champion=f"{role.capitalize()}Champ{day % 2}",
                            kills=4,
                            deaths=day - 1,
                            assists=2,
                            gold=12000,
                            cs=240,
                            jungle_cs=30,
                            vision_score=25,
                            avg_x=5000.0,
                            avg_y=5000.0,
                        )
                    )
            session.add(game)
    return empty_engine
