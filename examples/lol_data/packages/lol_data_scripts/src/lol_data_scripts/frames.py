"""The database as pandas DataFrames, for notebooks and one-off scripts."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Executable, select

from lol_data.enums import ROLES
from lol_data.models import Game, Participation, Player


def games_frame(engine: Engine) -> pd.DataFrame:
    """One row per game, oldest first."""
    query = select(Game.id, Game.played_at, Game.duration_seconds, Game.patch, Game.winner).order_by(Game.played_at)
    return _frame(engine, query)


def participations_frame(engine: Engine) -> pd.DataFrame:
    """One row per player per game, with ``kda`` and per-minute ``cs_per_min`` added."""
    query = (
        select(
            Participation.game_id,
            Game.played_at,
            Game.patch,
            Game.duration_seconds,
            Player.name.label("player"),
            Participation.team,
            Participation.win,
            Participation.role,
            Participation.champion,
            Participation.kills,
            Participation.deaths,
            Participation.assists,
            Participation.gold,
            Participation.cs,
            Participation.jungle_cs,
            Participation.vision_score,
        )
        .join(Participation.game)
        .join(Participation.player)
        .order_by(Game.played_at, Participation.id)
    )
    frame = _frame(engine, query)
    frame["kda"] = (frame["kills"] + frame["assists"]) / frame["deaths"].clip(lower=1)
    frame["cs_per_min"] = (frame["cs"] + frame["jungle_cs"]) / (frame["duration_seconds"] / 60)
    return frame


def role_winrates(participations: pd.DataFrame, by: str | None = "player") -> pd.DataFrame:
    """Games, wins, win rate and mean KDA per role, optionally split by another column.

    With ``by=None`` the index is the role alone (each game has one winner per role,
    so this mostly shows how many games were classified); with ``by="player"`` or
    ``by="champion"`` it is ``(by, role)``. Roles sort in their conventional order.
    """
    keys = ["role"] if by is None else [by, "role"]
    summary = participations.groupby(keys, observed=True).agg(
        games=("win", "size"), wins=("win", "sum"), kda=("kda", "mean")
    )
    summary["winrate"] = summary["wins"] / summary["games"]
    return summary[["games", "wins", "winrate", "kda"]]


def _frame(engine: Engine, query: Executable) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(query)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in ("team", "winner", "role"):
        if column in frame:  # enums come back as StrEnum members: keep the plain values
            frame[column] = frame[column].map(lambda value: None if value is None else str(value))
    if "role" in frame:  # ordered categories: groupby and sort follow top -> support
        frame["role"] = pd.Categorical(frame["role"], categories=list(ROLES), ordered=True)
    return frame
