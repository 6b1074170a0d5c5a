"""scripts/ensure-registry.sh refuses an address that is not HOST:PORT at once, in one
line, before it looks for, installs or starts anything (it used to time out instead)."""

from __future__ import annotations

import subprocess

import pytest

from helpers import REPO

SCRIPT = REPO / "scripts" / "ensure-registry.sh"


@pytest.mark.parametrize(
    "addr", ["5000", "http://127.0.0.1:5000", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536"]
)
def test_an_address_that_is_not_host_port_is_refused(addr: str) -> None:
    proc = subprocess.run([str(SCRIPT), addr], capture_output=True, text=True, timeout=5)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"ensure-registry: '{addr}' is not HOST:PORT (a port 1-65535), e.g. 127.0.0.1:5000\n"
    )
