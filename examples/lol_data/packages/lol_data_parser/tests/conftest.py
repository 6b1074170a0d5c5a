from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lol_data.db import create_schema, make_engine
from lol_data_parser.classifier import RoleClassifier

SAMPLES = (Path(__file__).resolve().parent / "../../../data/matches").resolve()


@pytest.fixture(scope="session")
def samples() -> Path:
    """The bundled sample matches (``data/matches`` at the workspace root)."""
    return SAMPLES


@pytest.fixture(scope="session")
def classifier() -> RoleClassifier:
    return RoleClassifier.train()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'lol.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def incoming(tmp_path: Path) -> Path:
    """A fresh copy of the bundled sample matches."""
    directory = tmp_path / "incoming"
    shutil.copytree(SAMPLES, directory)
    return directory
