"""The repository carries no path of the machine it was made on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _tracked() -> list[str]:
    proc = subprocess.run(
        ["git", "ls-files", "-s"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return proc.stdout.splitlines()


def test_no_symlink_points_outside_the_repository() -> None:
    links = [line.split("\t", 1)[1] for line in _tracked() if line.startswith("120000")]
    outside = [
        link
        for link in links
        if not (REPO / link)
        .parent.joinpath(os.readlink(REPO / link))
        .resolve()
        .is_relative_to(REPO)
    ]
    assert outside == []
