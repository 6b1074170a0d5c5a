from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lol_data.db import make_engine
from lol_data_api.app import app, create_app


def test_health_counts_games(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "games": 2}


def test_empty_database_from_environment_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'lol.db'}")
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok", "games": 0}
        assert client.get("/games").json() == []
        assert [r["count"] for r in client.get("/roles").json()] == [0] * 5


def test_health_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    directory_not_a_file = tmp_path / "lol.db"
    directory_not_a_file.mkdir()
    with TestClient(create_app(lambda: make_engine(f"sqlite:///{directory_not_a_file}"))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "detail": "database unavailable"}


def test_list_games(client: TestClient) -> None:
    games = client.get("/games").json()
    assert [g["id"] for g in games] == ["EUW1_2", "EUW1_1"]
    assert games[0] == {
        "id": "EUW1_2",
        "played_at": "2024-03-02T18:00:00Z",
        "duration_seconds": 1800,
        "patch": "14.4",
        "winner": "red",
    }
    assert [g["id"] for g in client.get("/games", params={"limit": 1}).json()] == ["EUW1_2"]
    assert client.get("/games", params={"limit": 0}).status_code == 422


def test_get_game(client: TestClient) -> None:
    game = client.get("/games/EUW1_1").json()
    assert game["winner"] == "blue"
    assert len(game["participants"]) == 10
    assert game["participants"][0] == {
        "player": "IronWall",
        "team": "blue",
        "win": True,
        "role": "top",
        "champion": "IronWallChamp",
        "kills": 1,
        "deaths": 1,
        "assists": 2,
        "gold": 10000,
        "cs": 200,
        "vision_score": 20,
    }
    assert [p["role"] for p in game["participants"][5:]] == ["top", "jungle", "mid", "bot", "support"]


def test_unknown_game_is_a_json_404(client: TestClient) -> None:
    response = client.get("/games/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "game 'nope' not found"}


def test_list_players(client: TestClient) -> None:
    players = client.get("/players").json()
    assert len(players) == 10
    assert players[0] == {"name": "Emberheart", "games": 2, "wins": 1, "main_role": "mid"}


def test_get_player(client: TestClient) -> None:
    player = client.get("/players/lantern").json()
    assert (player["name"], player["games"], player["wins"]) == ("Lantern", 2, 1)
    assert player["main_role"] == "bot"  # once support, once bot: a tie goes to the earlier role
    assert [g["game_id"] for g in player["recent_games"]] == ["EUW1_2", "EUW1_1"]
    assert player["recent_games"][0] == {
        "game_id": "EUW1_2",
        "played_at": "2024-03-02T18:00:00Z",
        "champion": "LanternChamp",
        "role": "bot",
        "kills": 2,
        "deaths": 1,
        "assists": 2,
        "win": False,
    }
    assert len(client.get("/players/Lantern", params={"recent": 1}).json()["recent_games"]) == 1
    assert client.get("/players/IRONWALL").json()["main_role"] == "top"


def test_unknown_player_is_a_json_404(client: TestClient) -> None:
    response = client.get("/players/Nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "player 'Nobody' not found"}


def test_roles(client: TestClient) -> None:
    assert client.get("/roles").json() == [
        {"role": "top", "count": 4},
        {"role": "jungle", "count": 4},
        {"role": "mid", "count": 4},
        {"role": "bot", "count": 4},
        {"role": "support", "count": 4},
    ]
