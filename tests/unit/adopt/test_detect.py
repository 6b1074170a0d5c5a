"""Detection on the fixture repositories: layouts, apps vs libraries, what was not mapped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.adopt.detect import detect
from dockyard.errors import DockyardError
from helpers import FIXTURES


def _apps(root: Path) -> dict:
    return {app.name: app for app in detect(root).apps}


def test_seed_layout() -> None:
    detection = detect(FIXTURES / "seed")
    assert detection.layout == "requirements layout"
    assert detection.name == "lol-data"
    apps = {app.name: app for app in detection.apps}
    assert list(apps) == ["api", "parser", "scripts"]
    assert detection.libraries == ["lol-data"]
    # the Dockerfile's CMD starts run_parser.sh; the app runs what the script runs
    assert apps["parser"].command == ["python", "-m", "lol_data_parser", "--loop"]
    assert apps["parser"].environment == {"PARSER_INTERVAL": "30"}
    assert apps["parser"].volumes == ["./logs:/app/logs"]
    assert apps["parser"].writable == ["/app/logs"]
    api = apps["api"]
    assert api.command == [
        "uvicorn",
        "lol_data_api.main:app",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert api.ports == ["8000:8000"]
    assert api.health == "http://127.0.0.1:8000/health"
    assert apps["scripts"].command is None  # an environment image, as the seed shares it
    [server] = detection.deploy
    assert server.apps == ["parser", "api"]
    assert server.env_files == {"parser": ["env/aws_parser.env"], "api": ["env/aws_api.env"]}
    unmapped = "\n".join(detection.unmapped)
    assert "COPY /config/gspread_pandas" in unmapped
    assert "env_file env/dev.env" in unmapped
    assert 'registry = "REGISTRY_URL"' in unmapped
    assert detection.retired == [
        "requirements_api.txt",
        "requirements_base.txt",
        "requirements_parser.txt",
        "requirements_scripts.txt",
        "Dockerfile",
    ]


def test_requirements_files_carry_dependencies_comments_and_the_dev_group() -> None:
    files = detect(FIXTURES / "seed").files
    assert set(files) == {
        "pyproject.toml",
        "lol_data/pyproject.toml",
        "lol_data_api/pyproject.toml",
        "lol_data_parser/pyproject.toml",
        "lol_data_scripts/pyproject.toml",
    }
    base = files["lol_data/pyproject.toml"]
    assert "# This is the list of packages required for lol_data" in base
    assert '"sqlalchemy>=2.0", # models, sessions, queries' in base
    assert "# psycopg2" in base  # a commented-out requirement stays a comment
    assert 'dev = ["pytest", "python-dotenv", "httpx"]' in base
    parser = files["lol_data_parser/pyproject.toml"]
    assert '"lol-data", # this repository' in parser
    assert "lol-data = {workspace = true}" in parser
    assert '"" = "lol_data_parser"' in parser
    root = files["pyproject.toml"]
    assert 'members = ["lol_data", "lol_data_api", "lol_data_parser", "lol_data_scripts"]' in root
    assert '[tool.dockyard.deploy.server.app.parser]\nenv-file = ["env/aws_parser.env"]' in root


def test_fastapi_single_app_with_src_layout() -> None:
    detection = detect(FIXTURES / "fastapi_app")
    assert detection.layout == "single project"
    [app] = detection.apps
    assert app.name == "notes-api"
    assert app.command == ["uvicorn", "notes_api.app:api", "--host", "0.0.0.0", "--port", "8000"]
    assert app.ports == ["8000:8000"]
    assert app.health == "http://127.0.0.1:8000/healthz"
    assert detection.files["pyproject.toml"].startswith(
        (FIXTURES / "fastapi_app/pyproject.toml").read_text()
    )


def test_cli_app() -> None:
    [app] = detect(FIXTURES / "cli_app").apps
    assert (app.name, app.member, app.command) == ("matchstats", "matchstats", ["matchstats"])


def test_workspace_written_by_someone_else() -> None:
    detection = detect(FIXTURES / "uv_workspace")
    apps = {app.name: app for app in detection.apps}
    assert apps["worker"].command == ["python", "-m", "ladder_worker"]
    assert apps["web"].command[:2] == ["uvicorn", "ladder_web.server:application"]
    assert apps["web"].health == "http://127.0.0.1:8000/ping"
    assert detection.libraries == ["ranking"]  # only apps get images


def test_asgi_app_without_its_server_says_so(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    shutil.copytree(FIXTURES / "fastapi_app", root)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('    "uvicorn>=0.29",\n', ""))
    detection = detect(root)
    assert detection.apps[0].command[0] == "uvicorn"
    assert any("add uvicorn" in line for line in detection.unmapped)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bare_scripts", "Python files but no pyproject.toml or requirements file"),
        ("poetry_only", "uvx migrate-to-uv"),
        ("setup_py_only", "Add a pyproject.toml with a [project] table"),
        ("node_app", "a Node.js project (package.json), not a Python one"),
    ],
)
def test_projects_that_do_not_fit(fixture: str, expected: str) -> None:
    with pytest.raises(DockyardError) as caught:
        detect(FIXTURES / "unsupported" / fixture)
    message = str(caught.value)
    assert expected in message
    assert "dockyard adopts a uv workspace, a single pyproject.toml project" in message
    assert message.endswith("nothing was written")
    assert caught.value.exit_code == 2


def test_project_without_build_system_gets_one(tmp_path: Path) -> None:
    root = tmp_path / "cli"
    shutil.copytree(FIXTURES / "cli_app", root)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().split("[build-system]")[0])
    detection = detect(root)
    text = detection.files["pyproject.toml"]
    assert 'build-backend = "hatchling.build"' in text
    assert 'packages = ["matchstats"]' in text
    assert "[tool.dockyard.apps.matchstats]" in text  # both changes in the one file
    assert detection.backups == ["pyproject.toml"]


def test_hand_written_dockerfile_of_a_workspace_is_moved_aside(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "uv_workspace", root)
    (root / "Dockerfile").write_text("FROM python:3.12\nCMD python -m ladder_worker\n")
    (root / "compose.yaml").write_text("# Generated by dockyard 0.1.0 ...\n")
    detection = detect(root)
    assert detection.retired == ["Dockerfile"]  # a generated compose.yaml is dockyard's own
    assert "Dockerfile" in detection.backups


def test_requirements_dev_file_and_a_local_prod_compose(tmp_path: Path) -> None:
    root = tmp_path / "seed"
    shutil.copytree(FIXTURES / "seed", root)
    (root / "requirements_dev.txt").write_text("# tests\npytest-cov  # coverage\n")
    (root / "docker-compose.yml").write_text(
        "services:\n  lol_data_api:\n    build: {context: ., target: lol_data_api_prod}\n"
        "    env_file: env/api.env\n"
    )
    detection = detect(root)
    assert detection.deploy == []  # it builds locally: not a server's compose file
    assert any("env_file env/api.env" in line for line in detection.unmapped)
    assert "requirements_dev.txt" in detection.retired
    base = detection.files["lol_data/pyproject.toml"]
    assert 'dev = ["pytest-cov", "pytest", "python-dotenv", "httpx"]' in base


def test_root_pyproject_with_tool_settings_only_is_kept_and_extended(tmp_path: Path) -> None:
    root = tmp_path / "seed"
    shutil.copytree(FIXTURES / "seed", root)
    (root / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100  # wide screens\n")
    detection = detect(root)
    assert detection.layout == "requirements layout"
    text = detection.files["pyproject.toml"]
    assert "line-length = 100  # wide screens" in text
    assert "[tool.uv.workspace]" in text and "[tool.dockyard.apps.parser]" in text
    assert "pyproject.toml" in detection.backups and "pyproject.toml" not in detection.retired


def test_members_that_shorten_to_one_name_keep_their_own(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "uv_workspace", root)
    other = root / "apps" / "web"
    shutil.copytree(root / "apps" / "ladder-web", other)
    pyproject = other / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('name = "ladder-web"', 'name = "web"'))
    names = sorted(app.name for app in detect(root).apps)
    assert names == ["ladder-web", "web", "worker"]


def test_requirement_links_between_packages(tmp_path: Path) -> None:
    root = tmp_path / "seed"
    shutil.copytree(FIXTURES / "seed", root)
    api = root / "requirements_api.txt"
    api.write_text("-r requirements_base.txt\n-e ./lol_data_scripts\n" + api.read_text())
    (root / "requirements_scripts.txt").write_text("tabulate\n--index-url https://idx.invalid\n")
    detection = detect(root)
    text = detection.files["lol_data_api/pyproject.toml"]
    assert '"lol-data", # this repository' in text and '"lol-data-scripts", #' in text
    assert '"fastapi>=0.110",' in text
    unmapped = [line for line in detection.unmapped if "requirements_" in line]
    assert unmapped == [
        "requirements_scripts.txt: '--index-url https://idx.invalid' is not a plain "
        "requirement; add it by hand"
    ]


def test_single_app_keeps_what_its_dockerfile_and_compose_say(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    shutil.copytree(FIXTURES / "fastapi_app", root)
    (root / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY . /app\nRUN pip install /app\n"
        'CMD ["uvicorn", "notes_api.app:api", "--host", "0.0.0.0", "--port", "8080"]\n'
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  api:\n    build: .\n    ports: ['80:8080']\n    env_file: .env\n"
        "    volumes: ['./data:/data']\n  db:\n    image: postgres:16\n"
    )
    detection = detect(root)
    [app] = detection.apps
    assert app.command[-1] == "8080" and app.why == "Dockerfile CMD"
    assert app.ports == ["80:8080"]
    assert app.health == "http://127.0.0.1:8080/healthz"
    assert (app.volumes, app.writable) == (["./data:/data"], ["/data"])
    unmapped = "\n".join(detection.unmapped)
    assert "service db (postgres:16) is not your app" in unmapped
    assert "env_file .env" in unmapped
    assert detection.retired == ["Dockerfile"]
