"""Depth-first walks over "needs" relations (apps' depends-on, members' requirements):
one implementation of dependencies-first order and of finding a cycle."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def dependencies_first(
    roots: Iterable[Node], needs: Callable[[Node], Iterable[Node]]
) -> list[Node]:
    """``roots`` and everything they need, each after what it needs, each once."""
    order: list[Node] = []
    seen: set[Node] = set()

    def visit(node: Node) -> None:
        if node in seen:
            return
        seen.add(node)
        for need in needs(node):
            visit(need)
        order.append(node)

    for root in roots:
        visit(root)
    return order


def find_cycle(nodes: Iterable[Node], needs: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """The first cycle (``[a, b, a]``) through ``needs``, else ``[]``."""
    done: set[Node] = set()

    def visit(node: Node, trail: list[Node]) -> list[Node]:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return []
        for need in needs(node):
            found = visit(need, [*trail, node])
            if found:
                return found
        done.add(node)
        return []

    for node in nodes:
        found = visit(node, [])
        if found:
            return found
    return []
