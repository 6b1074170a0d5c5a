import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from lol_data import queries
from lol_data.db import session_scope
from lol_data.enums import ROLES, Role
from lol_data.models import Game, IngestedFile, Participation, Player
from lol_data.schemas import RoleCount
from lol_data_parser.classifier import RoleClassifier
from lol_data_parser.ingest import Ingestor, Outcome

# Every sample player always plays the same position (see data/generate_samples.py).
MAIN_ROLES = {
    "IronWall": Role.TOP,
    "Tidebreaker": Role.TOP,
    "Granite": Role.TOP,
    "Shadowstep": Role.JUNGLE,
    "Wildgrowth": Role.JUNGLE,
    "Pathfinder": Role.JUNGLE,
    "Starcaller": Role.MID,
    "Quicksilver": Role.MID,
    "Emberheart": Role.MID,
    "Longshot": Role.BOT,
    "Deadeye": Role.BOT,
    "Volley": Role.BOT,
    "Lantern": Role.SUPPORT,
    "Guardian": Role.SUPPORT,
    "Mender": Role.SUPPORT,
}


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_ingests_every_sample(engine: Engine, classifier: RoleClassifier, incoming: Path) -> None:
    report = Ingestor(engine, classifier).scan(incoming)
    assert (report.ingested, report.rejected, report.known) == (20, 0, 0)
    assert count(engine, Game) == 20
    assert count(engine, Participation) == 200
    assert count(engine, Player) == 15
    with session_scope(engine) as session:
        files = session.scalars(select(IngestedFile)).all()
    assert len(files) == 20
    assert all(f.error is None and f.game_id for f in files)


def test_second_scan_ingests_nothing(engine: Engine, classifier: RoleClassifier, incoming: Path) -> None:
    ingestor = Ingestor(engine, classifier)
    ingestor.scan(incoming)
    report = ingestor.scan(incoming)
    assert (report.ingested, report.rejected, report.known) == (0, 0, 20)
    assert count(engine, Game) == 20


def test_every_team_gets_each_role_once(engine: Engine, classifier: RoleClassifier, incoming: Path) -> None:
    Ingestor(engine, classifier).scan(incoming)
    with session_scope(engine) as session:
        for game in session.scalars(select(Game)):
            for team in ("blue", "red"):
                roles = sorted(str(p.role) for p in game.participations if p.team == team)
                assert roles == sorted(ROLES), (game.id, team)


def test_players_main_roles_are_recognised(engine: Engine, classifier: RoleClassifier, incoming: Path) -> None:
    Ingestor(engine, classifier).scan(incoming)
    with session_scope(engine) as session:
        assert {p.name: p.main_role for p in queries.list_players(session)} == MAIN_ROLES
        assert queries.role_counts(session) == [RoleCount(role=r, count=40) for r in ROLES]


def test_malformed_file_is_recorded_and_skipped(engine: Engine, classifier: RoleClassifier, incoming: Path) -> None:
    (incoming / "match_0000_broken.json").write_text('{"match_id": "X", "participants": [', encoding="utf-8")
    ingestor = Ingestor(engine, classifier)
    report = ingestor.scan(incoming)
    assert (report.ingested, report.rejected) == (20, 1)
    with session_scope(engine) as session:
        broken = session.scalars(select(IngestedFile).where(IngestedFile.error.is_not(None))).one()
    assert broken.file_name == "match_0000_broken.json"
    assert "json" in (broken.error or "").lower()
    again = ingestor.scan(incoming)
    assert (again.ingested, again.rejected, again.known) == (0, 0, 21)


def test_invalid_match_and_duplicate_match_are_rejected(
    engine: Engine, classifier: RoleClassifier, incoming: Path, tmp_path: Path
) -> None:
    ingestor = Ingestor(engine, classifier)
    sample = json.loads((incoming / "match_0001.json").read_text(encoding="utf-8"))
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({**sample, "participants": sample["participants"][:9]}), encoding="utf-8")
    assert ingestor.ingest_file(invalid) is Outcome.REJECTED
    assert ingestor.ingest_file(incoming / "match_0001.json") is Outcome.INGESTED
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(sample, indent=4), encoding="utf-8")  # same match, other bytes
    assert ingestor.ingest_file(copy) is Outcome.REJECTED
    assert count(engine, Game) == 1
    with session_scope(engine) as session:
        errors = session.scalars(select(IngestedFile.error).where(IngestedFile.error.is_not(None))).all()
    assert any("5 participants per team" in (e or "") for e in errors)
    assert any("already stored" in (e or "") for e in errors)


def test_a_file_is_stored_in_one_transaction(engine: Engine, classifier: RoleClassifier, incoming: Path) -> None:
    """A crash just before COMMIT leaves nothing behind: no game, player or file row."""

    def crash_before_commit(session: Session) -> None:
        if any(isinstance(obj, Game) for obj in session.new):
            session.flush()
            assert session.scalar(select(func.count()).select_from(Participation)) == 10
            raise RuntimeError("crash before commit")

    event.listen(Session, "before_commit", crash_before_commit)
    try:
        with pytest.raises(RuntimeError, match="crash before commit"):
            Ingestor(engine, classifier).ingest_file(incoming / "match_0001.json")
    finally:
        event.remove(Session, "before_commit", crash_before_commit)
    assert (count(engine, Game), count(engine, Player), count(engine, IngestedFile)) == (0, 0, 0)
    assert Ingestor(engine, classifier).ingest_file(incoming / "match_0001.json") is Outcome.INGESTED
