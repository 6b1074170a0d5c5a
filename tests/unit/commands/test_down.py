"""`dockyard down`: errors before any engine is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import cli_error


def test_down_before_generate_says_what_to_do(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, err = cli_error(capsys, locked_mini, "down")
    assert code == 2
    assert (
        err
        == f"dockyard: error: no compose.dev.yaml in {locked_mini}; run `dockyard generate` first"
    )
