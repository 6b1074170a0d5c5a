"""A small typed client for the lol-data API (the bot's only data source)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

DEFAULT_API_URL = "http://localhost:8000"
TIMEOUT_SECONDS = 10.0


class ApiUnavailable(Exception):
    """The API did not answer, or answered with an error or unexpected content."""


class PlayerGame(BaseModel):
    game_id: str
    played_at: datetime
    champion: str
    role: str | None
    kills: int
    deaths: int
    assists: int
    win: bool


class Player(BaseModel):
    name: str
    games: int
    wins: int
    main_role: str | None
    recent_games: list[PlayerGame]


class RoleCount(BaseModel):
    role: str
    count: int


_ROLE_COUNTS = TypeAdapter(list[RoleCount])


def api_url_from_env() -> str:
    return os.environ.get("LOL_DATA_API_URL") or DEFAULT_API_URL


def make_client(base_url: str | None = None, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An HTTP client for the API at ``base_url`` (default: ``$LOL_DATA_API_URL``)."""
    return httpx.AsyncClient(base_url=base_url or api_url_from_env(), timeout=TIMEOUT_SECONDS, transport=transport)


async def fetch_player(client: httpx.AsyncClient, name: str, recent: int = 5) -> Player | None:
    """The player called ``name`` (case-insensitive), or None if the API does not know them."""
    data = await _get_json(client, f"/players/{quote(name, safe='')}", params={"recent": recent})
    if data is None:
        return None
    try:
        return Player.model_validate(data)
    except ValidationError as error:
        raise _unexpected(error) from error


async def fetch_role_counts(client: httpx.AsyncClient) -> list[RoleCount]:
    data = await _get_json(client, "/roles")
    if data is None:
        raise ApiUnavailable("GET /roles answered 404")
    try:
        return _ROLE_COUNTS.validate_python(data)
    except ValidationError as error:
        raise _unexpected(error) from error


async def _get_json(client: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None) -> Any:
    """The decoded JSON body, or None for a 404."""
    try:
        response = await client.get(path, params=params)
    except httpx.HTTPError as error:
        raise ApiUnavailable(f"{type(error).__name__}: {error}") from error
    if response.status_code == httpx.codes.NOT_FOUND:
        return None
    if response.is_error:
        raise ApiUnavailable(f"GET {path} answered {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        raise ApiUnavailable(f"GET {path} did not answer JSON") from error


def _unexpected(error: ValidationError) -> ApiUnavailable:
    return ApiUnavailable(f"unexpected answer from the API ({error.error_count()} validation errors)")
