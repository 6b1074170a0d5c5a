from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.buildenv import build_secrets
from dockyard.errors import DockyardError

CA_LINE = "export SSL_CERT_FILE=/run/secrets/ca_bundle PIP_CERT=/run/secrets/ca_bundle"


@pytest.fixture
def certs(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name in ("option", "ssl", "pip", "requests"):
        path = tmp_path / f"{name}.pem"
        path.write_text("-----BEGIN CERTIFICATE-----\n")
        paths[name] = str(path)
    return paths


def _sourced(env_text: str, name: str) -> str:
    """What a RUN step sees: the value of ``name`` after sourcing the secret file."""
    script = env_text + f'printf %s "${name}"'
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout


def test_ca_option_wins(certs: dict[str, str]) -> None:
    environ = {"SSL_CERT_FILE": certs["ssl"], "PIP_CERT": certs["pip"]}
    secrets = build_secrets(certs["option"], environ)
    assert secrets.ca_bundle == Path(certs["option"])
    assert secrets.env_text == CA_LINE + "\n"


@pytest.mark.parametrize(
    ("variables", "chosen"),
    [
        (("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"), "ssl"),
        (("PIP_CERT", "REQUESTS_CA_BUNDLE"), "pip"),
        (("REQUESTS_CA_BUNDLE",), "requests"),
    ],
)
def test_ca_from_the_environment_in_order(
    certs: dict[str, str], variables: tuple[str, ...], chosen: str
) -> None:
    by_variable = {"SSL_CERT_FILE": "ssl", "PIP_CERT": "pip", "REQUESTS_CA_BUNDLE": "requests"}
    environ = {name: certs[by_variable[name]] for name in variables}
    assert build_secrets(None, environ).ca_bundle == Path(certs[chosen])


def test_ca_variable_naming_a_missing_file_is_skipped(certs: dict[str, str]) -> None:
    environ = {"SSL_CERT_FILE": "/nonexistent/ca.pem", "PIP_CERT": certs["pip"]}
    assert build_secrets(None, environ).ca_bundle == Path(certs["pip"])


def test_no_ca_means_no_ca_line() -> None:
    secrets = build_secrets(None, {"HOME": "/root"})
    assert secrets.ca_bundle is None
    assert secrets.env_text == ""


def test_missing_ca_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DockyardError, match="--ca-bundle .*nope.pem: no such file"):
        build_secrets(str(tmp_path / "nope.pem"), {})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("UV_INDEX_URL", "file:///srv/wheels"),
        ("PIP_EXTRA_INDEX_URL", "/srv/wheels"),
        ("UV_EXTRA_INDEX_URL", "https://pypi.example/simple file:///srv/wheels"),
        ("UV_INDEX", "local=file:///srv/wheels"),
    ],
)
def test_host_only_indexes_are_dropped(name: str, value: str) -> None:
    assert build_secrets(None, {name: value}).env_text == ""


def test_indexes_and_credentials_pass_shell_quoted() -> None:
    url = "https://me:p@ss w'rd$HOME@pypi.example/simple"
    environ = {
        "UV_INDEX_URL": url,
        "UV_INDEX": "internal=https://pypi.example/simple",
        "UV_INDEX_INTERNAL_USERNAME": "me",
        "UV_INDEX_INTERNAL_PASSWORD": "s3cr3t; rm -rf /",
        "UV_INDEX_STRATEGY": "unsafe-best-match",
        "AWS_SECRET_ACCESS_KEY": "not-for-the-build",
    }
    text = build_secrets(None, environ).env_text
    names = [line.split("=")[0].removeprefix("export ") for line in text.splitlines()]
    assert names == [
        "UV_INDEX",
        "UV_INDEX_URL",
        "UV_INDEX_INTERNAL_PASSWORD",
        "UV_INDEX_INTERNAL_USERNAME",
        "PIP_INDEX_URL",
    ]
    assert _sourced(text, "UV_INDEX_URL") == url
    assert _sourced(text, "PIP_INDEX_URL") == url
    assert _sourced(text, "UV_INDEX_INTERNAL_PASSWORD") == "s3cr3t; rm -rf /"


def test_pip_index_url_of_its_own_is_kept() -> None:
    environ = {"UV_DEFAULT_INDEX": "https://a.example/simple", "PIP_INDEX_URL": "https://b/simple"}
    text = build_secrets(None, environ).env_text
    assert _sourced(text, "PIP_INDEX_URL") == "https://b/simple"
    assert text.count("PIP_INDEX_URL") == 1
