"""Ingesting match files: each file's content is processed exactly once.

A file is identified by the sha256 of its bytes. A valid file is stored (game, players,
participations and its ``IngestedFile`` row) in one transaction. A malformed file is
recorded with its error and never retried; a corrected copy has another hash and is
ingested normally.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lol_data.db import session_scope
from lol_data.models import Game, IngestedFile, Participation, Player
from lol_data.schemas import MatchFile
from lol_data_parser.classifier import RoleClassifier

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000


class DuplicateMatchError(ValueError):
    """The match is already stored (from another file)."""


class Outcome(StrEnum):
    INGESTED = "ingested"
    REJECTED = "rejected"
    KNOWN = "known"


@dataclass
class ScanReport:
    ingested: int = 0
    rejected: int = 0
    known: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


class Ingestor:
    """Stores match files in the database, classifying every participant's role."""

    def __init__(self, engine: Engine, classifier: RoleClassifier) -> None:
        self._engine = engine
        self._classifier = classifier

    def scan(self, directory: Path, should_stop: Callable[[], bool] = lambda: False) -> ScanReport:
        """Process every ``*.json`` file of ``directory`` in name order.

        ``should_stop`` is checked between files, so a stop request lets the current
        file finish. Unreadable files (e.g. removed meanwhile) are retried next scan.
        """
        report = ScanReport()
        for path in sorted(directory.glob("*.json")):
            if should_stop():
                break
            try:
                report.count(self.ingest_file(path))
            except OSError as error:
                log.warning("cannot read %s: %s", path.name, error)
        return report

    def ingest_file(self, path: Path) -> Outcome:
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        with session_scope(self._engine) as session:
            if session.scalar(select(IngestedFile.id).where(IngestedFile.sha256 == digest)) is not None:
                return Outcome.KNOWN
        try:
            with session_scope(self._engine) as session:
                game = self._store(session, MatchFile.model_validate_json(content))
                session.add(IngestedFile(file_name=path.name, sha256=digest, game_id=game.id))
        except ValueError as error:  # invalid JSON or schema (pydantic), duplicate match
            reason = describe(error)
            log.warning("rejected %s: %s", path.name, reason)
            with session_scope(self._engine) as session:
                session.add(IngestedFile(file_name=path.name, sha256=digest, error=reason[:MAX_ERROR_LENGTH]))
            return Outcome.REJECTED
        log.info("ingested %s (match %s)", path.name, game.id)
        return Outcome.INGESTED

    def _store(self, session: Session, match: MatchFile) -> Game:
        if session.get(Game, match.match_id) is not None:
            raise DuplicateMatchError(f"match {match.match_id} is already stored")
        roles = self._classifier.classify_match(match)
        names = [p.player for p in match.participants]
        players = {p.name: p for p in session.scalars(select(Player).where(Player.name.in_(names)))}
        game = Game(
            id=match.match_id,
            played_at=match.played_at,
            duration_seconds=match.duration_seconds,
            patch=match.patch,
            winner=match.winner,
        )
        for line, role in zip(match.participants, roles, strict=True):
            game.participations.append(
                Participation(
                    player=players.get(line.player) or Player(name=line.player),
                    team=line.team,
                    win=line.team == match.winner,
                    role=role,
                    **line.model_dump(exclude={"player", "team"}),
                )
            )
        session.add(game)
        return game


def describe(error: ValueError) -> str:
    """A one-line reason for a rejected file."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, detail['loc'])) or 'file'}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        )
    return str(error)
