"""A Dockerfile CMD -> the app's command and dev-command (adopt/translate.py)."""

from __future__ import annotations

from pathlib import Path

from dockyard.adopt.pyscan import AppObject
from dockyard.adopt.translate import (
    app_environment,
    provided,
    script_module,
    strip_uv_run,
    translate,
)

APP = AppObject("quotes.main", "app", "FastAPI", "asgi", 8000, "/health")


def test_uv_run_means_the_command_itself() -> None:
    assert strip_uv_run(["uv", "run", "--no-dev", "--package", "x", "python3", "-m", "x"]) == [
        "python",
        "-m",
        "x",
    ]
    assert strip_uv_run(["uv", "run", "--", "flask", "run"]) == ["flask", "run"]


def test_fastapi_dev_becomes_the_dev_command_and_uvicorn_serves_prod() -> None:
    cmd = ["uv", "run", "fastapi", "dev", "--host", "0.0.0.0", "src/quotes"]
    result = translate(cmd, APP, provided(["fastapi[standard]>=0.115"]))
    assert result.command == ["uvicorn", "quotes.main:app", "--host", "0.0.0.0", "--port", "8000"]
    assert result.dev_command == ["fastapi", "dev", "--host", "0.0.0.0", "src/quotes"]
    assert result.notes == []  # fastapi[standard] brings uvicorn: nothing to add


def test_fastapi_dev_without_host_listens_on_all_interfaces_in_dev() -> None:
    result = translate(["fastapi", "dev", "--port", "9000", "app/main.py"], APP, {"uvicorn"})
    assert result.dev_command == [
        "fastapi",
        "dev",
        "--host",
        "0.0.0.0",
        "--port",
        "9000",
        "app/main.py",
    ]
    assert result.command[-1] == "9000"


def test_plain_fastapi_without_a_server_is_told_to_add_uvicorn() -> None:
    result = translate(["fastapi", "run", "src/quotes"], APP, provided(["fastapi"]))
    assert result.command[0] == "uvicorn" and result.dev_command is None
    assert any("add uvicorn" in note for note in result.notes)


def test_flask_debug_splits_into_gunicorn_and_flask_run() -> None:
    cmd = ["flask", "--app", "shop.web:app", "run", "--debug", "--port", "5001"]
    result = translate(cmd, None, {"flask", "gunicorn"})
    assert result.command == ["gunicorn", "--bind", "0.0.0.0:5001", "shop.web:app"]
    assert result.dev_command == cmd


def test_flask_debug_without_gunicorn_keeps_flask_and_says_so() -> None:
    result = translate(["flask", "run", "--debug"], None, {"flask"})
    assert result.command == ["flask", "run"]
    assert result.dev_command == ["flask", "run", "--debug"]
    assert "gunicorn" in result.notes[0]


def test_reload_flags_go_to_the_dev_command_only() -> None:
    cmd = ["uvicorn", "a.b:app", "--reload", "--reload-dir", "src", "--port", "8001"]
    result = translate(cmd)
    assert result.command == ["uvicorn", "a.b:app", "--port", "8001"]
    assert result.dev_command == cmd
    assert translate(["python", "-m", "uvicorn", "a:app"]).command == ["uvicorn", "a:app"]


def test_a_plain_command_stays() -> None:
    result = translate(["uv", "run", "worker", "--loop"])
    assert (result.command, result.dev_command, result.notes) == (["worker", "--loop"], None, [])


def test_extras_that_bring_a_server() -> None:
    assert {"uvicorn", "fastapi-cli"} <= provided(["fastapi[standard]>=0.115"])
    assert "uvicorn" not in provided(["fastapi>=0.115", "httpx"])
    assert "uvicorn" in provided(["uvicorn[standard]"])


def test_environment_of_uv_and_python_is_not_the_apps() -> None:
    env = {"UV_NO_DEV": "1", "UV_LINK_MODE": "copy", "PYTHONUNBUFFERED": "1", "API_KEY_FILE": "/k"}
    mine, theirs = app_environment(env)
    assert mine == {"API_KEY_FILE": "/k"}
    assert theirs == ["UV_NO_DEV", "UV_LINK_MODE", "PYTHONUNBUFFERED"]


def test_a_script_run_by_its_path_becomes_a_module(tmp_path: Path) -> None:
    package = tmp_path / "pinger"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "run.py").write_text("if __name__ == '__main__':\n    print('hi')\n")
    argv = ["python", "/app/apps/pinger/pinger/run.py", "--once"]
    assert script_module(argv, tmp_path) == ["python", "-m", "pinger.run", "--once"]
    assert script_module(["python", "/app/other/run.py"], tmp_path) is None
    assert script_module(["python", "-m", "pinger"], tmp_path) is None
