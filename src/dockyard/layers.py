"""Which groups of apps get a shared dependency layer (pure).

Image layers form a chain, so the layers several images share form a tree: a group
of apps can share a layer only if every other group either contains it, lies inside
it, or is disjoint from it (a laminar family). Every app group is a candidate whose
packages some apps have in common; groups are taken greedily by the bytes they stop
storing twice, and a package is installed in the widest chosen groups inside the set
of apps that need it, so no image carries a package its app does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
Group = frozenset[str]

# A group layer costs a build step and a layer; below this it is not worth one.
MIN_SHARED_BYTES = 1_000_000


def _laminar(group: Group, family: Iterable[Group]) -> bool:
    return all(group <= g or g <= group or not group & g for g in family)


def placement(users: Group, family: Sequence[Group]) -> list[Group]:
    """The widest groups of ``family`` (singletons implied) inside ``users``: where a
    package the apps ``users`` need is installed. They are disjoint and cover ``users``."""
    inside = [g for g in family if g <= users]
    widest = [g for g in inside if not any(g < other for other in inside)]
    covered = frozenset().union(*widest) if widest else frozenset()
    return sorted(widest, key=sorted) + [frozenset({a}) for a in sorted(users - covered)]


def _stored(users: Mapping[K, Group], weight: Callable[[K], int], family: list[Group]) -> int:
    return sum(weight(k) * len(placement(u, family)) for k, u in users.items())


def choose_groups(
    users: Mapping[K, Group],
    weight: Callable[[K], int],
    apps: Sequence[str],
    min_bytes: int = MIN_SHARED_BYTES,
) -> list[Group]:
    """The app groups that get a layer: every app first, then narrower groups by gain.

    ``users`` maps each package to the apps that need it, ``weight`` gives its bytes.
    """
    family = [frozenset(apps)]
    candidates = {u for u in users.values() if 1 < len(u) < len(apps)}
    while True:
        stored = _stored(users, weight, family)
        best: tuple[int, Group] | None = None
        for group in sorted(candidates, key=lambda g: (len(g), sorted(g))):
            if group in family or not _laminar(group, family):
                continue
            gain = stored - _stored(users, weight, [*family, group])
            if gain >= min_bytes and (best is None or gain > best[0]):
                best = (gain, group)
        if best is None:
            return family
        family.append(best[1])
