"""``lol-data-bot``: run the Discord bot (needs ``DISCORD_TOKEN``)."""

from __future__ import annotations

import os
import sys

import discord

from lol_data_bot.api import api_url_from_env
from lol_data_bot.discord_adapter import LolDataBot

PROG = "lol-data-bot"
NO_TOKEN = (
    f"{PROG}: DISCORD_TOKEN is not set; create a bot token at https://discord.com/developers/applications "
    "and pass it as an environment variable"
)


def main() -> int:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    try:
        LolDataBot(api_url_from_env()).run(token)
    except discord.LoginFailure:
        print(f"{PROG}: Discord rejected DISCORD_TOKEN; check the bot token", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print(f"{PROG}: enable the Message Content intent of the bot in the Discord developer portal", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
