"""The Discord wiring, without connecting to Discord."""

import asyncio
from typing import Any

import httpx
from discord.ext import commands

from lol_data_bot.api import make_client
from lol_data_bot.discord_adapter import LolDataBot, LolDataCog


class FakeContext:
    """Just enough of ``commands.Context`` for the cog: records what is sent."""

    def __init__(self, command: commands.Command[Any, Any, Any] | None = None) -> None:
        self.command = command
        self.sent: list[str] = []

    async def send(self, content: str) -> None:
        self.sent.append(content)


def test_bot_registers_the_three_commands() -> None:
    async def go() -> set[str]:
        bot = LolDataBot("http://api.test")
        await bot.setup_hook()
        names = {command.name for command in bot.commands}
        await bot.api.aclose()
        return names

    assert asyncio.run(go()) >= {"games", "role", "roles"}


def test_commands_send_the_replies(transport: httpx.MockTransport) -> None:
    async def go() -> list[str]:
        async with make_client("http://api.test", transport=transport) as api:
            cog = LolDataCog(api)
            ctx = FakeContext()
            await cog.role.callback(cog, ctx, player="IronWall")  # type: ignore[arg-type, misc]
            await cog.games.callback(cog, ctx, player="Nobody")  # type: ignore[arg-type, misc]
            await cog.roles.callback(cog, ctx)  # type: ignore[arg-type, call-arg]
            return ctx.sent

    role, games, roles = asyncio.run(go())
    assert role == "IronWall mainly plays top (14 games, 7 won)."
    assert games == "I don't know any player called 'Nobody'."
    assert roles.startswith("Games per role:")


def test_missing_player_answers_usage_and_unknown_commands_are_ignored() -> None:
    async def go() -> tuple[list[str], list[str]]:
        bot = LolDataBot("http://api.test")
        await bot.setup_hook()
        usage = FakeContext(bot.get_command("games"))
        param = usage.command.clean_params["player"]  # type: ignore[union-attr]
        await bot.on_command_error(usage, commands.MissingRequiredArgument(param))  # type: ignore[arg-type]
        unknown = FakeContext()
        await bot.on_command_error(unknown, commands.CommandNotFound())  # type: ignore[arg-type]
        await bot.api.aclose()
        return usage.sent, unknown.sent

    usage, unknown = asyncio.run(go())
    assert usage == ["Usage: !games <player>"]
    assert unknown == []
