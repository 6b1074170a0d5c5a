"""docs/reference stays in step with the code: every manifest key and every `--json` key is
documented (the models and the output builders are the one source; the docs follow)."""

from __future__ import annotations

import re

from pydantic import BaseModel

from dockyard.build.images import Built
from dockyard.commands.doctor import Finding
from dockyard.manifest import (
    AppConfig,
    DeployApp,
    DeployTarget,
    DockyardConfig,
    Healthcheck,
    ShareConfig,
)
from helpers import REPO

REFERENCE = REPO / "docs" / "reference"


def _documented_keys(text: str) -> set[str]:
    """The keys in the first column of the Markdown tables."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, re.M))


def _keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_every_manifest_key_is_in_the_reference() -> None:
    documented = _documented_keys((REFERENCE / "manifest.md").read_text())
    for model in (DockyardConfig, AppConfig, Healthcheck, ShareConfig, DeployTarget, DeployApp):
        assert _keys(model) - documented == set(), model.__name__


def test_every_json_key_is_in_the_reference() -> None:
    text = (REFERENCE / "json-output.md").read_text()
    build, verify, doctor = (
        _documented_keys(part) for part in re.split(r"^## ", text, flags=re.M)[1:4]
    )
    # build --json: Built's fields, with its kind printed as "target"
    built = {"target" if f == "kind" else f for f in Built.__dataclass_fields__}
    assert build == built
    assert doctor == set(Finding.__dataclass_fields__)
    source = (REPO / "src" / "dockyard" / "commands" / "verify.py").read_text()
    assert verify == set(re.findall(r'"(\w+)": ', source)) | {"built_image_note"}


def test_the_readme_layout_names_every_module_and_package() -> None:
    readme = (REPO / "README.md").read_text()
    layout = readme[readme.index("## Layout") :].split("```")[1]
    source = REPO / "src" / "dockyard"
    names = {
        p.name + ("/" if p.is_dir() else "")
        for p in source.iterdir()
        if not p.name.startswith("_") and (p.is_dir() or p.suffix == ".py")
    }
    missing = {n for n in names if not re.search(rf"^  {re.escape(n)}\s", layout, re.M)}
    assert missing == set()
    for command in (source / "commands").glob("*.py"):
        if command.stem != "__init__":
            assert command.stem in layout, command.name
