from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# The fixture repositories carry their own tests, run inside their dev containers.
collect_ignore = ["fixtures"]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A fresh copy of the small 3-member workspace fixture."""
    target = tmp_path / "mini"
    shutil.copytree(
        FIXTURES / "mini", target, ignore=shutil.ignore_patterns(".venv", "__pycache__")
    )
    return target
