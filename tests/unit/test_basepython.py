"""requires-python against a base image's Python (basepython.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from dockyard.basepython import accepts, advice, pick_base, requires_python, tag_python
from dockyard.errors import DockyardError


def test_accepts_minor_versions_and_patch_releases() -> None:
    assert accepts(SpecifierSet(">=3.12"), "3.12")
    assert not accepts(SpecifierSet(">=3.12"), "3.11.2")
    assert accepts(SpecifierSet(">=3.12.4"), "3.12")  # a later 3.12 release has it
    assert not accepts(SpecifierSet(">=3.11,<3.13"), "3.13")


def test_tag_python() -> None:
    assert tag_python("python:3.12-slim-bookworm") == "3.12"
    assert tag_python("dockyard/python:3.13-trixie") == "3.13"
    assert tag_python("registry.example.com:5000/python:3.11") == "3.11"
    assert tag_python("python:latest") is None
    assert tag_python("ubuntu:24.04") is None


def test_requires_python_combines_every_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[project]\nrequires-python = ">=3.11"\n')
    b.write_text('[project]\nrequires-python = ">=3.12"\n')
    spec, sources = requires_python([a, b])
    assert not accepts(spec, "3.11") and accepts(spec, "3.13") and len(sources) == 2
    a.write_text('[project]\nrequires-python = "three"\n')
    with pytest.raises(DockyardError, match="a.toml: project.requires-python: 'three'"):
        requires_python([a])


def never(ref: str) -> bool:
    return False


def test_a_base_that_suits_is_kept() -> None:
    assert pick_base(SpecifierSet(">=3.11"), "python:3.12-slim-bookworm", [], never) == (None, None)


def test_an_official_image_when_a_registry_serves_it() -> None:
    image, note = pick_base(SpecifierSet(">=3.12"), "python:3.11-slim", [], lambda ref: True)
    assert image == "python:3.12-slim-bookworm"
    assert "rules out python:3.11-slim (Python 3.11)" in note


def test_a_local_bootstrapped_base_when_no_registry_serves_one() -> None:
    local = ["dockyard/python:3.11-bookworm", "dockyard/python:3.13-trixie", "redis:7"]
    image, note = pick_base(SpecifierSet(">=3.12"), "dockyard/python:3.11-bookworm", local, never)
    assert image == "dockyard/python:3.13-trixie"
    assert "no registry serves python:3.12-slim-bookworm" in note


def test_nothing_at_hand_says_to_bootstrap_trixie() -> None:
    image, note = pick_base(SpecifierSet(">=3.12"), "python:3.11-slim", [], never)
    assert image == "python:3.12-slim-bookworm"
    assert "`dockyard base bootstrap --suite trixie` builds dockyard/python:3.13-trixie" in note
    assert "bootstrap --suite bookworm" in advice(SpecifierSet(">=3.11,<3.12"))
