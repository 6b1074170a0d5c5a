"""`dockyard provenance APP`: one line, exit code 2, when there is nothing to read from."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from helpers import cli_error, rewrite_manifest


def test_provenance_without_a_registry_says_what_to_do(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, err = cli_error(capsys, locked_mini, "provenance", "web")
    assert code == 2 and len(err.splitlines()) == 1
    assert "tool.dockyard.registry is not set" in err


def test_provenance_from_a_registry_that_does_not_answer(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registry = f'registry = "127.0.0.1:{port}/t"'
    rewrite_manifest(locked_mini, 'name = "mini"', f'name = "mini"\n{registry}')
    code, err = cli_error(capsys, locked_mini, "provenance", "web")
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"dockyard: error: the registry 127.0.0.1:{port} does not answer")
    assert f"127.0.0.1:{port}/t/web:" in err
