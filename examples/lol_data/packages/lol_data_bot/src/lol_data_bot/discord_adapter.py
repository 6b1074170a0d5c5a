"""discord.py wiring: ``!games <player>``, ``!role <player>`` and ``!roles``."""

from __future__ import annotations

import logging
from typing import Any

import discord
import httpx
from discord.ext import commands

from lol_data_bot import commands as replies
from lol_data_bot.api import make_client

log = logging.getLogger(__name__)

PREFIX = "!"


class LolDataCog(commands.Cog):
    """Forwards each command to ``lol_data_bot.commands`` and sends its reply."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    @commands.command(name="games", help="Latest games of a player")
    async def games(self, ctx: commands.Context[commands.Bot], *, player: str) -> None:
        await ctx.send(await replies.recent_games(self.api, player))

    @commands.command(name="role", help="The role a player plays most")
    async def role(self, ctx: commands.Context[commands.Bot], *, player: str) -> None:
        await ctx.send(await replies.player_role(self.api, player))

    @commands.command(name="roles", help="How often each role was played")
    async def roles(self, ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send(await replies.top_roles(self.api))


class LolDataBot(commands.Bot):
    """The bot; it owns the HTTP client to the API for its whole lifetime."""

    def __init__(self, api_url: str) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # prefix commands read message text
        super().__init__(command_prefix=PREFIX, intents=intents)
        self.api = make_client(api_url)

    async def setup_hook(self) -> None:
        await self.add_cog(LolDataCog(self.api))

    async def on_command_error(self, ctx: commands.Context[Any], error: commands.CommandError) -> None:
        """Answer usage for bad input, ignore unknown commands, log the rest."""
        if isinstance(error, commands.CommandNotFound):
            return
        if isinstance(error, commands.UserInputError) and ctx.command is not None:
            await ctx.send(f"Usage: {PREFIX}{ctx.command.qualified_name} {ctx.command.signature}".rstrip())
            return
        log.error("command %s failed", ctx.command, exc_info=error)

    async def close(self) -> None:
        await self.api.aclose()
        await super().close()
