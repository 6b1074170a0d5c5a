"""Discord bot answering from lol-data-api."""
