"""Dev environments: devcontainer.json, dev services' user, dev-image staleness (pure)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from dockyard.cli import main
from dockyard.commands.dev import dev_app
from dockyard.commands.generate import load_plan
from dockyard.commands.notebook import jupyter_argv, notebook_app
from dockyard.devuser import dev_ids
from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.plan import Plan, make_plan
from dockyard.render import render_all
from dockyard.staleness import chain, dev_inputs_hash, parse_stages


def _rewrite(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _render(root: Path) -> dict[str, str]:
    return render_all(load_plan(load_project(root)))


def _jsonc(text: str) -> dict:
    return json.loads("\n".join(line for line in text.splitlines() if not line.startswith("//")))


@pytest.fixture
def files(locked_mini: Path) -> dict[str, str]:
    return _render(locked_mini)


# ---- .devcontainer/<app>/devcontainer.json ----


def test_one_compose_based_devcontainer_per_app(files: dict[str, str]) -> None:
    assert sorted(f for f in files if f.startswith(".devcontainer/")) == [
        ".devcontainer/tool/devcontainer.json",
        ".devcontainer/web/devcontainer.json",
    ]
    web = _jsonc(files[".devcontainer/web/devcontainer.json"])
    assert web["dockerComposeFile"] == ["../../compose.dev.yaml"]
    assert web["service"] == "web"
    assert web["runServices"] == ["web"]
    assert web["workspaceFolder"] == "/workspace/packages/mini_web"
    assert web["shutdownAction"] == "stopCompose"
    assert web["overrideCommand"] is True
    assert (web["remoteUser"], web["updateRemoteUserUID"]) == ("dev", True)
    settings = web["customizations"]["vscode"]["settings"]
    assert settings["python.defaultInterpreterPath"] == "/opt/venv/bin/python"


def test_devcontainer_runs_only_the_services_the_app_needs(locked_mini: Path) -> None:
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ntest-needs = ["web"]')
    files = _render(locked_mini)
    tool = _jsonc(files[".devcontainer/tool/devcontainer.json"])
    assert tool["runServices"] == ["web", "tool"]
    assert _jsonc(files[".devcontainer/web/devcontainer.json"])["runServices"] == ["web"]


def test_devcontainer_service_and_folder_exist_in_compose_dev(files: dict[str, str]) -> None:
    services = yaml.safe_load(files["compose.dev.yaml"])["services"]
    for app in ("web", "tool"):
        config = _jsonc(files[f".devcontainer/{app}/devcontainer.json"])
        assert services[config["service"]]["working_dir"] == config["workspaceFolder"]
        assert set(config["runServices"]) <= set(services)


# ---- compose.dev.yaml: user, init, dev-command ----


def test_dev_services_run_as_dockyard_uid_with_defaults(files: dict[str, str]) -> None:
    services = yaml.safe_load(files["compose.dev.yaml"])["services"]
    for service in services.values():
        assert service["user"] == "${DOCKYARD_UID:-1000}:${DOCKYARD_GID:-1000}"
        assert service["init"] is True


def test_dev_command_replaces_command_in_dev_services_only(locked_mini: Path) -> None:
    _rewrite(
        locked_mini,
        'command = ["python", "-m", "mini_web"]',
        'command = ["python", "-m", "mini_web"]\n'
        'dev-command = ["python", "-m", "mini_web", "--dev"]',
    )
    files = _render(locked_mini)
    dev = yaml.safe_load(files["compose.dev.yaml"])["services"]["web"]
    assert dev["command"] == ["python", "-m", "mini_web", "--dev"]
    assert 'CMD ["python", "-m", "mini_web"]' in files["Dockerfile"]
    assert "--dev" not in files["Dockerfile"] + files["compose.yaml"]


def test_empty_dev_command_is_a_manifest_error(locked_mini: Path) -> None:
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ndev-command = []')
    with pytest.raises(DockyardError, match=r"tool\.dockyard\.apps\.tool\.dev-command: must not"):
        load_project(locked_mini)


def test_dev_stage_has_a_dev_user_and_dirs_any_uid_may_write(files: dict[str, str]) -> None:
    stage = files["Dockerfile"].split(" AS web-dev\n")[1].split("\n\n")[0]
    assert "useradd --non-unique --uid 1000 --gid 1000" in stage
    assert "chmod 1777 /home/dev /state" in stage
    assert "ENV HOME=/home/dev" in stage
    assert stage.rstrip().endswith("WORKDIR /workspace/packages/mini_web")
    prod = files["Dockerfile"].split(" AS web\n")[1].split("# ---- app")[0]
    assert "/home/dev" not in prod and "dev-inputs" not in prod


# ---- which uid:gid ----


@pytest.mark.parametrize(
    ("environ", "user", "owner", "expected"),
    [
        ({}, (1234, 1235), (1000, 1000), (1234, 1235)),  # a user: their own ids
        ({}, (0, 0), (1000, 1001), (1000, 1001)),  # root (sudo, CI): the tree's owner
        ({}, (0, 0), (0, 0), (0, 0)),  # root's own tree stays root's
        ({"DOCKYARD_UID": "42"}, (1234, 1235), (0, 0), (42, 1235)),
        ({"DOCKYARD_UID": "42", "DOCKYARD_GID": " 43 "}, (0, 0), (7, 7), (42, 43)),
    ],
)
def test_dev_ids(environ: dict, user: tuple, owner: tuple, expected: tuple) -> None:
    assert dev_ids(environ, user, owner) == expected


def test_dev_ids_reject_a_name() -> None:
    with pytest.raises(DockyardError, match="DOCKYARD_UID='alice' is not a numeric id"):
        dev_ids({"DOCKYARD_UID": "alice"}, (1000, 1000), (1000, 1000))


# ---- staleness hash ----

DOCKERFILE = """\
FROM img@sha256:aa AS base
RUN true
FROM base AS uv
RUN make-uv
FROM base AS deps-a
RUN --mount=type=bind,from=uv,source=/uv,target=/uv \\
    --mount=type=bind,source=req/a.txt,target=/tmp/r.txt \\
    install
# a comment
FROM deps-a AS a-dev
RUN --mount=type=bind,source=packages/a,target=/workspace/packages/a \\
    install -e
FROM deps-a AS a
RUN build-prod
FROM base AS deps-b
RUN --mount=type=bind,source=req/b.txt,target=/tmp/r.txt install
"""
FILES = {"req/a.txt": "x==1\n", "req/b.txt": "y==1\n"}


def test_chain_follows_parents_and_mounted_stages() -> None:
    stages = parse_stages(DOCKERFILE)
    assert [s.name for s in chain(stages, "a-dev")] == ["base", "uv", "deps-a", "a-dev"]


def _hash(dockerfile: str = DOCKERFILE, files: dict[str, str] = FILES) -> str:
    return dev_inputs_hash(dockerfile, "a-dev", files.get)


def test_hash_is_stable_and_short() -> None:
    assert _hash() == _hash()
    assert re.fullmatch(r"[0-9a-f]{32}", _hash())


@pytest.mark.parametrize(
    "change",
    [
        lambda d, f: (d.replace("sha256:aa", "sha256:bb"), f),  # base re-pinned
        lambda d, f: (d.replace("make-uv", "make-uv2"), f),  # a mounted stage changed
        lambda d, f: (d, {**f, "req/a.txt": "x==2\n"}),  # the lock export changed
        lambda d, f: (d.replace("install -e", "install -e --more"), f),  # the dev stage
    ],
)
def test_hash_changes_with_every_input(change) -> None:
    dockerfile, files = change(DOCKERFILE, FILES)
    assert _hash(dockerfile, files) != _hash()


@pytest.mark.parametrize(
    "change",
    [
        lambda d, f: (d.replace("build-prod", "build-prod2"), f),  # the prod stage
        lambda d, f: (d, {**f, "req/b.txt": "y==2\n"}),  # another app's export
        lambda d, f: (d.replace("# a comment", "# another comment\n"), f),  # comments
        lambda d, f: (d, {**f, "packages/a": "source edits are mounted"}),  # never read
    ],
)
def test_hash_ignores_what_the_dev_image_does_not_read(change) -> None:
    dockerfile, files = change(DOCKERFILE, FILES)
    if "packages/a" in files:
        files = {**files}
        files.pop("packages/a")
    assert _hash(dockerfile, files) == _hash()


def test_hash_of_an_unknown_stage_is_an_error() -> None:
    with pytest.raises(ValueError, match="no stage named 'nope'"):
        dev_inputs_hash(DOCKERFILE, "nope", FILES.get)


def test_rendered_hash_changes_when_the_lock_export_does(locked_mini: Path) -> None:
    before = json.loads(_render(locked_mini)["docker-bake.json"])["target"]
    label = "io.dockyard.dev-inputs"
    assert re.fullmatch(r"[0-9a-f]{32}", before["web-dev"]["labels"][label])
    assert label not in before["web"]["labels"]
    _rewrite(locked_mini, 'command = ["mini-tool"]', 'command = ["mini-tool"]\nwritable = ["/x"]')
    after = json.loads(_render(locked_mini)["docker-bake.json"])["target"]
    assert after["web-dev"]["labels"] == before["web-dev"]["labels"]
    assert after["tool-dev"]["labels"] != before["tool-dev"]["labels"]


# ---- dockyard notebook: which app ----

JUPYTERLAB = "jupyterlab==4.6.6 \\\n    --hash=sha256:" + "aa" * 32


def _plan(mini: Path, with_jupyter: tuple[str, ...]) -> Plan:
    project = load_project(mini)
    exports = {}
    for member in ("mini-lib", "mini-web", "mini-tool"):
        dev = JUPYTERLAB if member in with_jupyter else ""
        exports[member] = ("", dev)
    return make_plan(
        project, base_reference="b@sha256:" + "ab" * 32, uv_requirements="", exports=exports
    )


def test_notebook_defaults_to_the_one_app_with_jupyterlab(locked_mini: Path) -> None:
    assert notebook_app(_plan(locked_mini, ("mini-tool",)), None).name == "tool"
    # a library's dev group reaches every app that contains it
    with pytest.raises(
        DockyardError, match=r"name the app: .* \(apps with jupyterlab in .*: web, tool\)"
    ):
        notebook_app(_plan(locked_mini, ("mini-lib",)), None)
    with pytest.raises(DockyardError, match=r"apps with jupyterlab in .*: none\)"):
        notebook_app(_plan(locked_mini, ()), None)


def test_notebook_app_without_jupyterlab_says_what_to_add(locked_mini: Path) -> None:
    plan = _plan(locked_mini, ("mini-tool",))
    assert notebook_app(plan, "tool").name == "tool"
    with pytest.raises(DockyardError, match="app 'web' has no jupyterlab .* of mini-web"):
        notebook_app(plan, "web")
    with pytest.raises(DockyardError, match="unknown app 'nope'"):
        notebook_app(plan, "nope")


def test_jupyter_serves_the_workspace_on_all_container_interfaces() -> None:
    argv = jupyter_argv()
    assert argv[:2] == ["jupyter", "lab"]
    assert "--ip=0.0.0.0" in argv and "--ServerApp.root_dir=/workspace" in argv
    assert not any("token" in a for a in argv)  # the token travels in the environment


# ---- dockyard dev: which app ----


def test_dev_defaults_to_the_one_app_with_a_dev_command(locked_mini: Path) -> None:
    with pytest.raises(DockyardError, match=r"name the app: .*dev-command in .*: none\)"):
        dev_app(load_project(locked_mini), None)
    assert dev_app(load_project(locked_mini), "tool").name == "tool"
    _rewrite(locked_mini, 'restart = "no"', 'restart = "no"\ndev-command = ["mini-tool", "--x"]')
    assert dev_app(load_project(locked_mini), None).name == "tool"
    with pytest.raises(DockyardError, match="unknown app 'nope'"):
        dev_app(load_project(locked_mini), "nope")


# ---- CLI errors before any engine is needed ----


def _cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--project", str(root)])
    return exit_info.value.code, capsys.readouterr().err.strip()


def test_down_before_generate_says_what_to_do(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, err = _cli(capsys, locked_mini, "down")
    assert code == 2
    assert (
        err
        == f"dockyard: error: no compose.dev.yaml in {locked_mini}; run `dockyard generate` first"
    )


def test_dev_and_notebook_name_the_missing_app_in_one_line(
    capsys: pytest.CaptureFixture[str], locked_mini: Path
) -> None:
    code, err = _cli(capsys, locked_mini, "dev")
    assert code == 2 and err.startswith("dockyard: error: name the app: `dockyard dev APP`")
    code, err = _cli(capsys, locked_mini, "notebook", "web")
    assert code == 2 and "app 'web' has no jupyterlab" in err and "\n" not in err
