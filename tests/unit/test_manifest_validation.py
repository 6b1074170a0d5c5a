"""Bad manifest input is refused at load time: one line naming the file and field, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.cli import main
from dockyard.manifest import load_project

TARGET = '\n[tool.dockyard.deploy.prod]\nhost = "ssh://root@127.0.0.1"\napps = ["web"]\n'


def _rewrite(root: Path, old: str, new: str, file: str = "pyproject.toml") -> None:
    path = root / file
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _load_error(capsys: pytest.CaptureFixture[str], root: Path) -> str:
    """`dockyard generate` on ``root``: exit 2, one line, no traceback, nothing written."""
    before = sorted(p.name for p in root.iterdir())
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--project", str(root)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dockyard: error: "), err
    assert sorted(p.name for p in root.iterdir()) == before
    return lines[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('ports = ["8080"]', 'ports = ["99999"]', "apps.web.ports: '99999': port 99999 is outside"),
        ('ports = ["8080"]', 'ports = ["0:8080"]', "port 0 is outside 1-65535"),
        ('volumes = ["state:/state"]', 'volumes = ["db"]', "apps.web.volumes: 'db' has no target"),
        ('volumes = ["state:/state"]', 'volumes = ["./x"]', "'./x' has no target"),
        ('volumes = ["state:/state"]', 'volumes = ["db:data:rw:x"]', "too many ':'"),
        ('volumes = ["state:/state"]', 'volumes = ["db:/d:rw,x"]', "unknown mode 'x'"),
        (
            '[tool.dockyard]\nname = "mini"',
            '[tool.dockyard]\nname = "x."',
            "tool.dockyard.name: 'x.' is not a Compose project name",
        ),
        (
            '[tool.dockyard]\nname = "mini"',
            '[tool.dockyard]\nname = "Mini"',
            "not a Compose project name",
        ),
        (
            '[tool.dockyard]\nname = "mini"',
            '[tool.dockyard]\nname = "mini"\nregistry = "https://registry.example.com/team"',
            "tool.dockyard.registry: 'https://registry.example.com/team' has a scheme",
        ),
        ('writable = ["/state"]', 'writable = ["/"]', "apps.web.writable: '/' is the root folder"),
        ('writable = ["/state"]', 'writable = ["/app/../.."]', "has '.' or '..'"),
        ('writable = ["/state"]', 'writable = ["/a b"]', "may hold only"),
        ('{ http = "http://127.0.0.1:8080/health"', '{ http = "http://"', "apps.web.healthcheck"),
        (
            'command = ["mini-tool"]',
            'command = ["mini-tool"]\ndepends-on = ["notebook"]\n'
            '[tool.dockyard.apps.notebook]\nmember = "mini-lib"\n',
            "apps.tool.depends-on: 'notebook' has no command",
        ),
        (
            'environment = { MINI_GREETING = "hello" }',
            'environment = { "A=B" = "hello" }',
            "apps.web.environment: 'A=B' is not a variable name",
        ),
    ],
)
def test_refused_at_load(
    capsys: pytest.CaptureFixture[str], mini: Path, old: str, new: str, expected: str
) -> None:
    _rewrite(mini, old, new)
    line = _load_error(capsys, mini)
    assert str(mini / "pyproject.toml") in line
    assert expected in line


@pytest.mark.parametrize(
    "ports", ['["[::1]:8080:8080"]', '["8000-8001:8000-8001"]', '["127.0.0.1::8080/udp"]']
)
def test_valid_compose_ports_load(mini: Path, ports: str) -> None:
    _rewrite(mini, 'ports = ["8080"]', f"ports = {ports}")
    assert load_project(mini).apps["web"].config.ports


def test_deploy_target_with_no_apps(capsys: pytest.CaptureFixture[str], mini: Path) -> None:
    (mini / "pyproject.toml").write_text(
        (mini / "pyproject.toml").read_text() + TARGET.replace('["web"]', "[]")
    )
    line = _load_error(capsys, mini)
    assert "tool.dockyard.deploy.prod.apps: name at least one app" in line


def test_deploy_target_ports_and_volumes_are_checked(
    capsys: pytest.CaptureFixture[str], mini: Path
) -> None:
    text = TARGET + '[tool.dockyard.deploy.prod.app.web]\nvolumes = ["xx:y"]\n'
    (mini / "pyproject.toml").write_text((mini / "pyproject.toml").read_text() + text)
    assert "deploy.prod.app.web.volumes: 'xx:y': 'y' is not an absolute path" in _load_error(
        capsys, mini
    )


def test_the_proxy_image_must_be_pinned_by_digest(
    capsys: pytest.CaptureFixture[str], mini: Path
) -> None:
    manifest = mini / "pyproject.toml"
    original = manifest.read_text()
    manifest.write_text(original + TARGET + 'proxy-image = "caddy:2.11.7-alpine"\n')
    line = _load_error(capsys, mini)
    assert "tool.dockyard.deploy.prod.proxy-image: " in line and "pin the proxy image" in line
    pinned = "127.0.0.1:5000/caddy@sha256:" + "ab" * 32
    manifest.write_text(original + TARGET + f'proxy-image = "{pinned}"\n')
    assert load_project(mini).deploy["prod"].proxy_image == pinned


def test_non_utf8_pyproject(capsys: pytest.CaptureFixture[str], mini: Path) -> None:
    path = mini / "packages" / "mini_web" / "pyproject.toml"
    path.write_bytes(path.read_bytes().replace(b'version = "0.2.0"', b'version = "0.2.0" # \xe9'))
    line = _load_error(capsys, mini)
    assert f"{path}: not UTF-8 text (byte 0xe9" in line


def test_missing_member_pyproject_is_named_as_a_file(
    capsys: pytest.CaptureFixture[str], mini: Path
) -> None:
    (mini / "packages" / "mini_tool" / "pyproject.toml").unlink()
    line = _load_error(capsys, mini)
    assert f"{mini / 'packages' / 'mini_tool' / 'pyproject.toml'}: not found" in line
    assert "'packages/*'" in line


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("[tool.uv.workspace]", "[tool.uv.workspace.x]"),
        ('members = ["packages/*"]', 'members = "packages/*"'),
        ("[tool.uv]\npackage = false", 'tool.uv = "x"\n[tool.uvx]\npackage = false'),
    ],
)
def test_odd_workspace_tables(
    capsys: pytest.CaptureFixture[str], mini: Path, old: str, new: str
) -> None:
    _rewrite(mini, old, new)
    try:
        load_project(mini)
    except Exception as exc:  # noqa: BLE001 - the point: which type
        assert type(exc).__name__ == "DockyardError", repr(exc)
