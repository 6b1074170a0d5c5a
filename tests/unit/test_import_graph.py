"""The package's layering, read from the source with ast (issue 11): a command module is a
leaf that imports no other command, nothing below the CLI imports a command, and no two
modules import each other, even through imports hidden inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import dockyard

SRC = Path(dockyard.__file__).parent

# Exceptions to the layering: none since the deploy/ package landed (issue 11, item 2).
KNOWN: set[tuple[str, str]] = set()


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Every dockyard module and the dockyard modules it imports, anywhere in its body."""
    modules = {_module(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from dockyard.commands import init` imports the module commands.init
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges - {"dockyard"}
    return graph


def _is_command(name: str) -> bool:
    return name.startswith("dockyard.commands.")


def test_the_graph_sees_the_commands() -> None:
    graph = _graph()
    assert "dockyard.commands.build" in graph
    assert "dockyard.build.images" in graph["dockyard.commands.build"]


def test_no_command_imports_another_command() -> None:
    found = {
        (name, target)
        for name, targets in _graph().items()
        if _is_command(name)
        for target in targets
        if _is_command(target)
    }
    assert found - KNOWN == set()


def test_only_the_cli_imports_commands() -> None:
    found = {
        (name, target)
        for name, targets in _graph().items()
        if not _is_command(name) and name not in ("dockyard.cli", "dockyard.commands")
        for target in targets
        if _is_command(target)
    }
    assert found == set()


def test_no_import_cycle() -> None:
    graph = {n: {t for t in ts if (n, t) not in KNOWN} for n, ts in _graph().items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
