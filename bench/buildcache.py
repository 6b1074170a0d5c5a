"""Which BuildKit cache records a cold run made, read from `docker buildx du --verbose` (pure).

Every cold run builds on its own base: ``$DOCKYARD_BASE_IMAGE`` plus the layer of
``RUN echo <nonce> > /etc/dockyard-bench-nonce`` (engine.nonce_base). BuildKit keeps
each layer's parent, so the run's records are that layer's record and every record that
descends from it, through any parent (a ``COPY --link`` merge has several). No other
build can make one: it would have to build on ``dockyard-bench/base:<nonce>``, a random
nonce only this run knows, its image removed before the prune. Records that existed
before the run (the base's, older runs', the ``dockyard-uv`` cache mount) are never
above this nonce layer. The other rule at hand, "records that are new since the run
began", is not safe on a shared engine: other people's builds at the same time make
new records too.

Left behind (small): the run's build-context records (``source.local``, no parent) and
the layers ``COPY --link`` makes on an empty parent; both are content-addressed, so
another build may be using the very same record, and nothing in them says whose it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

NONCE_FILE = "/etc/dockyard-bench-nonce"
FIELDS = ("ID", "Parent", "Created at", "Mutable", "Reclaimable", "Shared", "Size",
          "Description", "Usage count", "Last used", "Type")  # fmt: skip
FIELD = re.compile(rf"({'|'.join(FIELDS)}):\t+(.*)")
UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15}


def records(text: str) -> dict[str, dict[str, str]]:
    """ID -> fields of each record ``buildx du --verbose`` (or ``prune --verbose``) lists.
    A line that starts no field continues the one before (a description with a newline);
    a blank line ends the record, so the totals after the last one belong to none."""
    found: dict[str, dict[str, str]] = {}
    record: dict[str, str] | None = None
    key = ""
    for line in text.splitlines():
        match = FIELD.fullmatch(line)
        if not line.strip():
            record = None
        elif match and match[1] == "ID":
            record = found[match[2].strip()] = {}
            key = "ID"
            record[key] = match[2].strip()
        elif record is not None and match:
            key = match[1]
            record[key] = match[2].strip()
        elif record is not None:
            record[key] += "\n" + line
    return found


def parents(record: Mapping[str, str]) -> list[str]:
    return [p for p in record.get("Parent", "").split(",") if p]


def made_by(found: Mapping[str, Mapping[str, str]], nonce: str) -> list[str]:
    """IDs of the nonce layer's records and of every record above them, each record after
    all its descendants (BuildKit deletes a parent only once no child holds it)."""
    mark = f"echo {nonce} > {NONCE_FILE}"
    children: dict[str, list[str]] = {}
    for rid, record in found.items():
        for parent in parents(record):
            children.setdefault(parent, []).append(rid)
    order: list[str] = []
    seen: set[str] = set()

    def visit(rid: str) -> None:  # depth first, a record after its children
        seen.add(rid)
        for child in children.get(rid, []):
            if child not in seen:
                visit(child)
        order.append(rid)

    for rid, record in found.items():
        if mark in record.get("Description", "") and rid not in seen:
            visit(rid)
    return order


def id_filters(ids: list[str], batch: int = 1000) -> list[str]:
    """``buildx prune --filter`` values for exactly these IDs. Buildx turns ``id=X`` into
    the regular expression match ``id~=X``, so each is an anchored alternation; a batch
    of 1000 IDs is a 26 kB argument. Children come before parents across batches too."""
    return ["id=^(" + "|".join(ids[i : i + batch]) + ")$" for i in range(0, len(ids), batch)]


def size_bytes(text: str) -> int:
    """``12.39kB`` (units.HumanSize, decimal, what buildx prints) -> 12390."""
    match = re.fullmatch(r"([\d.]+)\s*([kMGTP]?B)", text.strip())
    if not match:
        raise ValueError(f"not a buildx size: {text!r}")
    return round(float(match[1]) * UNITS[match[2]])
