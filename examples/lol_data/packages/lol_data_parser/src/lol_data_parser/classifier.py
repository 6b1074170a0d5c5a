"""Role classification: a small random forest trained at start-up on ``roles.csv``.

Features per participant: mean map position, lane and jungle creep score per minute and
vision score per minute. Within a team every role is given exactly once: the most probable
one-role-per-player assignment wins.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from importlib.resources import files
from itertools import permutations

from sklearn.ensemble import RandomForestClassifier

from lol_data.enums import Role, Team
from lol_data.schemas import MatchFile, MatchParticipant

FEATURES = ("avg_x", "avg_y", "cs_per_min", "jungle_cs_per_min", "vision_per_min")
TRAINING_SET = "roles.csv"
RANDOM_STATE = 0
_LOG_FLOOR = 1e-6

FeatureRow = list[float]


def participant_features(participant: MatchParticipant, minutes: float) -> FeatureRow:
    """The classifier's input for one participant of a game lasting ``minutes``."""
    return [
        participant.avg_x,
        participant.avg_y,
        participant.cs / minutes,
        participant.jungle_cs / minutes,
        participant.vision_score / minutes,
    ]


def load_training_set() -> tuple[list[FeatureRow], list[Role]]:
    """Read the bundled ``roles.csv`` (package data)."""
    text = files("lol_data_parser").joinpath(TRAINING_SET).read_text(encoding="utf-8")
    rows, labels = [], []
    for record in csv.DictReader(text.splitlines()):
        rows.append([float(record[name]) for name in FEATURES])
        labels.append(Role(record["role"]))
    return rows, labels


class RoleClassifier:
    """Predicts roles from participant features."""

    def __init__(self, model: RandomForestClassifier) -> None:
        self._model = model
        self._classes = [Role(label) for label in model.classes_]

    @classmethod
    def train(cls) -> RoleClassifier:
        """Fit on the bundled training set; deterministic thanks to a fixed random state."""
        rows, labels = load_training_set()
        model = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=RANDOM_STATE)
        model.fit(rows, [str(label) for label in labels])
        return cls(model)

    def predict(self, rows: Sequence[FeatureRow]) -> list[Role]:
        """The most probable role of each row, independently."""
        return [Role(label) for label in self._model.predict(rows)]

    def assign_team(self, rows: Sequence[FeatureRow]) -> list[Role]:
        """Distinct roles for the members of one team, maximising their joint probability."""
        if len(rows) > len(self._classes):
            raise ValueError(f"a team has at most {len(self._classes)} players, got {len(rows)}")
        proba = self._model.predict_proba(rows)

        def log_likelihood(choice: tuple[int, ...]) -> float:
            return sum(math.log(max(proba[row][cls], _LOG_FLOOR)) for row, cls in enumerate(choice))

        best = max(permutations(range(len(self._classes)), len(rows)), key=log_likelihood)
        return [self._classes[cls] for cls in best]

    def classify_match(self, match: MatchFile) -> list[Role]:
        """Roles of ``match.participants``, in their order, one of each role per team."""
        assigned: dict[int, Role] = {}
        for team in Team:
            members = [i for i, p in enumerate(match.participants) if p.team == team]
            rows = [participant_features(match.participants[i], match.minutes) for i in members]
            assigned.update(zip(members, self.assign_team(rows), strict=True))
        return [assigned[i] for i in range(len(match.participants))]
