"""Read queries returning API-ready schemas (safe to use after the session closes)."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session, selectinload

from lol_data.enums import ROLES, Role, Team
from lol_data.models import Game, Participation, Player
from lol_data.schemas import (
    GameDetail,
    GameSummary,
    ParticipantOut,
    PlayerDetail,
    PlayerGame,
    PlayerSummary,
    RoleCount,
)

_WINS = func.coalesce(func.sum(Participation.win.cast(Integer)), 0)


def count_games(session: Session) -> int:
    return session.scalar(select(func.count(Game.id))) or 0


def list_games(session: Session, *, limit: int = 50) -> list[GameSummary]:
    """The most recent games first."""
    games = session.scalars(select(Game).order_by(Game.played_at.desc(), Game.id).limit(limit))
    return [_game_summary(game) for game in games]


def get_game(session: Session, game_id: str) -> GameDetail | None:
    """A game with its ten participants (blue side first, then by role)."""
    game = session.scalar(
        select(Game)
        .where(Game.id == game_id)
        .options(selectinload(Game.participations).selectinload(Participation.player))
    )
    if game is None:
        return None
    lines = sorted(game.participations, key=lambda p: (p.team != Team.BLUE, _role_rank(p.role)))
    participants = [
        ParticipantOut(
            player=p.player.name,
            team=p.team,
            win=p.win,
            role=p.role,
            champion=p.champion,
            kills=p.kills,
            deaths=p.deaths,
            assists=p.assists,
            gold=p.gold,
            cs=p.cs,
            vision_score=p.vision_score,
        )
        for p in lines
    ]
    return GameDetail(**_game_summary(game).model_dump(), participants=participants)


def list_players(session: Session) -> list[PlayerSummary]:
    """Every player, alphabetically, with games played, wins and main role."""
    rows = session.execute(
        select(Player.id, Player.name, func.count(Participation.id), _WINS)
        .join(Participation, Participation.player_id == Player.id)
        .group_by(Player.id, Player.name)
        .order_by(Player.name)
    )
    roles = _role_counts_by_player(session)
    return [
        PlayerSummary(name=name, games=games, wins=wins, main_role=main_role(roles[player_id]))
        for player_id, name, games, wins in rows
    ]


def get_player(session: Session, name: str, *, recent: int = 5) -> PlayerDetail | None:
    """A player (name matched case-insensitively) with their ``recent`` latest games."""
    player = session.scalar(select(Player).where(func.lower(Player.name) == name.lower()))
    if player is None:
        return None
    games, wins = session.execute(
        select(func.count(Participation.id), _WINS).where(Participation.player_id == player.id)
    ).one()
    latest = session.scalars(
        select(Participation)
        .join(Participation.game)
        .where(Participation.player_id == player.id)
        .order_by(Game.played_at.desc())
        .limit(recent)
        .options(selectinload(Participation.game))
    )
    recent_games = [
        PlayerGame(
            game_id=p.game_id,
            played_at=p.game.played_at,
            champion=p.champion,
            role=p.role,
            kills=p.kills,
            deaths=p.deaths,
            assists=p.assists,
            win=p.win,
        )
        for p in latest
    ]
    return PlayerDetail(
        name=player.name,
        games=games,
        wins=wins,
        main_role=main_role(_role_counts_by_player(session, player.id)[player.id]),
        recent_games=recent_games,
    )


def role_counts(session: Session) -> list[RoleCount]:
    """How many participations were classified in each role (every role listed)."""
    rows = session.execute(
        select(Participation.role, func.count()).where(Participation.role.is_not(None)).group_by(Participation.role)
    )
    counts: dict[Role | None, int] = {role: count for role, count in rows}
    return [RoleCount(role=role, count=counts.get(role, 0)) for role in ROLES]


def main_role(counts: Counter[Role]) -> Role | None:
    """The most played role; ties go to the role listed first in ``ROLES``."""
    if not counts:
        return None
    return max(counts, key=lambda role: (counts[role], -_role_rank(role)))


def _role_counts_by_player(session: Session, player_id: int | None = None) -> defaultdict[int, Counter[Role]]:
    query = (
        select(Participation.player_id, Participation.role, func.count())
        .where(Participation.role.is_not(None))
        .group_by(Participation.player_id, Participation.role)
    )
    if player_id is not None:
        query = query.where(Participation.player_id == player_id)
    counts: defaultdict[int, Counter[Role]] = defaultdict(Counter)
    for pid, role, count in session.execute(query):
        if role is not None:
            counts[pid][role] = count
    return counts


def _role_rank(role: Role | None) -> int:
    return ROLES.index(role) if role is not None else len(ROLES)


def _game_summary(game: Game) -> GameSummary:
    return GameSummary(
        id=game.id,
        played_at=game.played_at,
        duration_seconds=game.duration_seconds,
        patch=game.patch,
        winner=game.winner,
    )
