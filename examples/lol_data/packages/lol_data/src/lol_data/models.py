"""SQLAlchemy 2 models of ingested matches."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Dialect, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from lol_data.enums import Role, Team


class UTCDateTime(TypeDecorator[datetime]):
    """Stores timezone-aware datetimes as naive UTC and returns them as aware UTC.

    SQLite has no timezone support, so normalising on the way in and out keeps the
    values comparable and serialises them with an explicit offset.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware value")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _enum_column(enum: type[StrEnum]) -> Enum:
    """Store an enum by value in a VARCHAR: portable and readable from plain SQL (pandas)."""
    return Enum(enum, native_enum=False, length=16, values_callable=lambda members: [m.value for m in members])


class Base(DeclarativeBase):
    """Declarative base of every table of the workspace."""


class Game(Base):
    __tablename__ = "games"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    played_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_seconds: Mapped[int]
    patch: Mapped[str] = mapped_column(String(16))
    winner: Mapped[Team] = mapped_column(_enum_column(Team))

    participations: Mapped[list[Participation]] = relationship(
        back_populates="game", cascade="all, delete-orphan", order_by="Participation.id"
    )


class Player(Base):
    __tablename__ = "players"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)

    participations: Mapped[list[Participation]] = relationship(back_populates="player")


class Participation(Base):
    """One player's line in one game, with the role the parser predicted."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("game_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[str] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    team: Mapped[Team] = mapped_column(_enum_column(Team))
    win: Mapped[bool]
    champion: Mapped[str] = mapped_column(String(32))
    kills: Mapped[int]
    deaths: Mapped[int]
    assists: Mapped[int]
    gold: Mapped[int]
    cs: Mapped[int]
    jungle_cs: Mapped[int]
    vision_score: Mapped[int]
    avg_x: Mapped[float]
    avg_y: Mapped[float]
    role: Mapped[Role | None] = mapped_column(_enum_column(Role), index=True)

    game: Mapped[Game] = relationship(back_populates="participations")
    player: Mapped[Player] = relationship(back_populates="participations")

    @property
    def kda(self) -> float:
        """(kills + assists) / deaths, counting a deathless game as one death."""
        return (self.kills + self.assists) / max(self.deaths, 1)


class IngestedFile(Base):
    """A match file the parser has processed, keyed by content hash.

    ``error`` is set when the file was rejected; it is recorded all the same so that
    the same bytes are never retried.
    """

    __tablename__ = "ingested_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    game_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
