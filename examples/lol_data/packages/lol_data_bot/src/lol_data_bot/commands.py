"""Bot commands: ask the API, answer with a short text reply.

Each command takes an ``httpx.AsyncClient`` (see ``api.make_client``) and never raises
for an unknown player or an unreachable API: it answers so in plain words.
"""

from __future__ import annotations

import logging

import httpx

from lol_data_bot.api import ApiUnavailable, Player, RoleCount, fetch_player, fetch_role_counts

log = logging.getLogger(__name__)

API_DOWN = "The lol-data API is not answering right now, please try again in a minute."
NO_GAMES = "No games have been parsed yet."


async def recent_games(client: httpx.AsyncClient, player: str, count: int = 5) -> str:
    """``!games <player>``: the player's latest games."""
    try:
        found = await fetch_player(client, player, recent=count)
    except ApiUnavailable as error:
        log.warning("API unavailable: %s", error)
        return API_DOWN
    return unknown_player(player) if found is None else format_recent_games(found)


async def player_role(client: httpx.AsyncClient, player: str) -> str:
    """``!role <player>``: the role the player plays most."""
    try:
        found = await fetch_player(client, player, recent=1)
    except ApiUnavailable as error:
        log.warning("API unavailable: %s", error)
        return API_DOWN
    return unknown_player(player) if found is None else format_player_role(found)


async def top_roles(client: httpx.AsyncClient) -> str:
    """``!roles``: how often each role was seen, most frequent first."""
    try:
        counts = await fetch_role_counts(client)
    except ApiUnavailable as error:
        log.warning("API unavailable: %s", error)
        return API_DOWN
    return format_role_counts(counts)


def unknown_player(name: str) -> str:
    return f"I don't know any player called {name!r}."


def format_recent_games(player: Player) -> str:
    if not player.recent_games:
        return f"{player.name} has no games yet."
    lines = [f"Last {len(player.recent_games)} games of {player.name} ({_record(player)}):"]
    for game in player.recent_games:
        result = "win" if game.win else "loss"
        role = f" {game.role}" if game.role else ""
        lines.append(
            f"- {game.played_at:%Y-%m-%d} {result} as {game.champion}{role}, "
            f"{game.kills}/{game.deaths}/{game.assists} ({game.game_id})"
        )
    return "\n".join(lines)


def format_player_role(player: Player) -> str:
    if player.main_role is None:
        return f"{player.name} has no classified games yet."
    return f"{player.name} mainly plays {player.main_role} ({_record(player)})."


def format_role_counts(counts: list[RoleCount]) -> str:
    if not any(c.count for c in counts):
        return NO_GAMES
    ranked = sorted(counts, key=lambda c: c.count, reverse=True)
    return "Games per role:\n" + "\n".join(f"- {c.role}: {c.count}" for c in ranked)


def _record(player: Player) -> str:
    games = "game" if player.games == 1 else "games"
    return f"{player.games} {games}, {player.wins} won"
