from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lol_data.db import create_schema, make_engine, session_scope
from lol_data.enums import ROLES, Role, Team
from lol_data.models import Game, Participation, Player
from lol_data_api.app import create_app

BLUE_PLAYERS = ("IronWall", "Shadowstep", "Starcaller", "Longshot", "Lantern")
RED_PLAYERS = ("Granite", "Wildgrowth", "Emberheart", "Volley", "Mender")


def fill(engine: Engine) -> None:
    """Two games between the same ten players; in the second, Lantern and Longshot swap."""
    with session_scope(engine) as session:
        players = {name: Player(name=name) for name in BLUE_PLAYERS + RED_PLAYERS}
        for day, winner in ((1, Team.BLUE), (2, Team.RED)):
            game = Game(
                id=f"EUW1_{day}",
                played_at=datetime(2024, 3, day, 18, tzinfo=UTC),
                duration_seconds=1800,
                patch="14.4",
                winner=winner,
            )
            for team, names in ((Team.BLUE, BLUE_PLAYERS), (Team.RED, RED_PLAYERS)):
                roles: list[Role] = list(ROLES)
                if day == 2 and team is Team.BLUE:
                    roles[3], roles[4] = Role.SUPPORT, Role.BOT
                for name, role in zip(names, roles, strict=True):
                    game.participations.append(
                        Participation(
                            player=players[name],
                            team=team,
                            win=team == winner,
                            role=role,
                            champion=f"{name}Champ",
                            kills=day,
                            deaths=1,
                            assists=2,
                            gold=10000,
                            cs=200,
                            jungle_cs=0,
                            vision_score=20,
                            avg_x=5000.0,
                            avg_y=5000.0,
                        )
                    )
            session.add(game)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lol.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    fill(engine)
    with TestClient(create_app(lambda: engine)) as client:
        yield client
