"""The polling loop: scan, heartbeat, sleep; stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from lol_data.db import create_schema, engine_from_env
from lol_data_parser.classifier import RoleClassifier
from lol_data_parser.config import Settings
from lol_data_parser.health import write_heartbeat
from lol_data_parser.ingest import Ingestor

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM/SIGINT; the previous handlers come back afterwards."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s, stopping after the current file", signal.Signals(signum).name)
        stop.set()

    for sig in STOP_SIGNALS:
        signal.signal(sig, request_stop)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(settings: Settings, *, once: bool = False) -> int:
    """Run the worker; returns the process exit code."""
    with stop_on_signals() as stop:
        engine = engine_from_env()
        log.info("starting: database=%s incoming=%s poll=%ss", engine.url, settings.incoming_dir, settings.poll_seconds)
        if not settings.incoming_dir.is_dir():
            log.warning("incoming directory %s does not exist (yet)", settings.incoming_dir)
        create_schema(engine)
        ingestor = Ingestor(engine, RoleClassifier.train())
        try:
            while not stop.is_set():
                try:
                    report = ingestor.scan(settings.incoming_dir, should_stop=stop.is_set)
                except SQLAlchemyError:
                    log.exception("scan failed; retrying in %ss", settings.poll_seconds)
                    if once:
                        return 1
                else:
                    if report.ingested or report.rejected:
                        log.info("scan done: %d ingested, %d rejected", report.ingested, report.rejected)
                    if not stop.is_set():
                        write_heartbeat(settings.health_file)
                if once:
                    break
                stop.wait(settings.poll_seconds)
        finally:
            engine.dispose()
    log.info("stopped")
    return 0
