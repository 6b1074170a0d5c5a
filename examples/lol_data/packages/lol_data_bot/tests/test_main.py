import os
import subprocess
import sys


def test_missing_token_is_one_clear_line_and_exit_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "lol_data_bot"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "lol-data-bot: DISCORD_TOKEN is not set; create a bot token at "
        "https://discord.com/developers/applications and pass it as an environment variable"
    ]


def test_blank_token_counts_as_missing() -> None:
    env = {**os.environ, "DISCORD_TOKEN": "  "}
    result = subprocess.run(
        [sys.executable, "-m", "lol_data_bot"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
