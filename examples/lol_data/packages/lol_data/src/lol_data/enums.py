"""Small closed vocabularies shared by the whole workspace."""

from enum import StrEnum


class Team(StrEnum):
    """The two sides of Summoner's Rift."""

    BLUE = "blue"
    RED = "red"


class Role(StrEnum):
    """The five positions of a team, in their conventional order."""

    TOP = "top"
    JUNGLE = "jungle"
    MID = "mid"
    BOT = "bot"
    SUPPORT = "support"


ROLES: tuple[Role, ...] = tuple(Role)
