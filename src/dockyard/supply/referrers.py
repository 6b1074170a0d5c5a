"""OCI 1.1 referrers of an image: the artifact manifests that carry its provenance and SBOM,
and the referrers tag schema's index for registries without the referrers API (pure).

An artifact manifest is an image manifest whose `subject` is the image's manifest
descriptor, whose `artifactType` says what it carries, whose config is the empty
descriptor and whose one layer is the document. A registry with the referrers API
lists it under `GET /v2/<name>/referrers/<digest>`; for one without (distribution
2.8, the loopback registry here) the client keeps that list itself, as an image
index tagged `sha256-<hex>` (the "referrers tag schema" of the OCI distribution spec).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_DATA = b"{}"
IN_TOTO = "application/vnd.in-toto+json"
CYCLONEDX = "application/vnd.cyclonedx+json"
TITLE = "org.opencontainers.image.title"
CREATED = "org.opencontainers.image.created"
PREDICATE = "in-toto.io/predicate-type"  # as BuildKit's attestation layers name it


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    def as_dict(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Artifact:
    """One document to attach: its bytes, artifact (and layer) media type, file name."""

    artifact_type: str
    data: bytes
    title: str
    annotations: tuple[tuple[str, str], ...] = ()  # on the layer, e.g. the predicate type


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def describe(media_type: str, data: bytes) -> Descriptor:
    return Descriptor(media_type, digest_of(data), len(data))


def canonical(document: dict) -> bytes:
    """The bytes pushed: sorted keys, no spaces, so the same document has one digest."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def created(epoch: int) -> str:
    """The artifact's creation time: the commit's (SOURCE_DATE_EPOCH), never the clock."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def artifact_manifest(artifact: Artifact, subject: Descriptor, epoch: int) -> bytes:
    """The artifact manifest carrying ``artifact`` and referring to ``subject``."""
    layer = describe(artifact.artifact_type, artifact.data).as_dict()
    layer["annotations"] = {TITLE: artifact.title, **dict(artifact.annotations)}
    return canonical(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "artifactType": artifact.artifact_type,
            "config": describe(EMPTY, EMPTY_DATA).as_dict(),
            "layers": [layer],
            "subject": subject.as_dict(),
            "annotations": {CREATED: created(epoch)},
        }
    )


def referrer_entry(manifest: bytes) -> dict:
    """The artifact manifest's descriptor as a referrers list holds it."""
    document = json.loads(manifest)
    entry = describe(MANIFEST, manifest).as_dict()
    entry["artifactType"] = document["artifactType"]
    if document.get("annotations"):
        entry["annotations"] = document["annotations"]
    return entry


def fallback_tag(digest: str) -> str:
    """The referrers tag schema's tag for ``digest``: sha256:abc... -> sha256-abc..."""
    algorithm, _, hexdigest = digest.partition(":")
    return f"{algorithm}-{hexdigest}"


def with_referrer(index: dict | None, entry: dict) -> bytes:
    """The fallback index with ``entry`` added (once; other referrers are kept)."""
    kept = (index or {}).get("manifests", [])
    manifests = [m for m in kept if m.get("digest") != entry["digest"]]
    return canonical({"schemaVersion": 2, "mediaType": INDEX, "manifests": [*manifests, entry]})


def latest_of(index: dict, artifact_type: str) -> dict | None:
    """The last-added referrer of ``artifact_type`` in a referrers list, if any."""
    found = [m for m in index.get("manifests", []) if m.get("artifactType") == artifact_type]
    return found[-1] if found else None


def document_layer(manifest: dict) -> dict:
    """The layer of an artifact manifest that holds its document."""
    for layer in manifest.get("layers", []):
        if layer.get("mediaType") == manifest.get("artifactType"):
            return layer
    raise ValueError(f"no layer of type {manifest.get('artifactType')}")
