"""Pure arithmetic of the harness: medians, same-run ratios, layer bytes from manifests."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence

# Media types a registry may answer for an image reference.
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


def median(values: Iterable[float | int | None]) -> float | None:
    """The median of the measured values; None when nothing was measured."""
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def same_run_ratios(
    runs: Mapping[str, Sequence[Mapping[str, float | None]]],
    metric: str,
    num: str,
    den: str,
    den_metric: str | None = None,
) -> list[float]:
    """``num/den`` of ``metric`` for each repetition both variants measured (same run);
    ``den_metric``: ``den``'s figure is that one (dockyard's swarm against a compose up)."""
    out = []
    for a, b in zip(runs.get(num, ()), runs.get(den, ()), strict=False):
        value = ratio(a.get(metric), b.get(den_metric or metric))
        if value is not None:
            out.append(value)
    return out


def image_manifests(index_or_manifest: Mapping) -> list[str]:
    """Digests of the platform manifests an index lists (attestations left out)."""
    out = []
    for entry in index_or_manifest.get("manifests", []):
        platform = entry.get("platform") or {}
        if platform.get("os") == "unknown":  # BuildKit attestation manifests
            continue
        out.append(entry["digest"])
    return out


def blobs(manifest: Mapping) -> dict[str, int]:
    """digest -> size of an image manifest's config and layers (compressed, as stored)."""
    found = {layer["digest"]: int(layer["size"]) for layer in manifest.get("layers", [])}
    config = manifest.get("config")
    if config:
        found[config["digest"]] = int(config["size"])
    return found


def image_bytes(manifest: Mapping) -> int:
    return sum(blobs(manifest).values())


def unique_bytes(manifests: Iterable[Mapping]) -> int:
    """Bytes of all the images together, each layer (by digest) counted once."""
    seen: dict[str, int] = {}
    for manifest in manifests:
        seen.update(blobs(manifest))
    return sum(seen.values())


def new_bytes(before: Mapping, after: Mapping) -> int:
    """Bytes of ``after``'s blobs that ``before`` lacks: what pushing ``after`` where
    ``before`` is sends, whatever else the registry kept from earlier runs."""
    known = blobs(before)
    return sum(size for digest, size in blobs(after).items() if digest not in known)


def human_bytes(n: float | None) -> str:
    if n is None:
        return "n/a"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}" if n / size < 100 else f"{n / size:.0f} {unit}"
    return f"{n:.0f} B"


def seconds(s: float | None) -> str:
    if s is None:
        return "n/a"
    return f"{s:.1f} s" if s < 100 else f"{s:.0f} s"


def times(r: float | None) -> str:
    """``16.9x``; two decimals near 1 (``0.95x``), where one would read as "1.0x" on
    either side of a "no slower" target."""
    if r is None:
        return "n/a"
    if 0.9 <= r < 1.1:
        return f"{r:.2f}x"
    return f"{r:.1f}x" if r < 100 else f"{r:.0f}x"
