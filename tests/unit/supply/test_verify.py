"""supply/verify.py: which key a deploy target requires (the cosign check itself runs
against a real registry in tests/integration/test_supply.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.supply.verify import public_key, require_signatures

TARGETS = """
[tool.dockyard.deploy.prod]
apps = ["web"]
require-signature = "keys/signing.pub"

[tool.dockyard.deploy.open]
apps = ["web"]
"""


def _project(mini: Path):
    with (mini / "pyproject.toml").open("a") as handle:
        handle.write(TARGETS)
    return load_project(mini)


def test_missing_public_key_names_the_field(mini: Path) -> None:
    project = _project(mini)
    with pytest.raises(DockyardError) as caught:
        public_key(project, "prod", project.deploy["prod"])
    message = str(caught.value)
    assert "tool.dockyard.deploy.prod.require-signature" in message
    assert "keys/signing.pub does not exist" in message


def test_the_key_is_found_relative_to_the_project(mini: Path) -> None:
    project = _project(mini)
    (mini / "keys").mkdir()
    (mini / "keys/signing.pub").write_text("-----BEGIN PUBLIC KEY-----\n")
    assert public_key(project, "prod", project.deploy["prod"]) == mini / "keys/signing.pub"


def test_a_target_without_the_field_checks_nothing(mini: Path) -> None:
    project = _project(mini)
    assert public_key(project, "open", project.deploy["open"]) is None
    # no key required: returns before asking cosign anything (none may be installed)
    require_signatures(project, "open", project.deploy["open"], {"web": "x/web@sha256:0"})


def test_the_field_is_validated_with_the_manifest(mini: Path) -> None:
    with (mini / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.dockyard.deploy.bad]\napps = ["web"]\nrequire-signature = 3\n')
    with pytest.raises(DockyardError, match="tool.dockyard.deploy.bad.require-signature"):
        load_project(mini)
