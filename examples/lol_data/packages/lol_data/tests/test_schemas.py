import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lol_data.enums import Team
from lol_data.schemas import MatchFile

SAMPLES = Path(__file__).resolve().parent / "../../../data/matches"


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "match_0001.json").read_text(encoding="utf-8"))
    return data


def test_every_bundled_sample_is_a_valid_match_file() -> None:
    files = sorted(SAMPLES.glob("*.json"))
    assert len(files) == 20
    for path in files:
        match = MatchFile.model_validate_json(path.read_bytes())
        assert match.played_at.tzinfo is not None
        assert {p.team for p in match.participants} == {Team.BLUE, Team.RED}


def test_minutes() -> None:
    match = MatchFile.model_validate({**sample(), "duration_seconds": 1800})
    assert match.minutes == 30


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["participants"].pop(), "5 participants per team"),
        (lambda d: d["participants"][1].update(player=d["participants"][0]["player"]), "appears twice"),
        (lambda d: d.update(played_at="2024-03-02T18:11:00"), "timezone"),
        (lambda d: d["participants"][0].update(kills=-1), "greater than or equal to 0"),
        (lambda d: d["participants"][0].update(avg_x=20000), "less than or equal to 15000"),
        (lambda d: d.update(winner="green"), "'blue' or 'red'"),
    ],
)
def test_invalid_match_files_are_rejected(change: Any, message: str) -> None:
    data = sample()
    change(data)
    with pytest.raises(ValidationError, match=message):
        MatchFile.model_validate(data)
