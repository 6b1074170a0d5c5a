"""The worker as a process: ``--once``, and a clean stop on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lol_data.db import session_scope
from lol_data.models import Game
from lol_data_parser.config import Settings
from lol_data_parser.health import heartbeat_age
from lol_data_parser.logs import LOG_FILE_NAME
from lol_data_parser.worker import run

STARTUP_TIMEOUT = 60


def worker_env(tmp_path: Path, database_url: str, incoming: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "INCOMING_DIR": str(incoming),
        "LOG_DIR": str(tmp_path / "logs"),
        "HEALTH_FILE": str(tmp_path / "health"),
        "POLL_SECONDS": "0.2",
    }


def games(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count(Game.id))) or 0


def test_run_once(
    tmp_path: Path, database_url: str, engine: Engine, incoming: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in worker_env(tmp_path, database_url, incoming).items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert run(settings, once=True) == 0
    assert games(engine) == 20
    assert heartbeat_age(settings.health_file) is not None
    assert run(settings, once=True) == 0
    assert games(engine) == 20


def test_sigterm_stops_cleanly(tmp_path: Path, database_url: str, engine: Engine, incoming: Path) -> None:
    env = worker_env(tmp_path, database_url, incoming)
    worker = subprocess.Popen(
        [sys.executable, "-m", "lol_data_parser"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while heartbeat_age(Path(env["HEALTH_FILE"])) is None:
            assert worker.poll() is None, worker.communicate()[0]
            assert time.monotonic() < deadline, "no heartbeat: the first scan never completed"
            time.sleep(0.1)
        health = subprocess.run(
            [sys.executable, "-m", "lol_data_parser", "--health"], env=env, capture_output=True, text=True, check=False
        )
        assert health.returncode == 0, health.stdout
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "received SIGTERM" in output
    assert output.rstrip().endswith("stopped")
    assert "stopped" in (tmp_path / "logs" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert games(engine) == 20
