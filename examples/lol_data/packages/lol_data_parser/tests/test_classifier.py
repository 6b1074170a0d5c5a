from pathlib import Path

import pytest

from lol_data.enums import ROLES, Role
from lol_data.schemas import MatchFile
from lol_data_parser.classifier import RoleClassifier, load_training_set, participant_features

# avg_x, avg_y, cs/min, jungle cs/min, vision/min: textbook games for each role.
TYPICAL = {
    Role.TOP: [2800.0, 11800.0, 7.5, 0.3, 0.6],
    Role.JUNGLE: [5500.0, 8200.0, 0.6, 5.4, 1.3],
    Role.MID: [7400.0, 7300.0, 8.2, 0.5, 0.8],
    Role.BOT: [11800.0, 3000.0, 8.8, 0.2, 0.6],
    Role.SUPPORT: [10600.0, 4300.0, 1.0, 0.0, 2.6],
}


def test_training_set_is_bundled_and_balanced() -> None:
    rows, labels = load_training_set()
    assert len(rows) == len(labels) == 200
    assert {label: labels.count(label) for label in ROLES} == dict.fromkeys(ROLES, 40)


def test_predicts_sensible_roles(classifier: RoleClassifier) -> None:
    assert classifier.predict(list(TYPICAL.values())) == list(TYPICAL)


def test_team_assignment_gives_each_role_once(classifier: RoleClassifier) -> None:
    # Two mid-looking players: the one with jungle cs must end up in the jungle.
    rows = [
        TYPICAL[Role.MID],
        [6900.0, 7600.0, 1.2, 4.0, 1.1],
        TYPICAL[Role.TOP],
        TYPICAL[Role.SUPPORT],
        TYPICAL[Role.BOT],
    ]
    assert classifier.assign_team(rows) == [Role.MID, Role.JUNGLE, Role.TOP, Role.SUPPORT, Role.BOT]


def test_training_is_deterministic(classifier: RoleClassifier, samples: Path) -> None:
    match = MatchFile.model_validate_json((samples / "match_0007.json").read_bytes())
    assert RoleClassifier.train().classify_match(match) == classifier.classify_match(match)


def test_features_are_per_minute(samples: Path) -> None:
    match = MatchFile.model_validate_json((samples / "match_0001.json").read_bytes())
    first = match.participants[0]
    features = participant_features(first, match.minutes)
    assert features[:2] == [first.avg_x, first.avg_y]
    assert features[2] == pytest.approx(first.cs / match.minutes)
