"""HTTP routes: thin wrappers over ``lol_data.queries``."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from lol_data import queries
from lol_data.db import session_scope
from lol_data.schemas import GameDetail, GameSummary, PlayerDetail, PlayerSummary, RoleCount
from lol_data_api.deps import EngineDep, SessionDep

log = logging.getLogger(__name__)

router = APIRouter()


class Health(BaseModel):
    status: str
    games: int


class Unavailable(BaseModel):
    status: str
    detail: str


@router.get("/health", response_model=Health, responses={503: {"model": Unavailable}})
def health(engine: EngineDep) -> Health | JSONResponse:
    """200 with the number of games when the database answers, 503 otherwise."""
    try:
        with session_scope(engine) as session:
            return Health(status="ok", games=queries.count_games(session))
    except SQLAlchemyError as error:
        log.warning("health check failed: %s", error)
        body = Unavailable(status="unavailable", detail="database unavailable")
        return JSONResponse(status_code=503, content=body.model_dump())


@router.get("/games", response_model=list[GameSummary])
def list_games(session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[GameSummary]:
    """The latest games, newest first."""
    return queries.list_games(session, limit=limit)


@router.get("/games/{game_id}", response_model=GameDetail)
def get_game(game_id: str, session: SessionDep) -> GameDetail:
    game = queries.get_game(session, game_id)
    if game is None:
        raise HTTPException(status_code=404, detail=f"game {game_id!r} not found")
    return game


@router.get("/players", response_model=list[PlayerSummary])
def list_players(session: SessionDep) -> list[PlayerSummary]:
    return queries.list_players(session)


@router.get("/players/{name}", response_model=PlayerDetail)
def get_player(name: str, session: SessionDep, recent: Annotated[int, Query(ge=1, le=50)] = 5) -> PlayerDetail:
    """A player (case-insensitive name) with main role and recent games."""
    player = queries.get_player(session, name, recent=recent)
    if player is None:
        raise HTTPException(status_code=404, detail=f"player {name!r} not found")
    return player


@router.get("/roles", response_model=list[RoleCount])
def roles(session: SessionDep) -> list[RoleCount]:
    """How many participations were classified in each role."""
    return queries.role_counts(session)
