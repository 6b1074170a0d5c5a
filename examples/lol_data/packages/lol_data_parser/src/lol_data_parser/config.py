"""Worker settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MIN_HEALTH_AGE_SECONDS = 30.0


@dataclass(frozen=True)
class Settings:
    """``DATABASE_URL`` is not here: ``lol_data.db.engine_from_env`` reads it."""

    incoming_dir: Path
    log_dir: Path
    poll_seconds: float
    health_file: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        raw_poll = environ.get("POLL_SECONDS") or "2"
        try:
            poll_seconds = float(raw_poll)
        except ValueError:
            raise ValueError(f"POLL_SECONDS must be a number of seconds, got {raw_poll!r}") from None
        if poll_seconds <= 0:
            raise ValueError(f"POLL_SECONDS must be positive, got {raw_poll!r}")
        return cls(
            incoming_dir=Path(environ.get("INCOMING_DIR") or "/incoming"),
            log_dir=Path(environ.get("LOG_DIR") or "/app/logs"),
            poll_seconds=poll_seconds,
            health_file=Path(environ.get("HEALTH_FILE") or "/tmp/lol-data-parser.health"),
        )

    @property
    def health_max_age(self) -> float:
        """How old the heartbeat may get before the worker counts as unhealthy."""
        return max(MIN_HEALTH_AGE_SECONDS, 5 * self.poll_seconds)
