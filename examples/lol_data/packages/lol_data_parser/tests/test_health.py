import os
import time
from pathlib import Path

import pytest

from lol_data_parser.__main__ import main
from lol_data_parser.config import Settings
from lol_data_parser.health import clear_heartbeat, heartbeat_age, write_heartbeat


def test_heartbeat_roundtrip(tmp_path: Path) -> None:
    beat = tmp_path / "sub" / "health"
    assert heartbeat_age(beat) is None
    write_heartbeat(beat)
    age = heartbeat_age(beat)
    assert age is not None
    assert age < 5
    clear_heartbeat(beat)
    clear_heartbeat(beat)
    assert heartbeat_age(beat) is None


def test_settings_defaults_and_max_age() -> None:
    settings = Settings.from_env({})
    assert settings.incoming_dir == Path("/incoming")
    assert settings.log_dir == Path("/app/logs")
    assert settings.health_file == Path("/tmp/lol-data-parser.health")
    assert settings.poll_seconds == 2
    assert settings.health_max_age == 30
    assert Settings.from_env({"POLL_SECONDS": "10"}).health_max_age == 50


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_bad_poll_seconds(value: str) -> None:
    with pytest.raises(ValueError, match="POLL_SECONDS"):
        Settings.from_env({"POLL_SECONDS": value})


def test_health_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    beat = tmp_path / "health"
    monkeypatch.setenv("HEALTH_FILE", str(beat))
    monkeypatch.setenv("POLL_SECONDS", "2")
    assert main(["--health"]) == 1
    assert "no completed scan yet" in capsys.readouterr().out
    write_heartbeat(beat)
    assert main(["--health"]) == 0
    stale = time.time() - 31
    os.utime(beat, (stale, stale))
    assert main(["--health"]) == 1
    assert "31s ago" in capsys.readouterr().out.splitlines()[-1]
    monkeypatch.setenv("POLL_SECONDS", "10")  # limit becomes 5 * 10 s
    assert main(["--health"]) == 0


def test_invalid_environment_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("POLL_SECONDS", "often")
    assert main(["--once"]) == 2
    assert capsys.readouterr().err.startswith("lol-data-parser: POLL_SECONDS")
