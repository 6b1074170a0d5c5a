"""Logging to stderr and to a rotating file in ``LOG_DIR``."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE_NAME = "lol-data-parser.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_dir: Path, level: int = logging.INFO) -> None:
    """Log to stderr and ``log_dir/lol-data-parser.log``; stderr only if the directory is unusable."""
    formatter = logging.Formatter(_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    problem = None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingFileHandler(log_dir / LOG_FILE_NAME, maxBytes=5_000_000, backupCount=3))
    except OSError as error:
        problem = error
    root = logging.getLogger()
    root.setLevel(level)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    if problem is not None:
        logging.getLogger(__name__).warning("not logging to %s: %s", log_dir, problem)
