"""Pydantic schemas: the match files the parser reads and the JSON the API returns."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, model_validator

from lol_data.enums import Role, Team

MAP_SIZE = 15_000
TEAM_SIZE = 5

MapCoordinate = Annotated[float, Field(ge=0, le=MAP_SIZE)]


# --- match files -------------------------------------------------------------------


class MatchParticipant(BaseModel):
    """One participant of a match file; ``avg_x``/``avg_y`` are the mean map position."""

    player: Annotated[str, Field(min_length=1, max_length=64)]
    team: Team
    champion: Annotated[str, Field(min_length=1, max_length=32)]
    kills: NonNegativeInt
    deaths: NonNegativeInt
    assists: NonNegativeInt
    gold: NonNegativeInt
    cs: NonNegativeInt
    jungle_cs: NonNegativeInt
    vision_score: NonNegativeInt
    avg_x: MapCoordinate
    avg_y: MapCoordinate


class MatchFile(BaseModel):
    """A match file as dropped in the parser's incoming directory."""

    match_id: Annotated[str, Field(min_length=1, max_length=64)]
    played_at: AwareDatetime
    duration_seconds: PositiveInt
    patch: Annotated[str, Field(min_length=1, max_length=16)]
    winner: Team
    participants: list[MatchParticipant]

    @model_validator(mode="after")
    def _two_full_teams(self) -> Self:
        per_team = Counter(p.team for p in self.participants)
        if any(per_team[team] != TEAM_SIZE for team in Team):
            raise ValueError(f"expected {TEAM_SIZE} participants per team, got {dict(per_team)}")
        names = [p.player for p in self.participants]
        if len(set(names)) != len(names):
            raise ValueError("a player appears twice in the match")
        return self

    @property
    def minutes(self) -> float:
        return self.duration_seconds / 60


# --- API payloads -----------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class GameSummary(_Out):
    id: str
    played_at: datetime
    duration_seconds: int
    patch: str
    winner: Team


class ParticipantOut(_Out):
    player: str
    team: Team
    win: bool
    role: Role | None
    champion: str
    kills: int
    deaths: int
    assists: int
    gold: int
    cs: int
    vision_score: int


class GameDetail(GameSummary):
    participants: list[ParticipantOut]


class PlayerSummary(_Out):
    name: str
    games: int
    wins: int
    main_role: Role | None


class PlayerGame(_Out):
    """A game seen from one player's side."""

    game_id: str
    played_at: datetime
    champion: str
    role: Role | None
    kills: int
    deaths: int
    assists: int
    win: bool


class PlayerDetail(PlayerSummary):
    recent_games: list[PlayerGame]


class RoleCount(_Out):
    role: Role
    count: int
