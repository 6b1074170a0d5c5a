"""Regenerate the bundled sample data (deterministic: fixed seeds, stdlib only).

Writes:
  * ``data/matches/match_0001.json`` ... ``match_0020.json``: match files for the parser;
  * ``packages/lol_data_parser/src/lol_data_parser/roles.csv``: the role classifier's
    training set, drawn from the same per-role distributions with another seed.

Run it from anywhere: ``python data/generate_samples.py``.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATCH_DIR = ROOT / "data" / "matches"
ROLES_CSV = ROOT / "packages" / "lol_data_parser" / "src" / "lol_data_parser" / "roles.csv"

MATCH_COUNT = 20
TRAINING_ROWS_PER_ROLE = 40
ROLES = ("top", "jungle", "mid", "bot", "support")

# Per role: average map position (x, y) and its spread, then per-minute ranges for
# lane cs, jungle (neutral monster) cs and vision score. Map coordinates span 0..15000.
PROFILES: dict[str, dict[str, tuple[float, float]]] = {
    "top": {"x": (3000, 900), "y": (11500, 900), "cs": (6.8, 8.4), "jcs": (0.1, 0.6), "vision": (0.5, 0.8)},
    "jungle": {"x": (5600, 1300), "y": (8000, 1300), "cs": (0.3, 1.0), "jcs": (4.5, 6.2), "vision": (1.0, 1.6)},
    "mid": {"x": (7400, 600), "y": (7400, 600), "cs": (7.4, 9.0), "jcs": (0.2, 0.9), "vision": (0.6, 1.0)},
    "bot": {"x": (11600, 800), "y": (3100, 800), "cs": (8.0, 9.6), "jcs": (0.1, 0.5), "vision": (0.5, 0.8)},
    "support": {"x": (10700, 1000), "y": (4100, 1000), "cs": (0.5, 1.5), "jcs": (0.0, 0.1), "vision": (2.0, 3.2)},
}

# Three players per role: each game picks two of them, one per team.
PLAYERS: dict[str, dict[str, list[str]]] = {
    "top": {
        "IronWall": ["Aatrox", "Ornn", "K'Sante"],
        "Tidebreaker": ["Gnar", "Jax", "Renekton"],
        "Granite": ["Ornn", "Renekton", "Aatrox"],
    },
    "jungle": {
        "Shadowstep": ["Lee Sin", "Viego", "Xin Zhao"],
        "Wildgrowth": ["Sejuani", "Maokai", "Vi"],
        "Pathfinder": ["Vi", "Lee Sin", "Maokai"],
    },
    "mid": {
        "Starcaller": ["Ahri", "Orianna", "Syndra"],
        "Quicksilver": ["Sylas", "Taliyah", "Azir"],
        "Emberheart": ["Azir", "Orianna", "Ahri"],
    },
    "bot": {
        "Longshot": ["Jinx", "Varus", "Ezreal"],
        "Deadeye": ["Kai'Sa", "Xayah", "Zeri"],
        "Volley": ["Ezreal", "Jinx", "Kai'Sa"],
    },
    "support": {
        "Lantern": ["Thresh", "Nautilus", "Rakan"],
        "Guardian": ["Alistar", "Nautilus", "Renata Glasc"],
        "Mender": ["Lulu", "Rakan", "Thresh"],
    },
}

# (kills, deaths, assists) ranges for a winning participant; losers swap kills and deaths.
KDA_RANGES = {
    "top": ((1, 6), (0, 4), (2, 8)),
    "jungle": ((2, 7), (1, 5), (5, 12)),
    "mid": ((2, 9), (0, 4), (3, 10)),
    "bot": ((3, 11), (0, 4), (2, 9)),
    "support": ((0, 3), (1, 5), (8, 18)),
}


def role_features(rng: random.Random, role: str, minutes: float) -> dict[str, float | int]:
    """Draw the per-participant features the role classifier uses."""
    profile = PROFILES[role]
    x = min(15000.0, max(0.0, rng.gauss(*profile["x"])))
    y = min(15000.0, max(0.0, rng.gauss(*profile["y"])))
    return {
        "avg_x": round(x, 1),
        "avg_y": round(y, 1),
        "cs": round(rng.uniform(*profile["cs"]) * minutes),
        "jungle_cs": round(rng.uniform(*profile["jcs"]) * minutes),
        "vision_score": round(rng.uniform(*profile["vision"]) * minutes),
    }


def participant(
    rng: random.Random, role: str, *, name: str, champion: str, team: str, win: bool, minutes: float
) -> dict[str, object]:
    """One participant entry of a match file."""
    (k_lo, k_hi), (d_lo, d_hi), (a_lo, a_hi) = KDA_RANGES[role]
    kills, deaths = rng.randint(k_lo, k_hi), rng.randint(d_lo, d_hi)
    if not win:
        kills, deaths = deaths, kills + 1
    assists = rng.randint(a_lo, a_hi) - (0 if win else 2)
    features = role_features(rng, role, minutes)
    gold = 500 + round(minutes * 230) + 20 * int(features["cs"]) + 30 * int(features["jungle_cs"])
    gold += 300 * kills + 150 * max(assists, 0)
    return {
        "player": name,
        "team": team,
        "champion": champion,
        "kills": kills,
        "deaths": deaths,
        "assists": max(assists, 0),
        "gold": gold,
        **features,
    }


def make_match(rng: random.Random, number: int, played_at: datetime) -> dict[str, object]:
    """One complete match: two teams of five, one player per role on each side."""
    duration = rng.randint(1500, 2300)
    minutes = duration / 60
    winner = rng.choice(("blue", "red"))
    participants = []
    taken: set[str] = set()
    for role in ROLES:
        names = rng.sample(sorted(PLAYERS[role]), 2)
        for team, name in zip(("blue", "red"), names, strict=True):
            champion = next(c for c in rng.sample(PLAYERS[role][name], 3) if c not in taken)
            taken.add(champion)
            participants.append(
                participant(rng, role, name=name, champion=champion, team=team, win=team == winner, minutes=minutes)
            )
    participants.sort(key=lambda p: p["team"] != "blue")
    return {
        "match_id": f"EUW1_{6800000 + number}",
        "played_at": played_at.isoformat().replace("+00:00", "Z"),
        "duration_seconds": duration,
        "patch": "14.4" if number <= MATCH_COUNT // 2 else "14.5",
        "winner": winner,
        "participants": participants,
    }


def write_matches() -> None:
    rng = random.Random(2024)
    played_at = datetime(2024, 3, 1, 17, 0, tzinfo=UTC)
    MATCH_DIR.mkdir(parents=True, exist_ok=True)
    for number in range(1, MATCH_COUNT + 1):
        played_at += timedelta(hours=rng.randint(18, 30), minutes=rng.randint(0, 59))
        match = make_match(rng, number, played_at)
        path = MATCH_DIR / f"match_{number:04d}.json"
        path.write_text(json.dumps(match, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_training_set() -> None:
    rng = random.Random(7)
    with ROLES_CSV.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["avg_x", "avg_y", "cs_per_min", "jungle_cs_per_min", "vision_per_min", "role"])
        for role in ROLES:
            for _ in range(TRAINING_ROWS_PER_ROLE):
                f = role_features(rng, role, minutes=30.0)
                writer.writerow(
                    [
                        f["avg_x"],
                        f["avg_y"],
                        round(f["cs"] / 30, 2),
                        round(f["jungle_cs"] / 30, 2),
                        round(f["vision_score"] / 30, 2),
                        role,
                    ]
                )


if __name__ == "__main__":
    write_matches()
    write_training_set()
