"""Engine and session helpers, configured by the ``DATABASE_URL`` environment variable.

SQLite databases are opened in WAL mode with a busy timeout, so that the parser
(writer) and the API (reader) can share one database file from two containers.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from lol_data.models import Base

DEFAULT_DATABASE_URL = "sqlite:////data/lol.db"
BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; for a SQLite file, create its directory first."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def engine_from_env() -> Engine:
    """The engine for ``$DATABASE_URL`` (default ``sqlite:////data/lol.db``)."""
    return make_engine(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def _configure_sqlite(connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def create_schema(engine: Engine) -> None:
    """Create the missing tables; safe to call from several processes at once."""
    try:
        Base.metadata.create_all(engine)
    except OperationalError:
        # Another process created a table between our existence check and CREATE TABLE:
        # the second pass sees it and creates only what is still missing.
        Base.metadata.create_all(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error.

    Loaded objects stay readable after the block (``expire_on_commit=False``).
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
