"""The test suite's own layout (issue 11): tests mirror the source tree, share helpers
through tests/helpers.py, and never import one another or a conftest."""

from __future__ import annotations

import ast
from collections import Counter

from helpers import REPO

TESTS = REPO / "tests"
SRC = REPO / "src" / "dockyard"


def _test_files() -> list:
    return [p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts]


def test_no_test_module_imports_another_or_a_conftest() -> None:
    found = set()
    for path in _test_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found |= {(path.name, n) for n in names if n == "conftest" or n.startswith("test_")}
    assert found == set()


def test_test_file_names_are_unique() -> None:
    """Test folders are not packages, so two test_x.py anywhere would clash."""
    counts = Counter(p.name for p in _test_files() if p.name.startswith("test_"))
    assert [name for name, n in counts.items() if n > 1] == []


def test_unit_test_folders_mirror_packages() -> None:
    folders = {p.name for p in (TESTS / "unit").iterdir() if p.is_dir() and p.name[0] != "_"}
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert folders - packages == set()
