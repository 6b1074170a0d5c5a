from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lol_data.db import create_schema, make_engine
from lol_data.enums import Role, Team
from lol_data.models import Game, Participation, Player


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lol.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def add_game() -> Callable[..., Game]:
    """Insert a game whose participants are given as ``(player, team, role)`` tuples."""

    def add(
        session: Session,
        game_id: str,
        day: int,
        lines: list[tuple[str, Team, Role | None]],
        winner: Team = Team.BLUE,
    ) -> Game:
        game = Game(
            id=game_id,
            played_at=datetime(2024, 3, day, 18, 0, tzinfo=UTC),
            duration_seconds=1800,
            patch="14.4",
            winner=winner,
        )
        session.add(game)
        for name, team, role in lines:
            player = session.scalar(select(Player).where(Player.name == name)) or Player(name=name)
            game.participations.append(
                Participation(
                    player=player,
                    team=team,
                    win=team == winner,
                    champion=f"Champ{len(game.participations)}",
                    kills=3,
                    deaths=2,
                    assists=5,
                    gold=11000,
                    cs=200,
                    jungle_cs=4,
                    vision_score=20,
                    avg_x=7000.0,
                    avg_y=7000.0,
                    role=role,
                )
            )
        session.flush()
        return game

    return add
