from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine

from lol_data.enums import ROLES
from lol_data_scripts.frames import games_frame, participations_frame, role_winrates


def test_games_frame(engine: Engine) -> None:
    games = games_frame(engine)
    assert list(games.columns) == ["id", "played_at", "duration_seconds", "patch", "winner"]
    assert list(games["id"]) == ["G1", "G2", "G3"]
    assert list(games["winner"]) == ["blue", "blue", "red"]
    assert games["played_at"].iloc[0] == pd.Timestamp(datetime(2024, 3, 1, 18, tzinfo=UTC))


def test_participations_frame(engine: Engine) -> None:
    frame = participations_frame(engine)
    assert len(frame) == 30
    first = frame.iloc[0]
    assert (first["game_id"], first["player"], first["team"], first["role"]) == ("G1", "IronWall", "blue", "top")
    assert first["kda"] == 6.0  # (4 + 2) / max(0 deaths, 1)
    assert frame["kda"].iloc[-1] == 3.0  # (4 + 2) / 2 deaths
    assert first["cs_per_min"] == pytest.approx(9.0)
    assert list(frame["role"].cat.categories) == list(ROLES)


def test_role_winrates_per_player(engine: Engine) -> None:
    summary = role_winrates(participations_frame(engine))
    assert list(summary.columns) == ["games", "wins", "winrate", "kda"]
    row = summary.loc[("IronWall", "top")]
    assert (row["games"], row["wins"]) == (3, 2)
    assert row["winrate"] == pytest.approx(2 / 3)
    assert row["kda"] == pytest.approx((6 + 6 + 3) / 3)
    assert len(summary) == 10


def test_role_winrates_per_role_follow_role_order(engine: Engine) -> None:
    summary = role_winrates(participations_frame(engine), by=None)
    assert list(summary.index) == list(ROLES)
    assert summary["games"].tolist() == [6] * 5
    assert summary["winrate"].tolist() == [0.5] * 5


def test_role_winrates_per_champion(engine: Engine) -> None:
    summary = role_winrates(participations_frame(engine), by="champion")
    assert summary.loc[("TopChamp1", "top"), "games"] == 4  # games 1 and 3, both teams


def test_empty_database(empty_engine: Engine) -> None:
    assert games_frame(empty_engine).empty
    frame = participations_frame(empty_engine)
    assert frame.empty
    assert "kda" in frame
    assert role_winrates(frame).empty
