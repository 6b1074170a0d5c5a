import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from lol_data import db
from lol_data.db import DEFAULT_DATABASE_URL, create_schema, engine_from_env, session_scope
from lol_data.models import Player


def test_engine_from_env_creates_sqlite_parent_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "nested" / "dir" / "lol.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_file}")
    engine = engine_from_env()
    create_schema(engine)
    assert db_file.exists()
    engine.dispose()


def test_default_url_points_at_data_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(db, "make_engine", seen.append)
    db.engine_from_env()
    assert seen == [DEFAULT_DATABASE_URL] == ["sqlite:////data/lol.db"]


def test_sqlite_runs_in_wal_mode_with_busy_timeout(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_create_schema_is_idempotent(engine: Engine) -> None:
    create_schema(engine)
    assert set(inspect(engine).get_table_names()) == {"games", "players", "participations", "ingested_files"}


def test_session_scope_commits(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Player(name="IronWall"))
    with session_scope(engine) as session:
        assert session.scalars(select(Player.name)).all() == ["IronWall"]


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    def failing_write() -> None:
        with session_scope(engine) as session:
            session.add(Player(name="IronWall"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_write()
    with session_scope(engine) as session:
        assert session.scalars(select(Player)).all() == []


def test_writer_commits_while_a_reader_holds_a_snapshot(engine: Engine) -> None:
    """WAL mode: the parser can commit while the API is in the middle of a read."""
    assert engine.url.database
    reader = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM players").fetchone() == (0,)
        with session_scope(engine) as session:
            session.add(Player(name="Lantern"))
        assert reader.execute("SELECT count(*) FROM players").fetchone() == (0,)
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM players").fetchone() == (1,)
    finally:
        reader.close()
