"""`dockyard verify`: build each prod image twice with no build cache and compare digests."""

from __future__ import annotations

import json

from dockyard.build.images import Built, build_images
from dockyard.console import say, show
from dockyard.engine import docker
from dockyard.engine.models import Image
from dockyard.manifest import Project

MAX_LISTED = 20


def _layer_difference(first: str, second: str) -> list[str]:
    """Lines naming the first layer that differs and the files that differ in it."""
    a, b = docker.inspect_image(first), docker.inspect_image(second)
    la = a.root_fs.layers if a else []
    lb = b.root_fs.layers if b else []
    index = next((i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y), None)
    if index is None and len(la) == len(lb):
        ca = a.config.model_dump(by_alias=True) if a else {}
        cb = b.config.model_dump(by_alias=True) if b else {}
        keys = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
        return [
            f"  every layer is identical; the image config differs in: "
            f"{', '.join(keys) or 'metadata (history or timestamps)'}"
        ]
    if index is None:
        return [f"  layer counts differ: {len(la)} vs {len(lb)}"]
    lines = [f"  layer {index + 1} of {len(la)} differs ({la[index][:19]} vs {lb[index][:19]})"]
    fa, fb = docker.save_layer_files(first, index), docker.save_layer_files(second, index)
    changed = sorted(p for p in set(fa) | set(fb) if fa.get(p) != fb.get(p))
    fields = ("type", "mode", "uid", "gid", "mtime", "size", "sha256")
    for path in changed[:MAX_LISTED]:
        if path not in fa or path not in fb:
            lines.append(f"    {path}: only in build {'1' if path in fa else '2'}")
            continue
        what = [f for f, x, y in zip(fields, fa[path], fb[path], strict=True) if x != y]
        lines.append(f"    {path}: {', '.join(what)} differ")
    if len(changed) > MAX_LISTED:
        lines.append(f"    ... and {len(changed) - MAX_LISTED} more files")
    return lines


def _built_image_note(current: Image | None, first: str) -> str:
    """Why the clean builds' digest is not the digest of the image `dockyard build` made."""
    if not current:
        return "no image from `dockyard build` to compare with"
    clean = docker.inspect_image(first)
    if clean is not None and clean.root_fs.layers == current.root_fs.layers:
        return (
            "same files as the image `dockyard build` made, compressed differently: the "
            "build cache holds layers from another compression setting (`docker buildx "
            "prune`, then `dockyard build`, to match)"
        )
    return "differs from the image `dockyard build` made: is it from older sources?"


def verify(
    project: Project, names: tuple[str, ...], *, as_json: bool, generate: bool = True
) -> int:
    """Two clean builds (the uv download cache may stay) must give the same digests."""
    project.select(names)
    rounds: list[list[Built]] = []
    for n in (1, 2):
        say(f"verify: clean build {n} of 2 (no build cache) ...")
        rounds.append(
            build_images(project, names, no_cache=True, tag_suffix=f"verify{n}", generate=generate)
        )
    results = []
    for first, second in zip(*rounds, strict=True):
        same = bool(first.id) and first.id == second.id
        original = first.image.removesuffix("-verify1")
        current = docker.inspect_image(original)
        results.append(
            {
                "app": first.app,
                "identical": same,
                "digest": first.id,
                "second_digest": second.id,
                "matches_built_image": current is not None and current.id == first.id,
                "difference": [] if same else _layer_difference(first.image, second.image),
            }
        )
        if not results[-1]["matches_built_image"]:
            results[-1]["built_image_note"] = _built_image_note(current, first.image)
    docker.remove_tags([b.image for r in rounds for b in r])
    if as_json:
        show(json.dumps(results, indent=2))
    else:
        for r in results:
            if r["identical"]:
                extra = (
                    " (same as the image `dockyard build` made)"
                    if r["matches_built_image"]
                    else f" ({r['built_image_note']})"
                )
                show(f"identical  {r['app']:12} {r['digest']}{extra}")
            else:
                show(f"DIFFERENT  {r['app']:12} {r['digest'][:19]} vs {r['second_digest'][:19]}")
                for line in r["difference"]:
                    show(line)
    return 0 if all(r["identical"] for r in results) else 1
