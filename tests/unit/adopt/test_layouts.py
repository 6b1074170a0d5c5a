"""`dockyard init`'s detection on the layouts of issue 17 (no engine)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockyard.adopt.detect import detect
from dockyard.cli import cli
from dockyard.errors import DockyardError
from dockyard.render.dockerfile import _source_mounts
from dockyard.workspace import load_workspace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def test_a_dev_dockerfile_gives_prod_and_dev_commands() -> None:
    detection = detect(FIXTURES / "dev_command_app")
    [app] = detection.apps
    assert app.command == ["uvicorn", "quotes.main:app", "--host", "0.0.0.0", "--port", "8000"]
    assert app.dev_command == ["fastapi", "dev", "--host", "0.0.0.0", "src/quotes"]
    assert app.environment == {"QUOTES_BY": "the-zen"}
    assert app.health == "http://127.0.0.1:8000/health"
    assert not [line for line in detection.unmapped if "uvicorn" in line]
    assert any("UV_NO_DEV" in line and "not of the app" in line for line in detection.found)
    assert "dev-command = [" in detection.files["pyproject.toml"]


def test_member_dockerfiles_make_apps_and_libraries_say_why() -> None:
    detection = detect(FIXTURES / "member_dockerfiles")
    apps = {app.name: app for app in detection.apps}
    assert apps["pinger"].command == ["python", "-m", "pinger.run"]
    assert apps["pinger"].why.startswith("apps/pinger/Dockerfile CMD")
    assert apps["board"].command == [
        "uvicorn",
        "board.web:app",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    assert apps["board"].ports == ["8080:8080"]
    assert detection.libraries == ["signals"]
    assert detection.library_why["signals"].endswith("used by board, pinger")


def test_without_its_dockerfile_a_factory_app_is_a_library(tmp_path: Path) -> None:
    root = _copy("member_dockerfiles", tmp_path)
    (root / "apps" / "board" / "Dockerfile").unlink()
    assert "board" in detect(root).libraries  # the CMD was the only signal


def test_a_namespace_package_with_main_is_a_package() -> None:
    detection = detect(FIXTURES / "namespace_main")
    [app] = detection.apps
    assert (app.member, app.command) == ("tally-report", ["python", "-m", "tally_report"])
    assert "requirements_report.txt -> dependencies of tally-report" in detection.found
    assert not [line for line in detection.unmapped if "requirements_report" in line]


def test_init_refuses_a_command_whose_module_no_image_holds(tmp_path: Path) -> None:
    root = _copy("namespace_main", tmp_path)
    (root / "tally_report" / "__main__.py").rename(root / "tally_report" / "main.py")
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace('"tally_report"]', '"tally_report.main"]'))
    with pytest.raises(DockyardError) as error:
        detect(root)
    message = str(error.value)
    assert (
        "Dockerfile stage report: its command runs tally_report.main, but tally_report/ is not"
        in message
    )
    assert message.endswith("nothing was written")


def test_root_tests_are_reported_with_the_app_that_runs_them() -> None:
    detection = detect(FIXTURES / "root_tests")
    assert any(
        line.startswith("tests/ at the root (imports shelf-cli, shelf-core)")
        and "dev container of app cli" in line
        for line in detection.found
    )


def test_bricks_outside_a_member_are_mounted_into_its_builds() -> None:
    greeter = load_workspace(FIXTURES / "bricks").members["greeter"]
    assert greeter.outside == ("bases/acme/greet_cli", "components/acme/greeting")
    mounts = _source_mounts(greeter)
    assert mounts == [
        "--mount=type=bind,source=projects/greeter,target=/src/projects/greeter",
        "--mount=type=bind,source=bases/acme/greet_cli,target=/src/bases/acme/greet_cli",
        "--mount=type=bind,source=components/acme/greeting,target=/src/components/acme/greeting",
    ]


def test_a_polylith_brick_map_is_read_too(tmp_path: Path) -> None:
    root = _copy("bricks", tmp_path)
    path = root / "projects" / "greeter" / "pyproject.toml"
    text = path.read_text().split("[tool.hatch.build]")[0]
    text += (
        "[tool.hatch.build.hooks.polylith-bricks]\n\n[tool.polylith.bricks]\n"
        '"../../bases/acme/greet_cli" = "acme/greet_cli"\n'
        '"../../components/acme/greeting" = "acme/greeting"\n'
    )
    path.write_text(text)
    member = load_workspace(root).members["greeter"]
    assert member.outside == ("bases/acme/greet_cli", "components/acme/greeting")


def test_a_build_reaching_outside_the_repository_is_one_clear_line(tmp_path: Path) -> None:
    root = _copy("bricks", tmp_path / "repo")
    (tmp_path / "repo" / "elsewhere").mkdir()
    path = root / "projects" / "greeter" / "pyproject.toml"
    path.write_text(path.read_text() + '"../../../elsewhere" = "acme/elsewhere"\n')
    with pytest.raises(DockyardError) as error:
        load_workspace(root)
    assert "the build reads '../../../elsewhere', outside the repository" in str(error.value)
    assert "\n" not in str(error.value)


def test_the_report_says_why_each_member_is_an_app_or_a_library() -> None:
    result = CliRunner().invoke(cli, ["init", "--project", str(FIXTURES / "member_dockerfiles")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "      from apps/board/Dockerfile CMD" in lines
    assert any(line.startswith("      from apps/pinger/Dockerfile CMD (") for line in lines)
    assert (
        "  signals: no console script, __main__.py, web app object or Dockerfile CMD; "
        "used by board, pinger"
    ) in lines


def test_a_reload_cmd_in_the_requirements_layout_becomes_the_dev_command(tmp_path: Path) -> None:
    root = _copy("seed", tmp_path)
    dockerfile = root / "Dockerfile"
    text = dockerfile.read_text().replace('"--port", "8000" ]', '"--port", "8000", "--reload" ]')
    dockerfile.write_text(text)
    api = next(app for app in detect(root).apps if app.name == "api")
    assert api.command == [
        "uvicorn",
        "lol_data_api.main:app",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert api.dev_command == [*api.command, "--reload"]
