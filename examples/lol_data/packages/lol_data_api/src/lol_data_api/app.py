"""The FastAPI application: ``uvicorn lol_data_api.app:app``.

The database comes from ``DATABASE_URL`` (see ``lol_data.db``); the schema is created at
start-up, so an empty database serves empty lists until the parser fills it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from lol_data.db import create_schema, engine_from_env
from lol_data_api.routes import router

log = logging.getLogger(__name__)


def create_app(engine_factory: Callable[[], Engine] = engine_from_env) -> FastAPI:
    """Build the app; the engine is created when the app starts, not on import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = engine_factory()
        try:
            create_schema(engine)
        except SQLAlchemyError:
            log.exception("cannot create the database schema; /health reports 503 until it can")
        app.state.engine = engine
        yield
        engine.dispose()

    app = FastAPI(title="lol-data-api", summary="League of Legends games, players and roles.", lifespan=lifespan)
    app.include_router(router)
    return app


app = create_app()
