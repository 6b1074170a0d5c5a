"""supply/referrers.py: the artifact manifests and the referrers tag schema's index (pure)."""

from __future__ import annotations

import hashlib
import json

from dockyard.supply import referrers

SUBJECT = referrers.Descriptor(
    "application/vnd.oci.image.index.v1+json", "sha256:" + "ab" * 32, 856
)
STATEMENT = referrers.Artifact(
    referrers.IN_TOTO,
    b'{"_type": "https://in-toto.io/Statement/v1"}\n',
    "api-0.1.0-abc.provenance.json",
    ((referrers.PREDICATE, "https://slsa.dev/provenance/v1"),),
)


def test_artifact_manifest_refers_to_the_image_and_carries_the_statement() -> None:
    data = referrers.artifact_manifest(STATEMENT, SUBJECT, 1700000000)
    manifest = json.loads(data)
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["artifactType"] == "application/vnd.in-toto+json"
    assert manifest["subject"] == {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": "sha256:" + "ab" * 32,
        "size": 856,
    }
    # the OCI 1.1 empty config: "{}", with its well-known digest
    assert manifest["config"] == {
        "mediaType": "application/vnd.oci.empty.v1+json",
        "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "size": 2,
    }
    [layer] = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.in-toto+json"
    assert layer["digest"] == "sha256:" + hashlib.sha256(STATEMENT.data).hexdigest()
    assert layer["size"] == len(STATEMENT.data)
    assert layer["annotations"] == {
        "org.opencontainers.image.title": "api-0.1.0-abc.provenance.json",
        "in-toto.io/predicate-type": "https://slsa.dev/provenance/v1",
    }
    # the commit's time, not the clock's: the same inputs push the same manifest
    assert manifest["annotations"] == {"org.opencontainers.image.created": "2023-11-14T22:13:20Z"}
    assert referrers.artifact_manifest(STATEMENT, SUBJECT, 1700000000) == data
    assert referrers.document_layer(manifest) == layer


def test_sbom_artifact_has_its_own_type() -> None:
    sbom = referrers.Artifact(referrers.CYCLONEDX, b"{}", "api.cdx.json")
    manifest = json.loads(referrers.artifact_manifest(sbom, SUBJECT, 0))
    assert manifest["artifactType"] == "application/vnd.cyclonedx+json"
    assert manifest["layers"][0]["mediaType"] == "application/vnd.cyclonedx+json"
    title = {"org.opencontainers.image.title": "api.cdx.json"}
    assert manifest["layers"][0]["annotations"] == title


def test_fallback_tag_is_the_digest_with_a_dash() -> None:
    assert referrers.fallback_tag("sha256:" + "ab" * 32) == "sha256-" + "ab" * 32


def test_fallback_index_adds_a_referrer_once_and_keeps_the_others() -> None:
    provenance = referrers.artifact_manifest(STATEMENT, SUBJECT, 0)
    sbom = referrers.artifact_manifest(
        referrers.Artifact(referrers.CYCLONEDX, b"{}", "api.cdx.json"), SUBJECT, 0
    )
    entry = referrers.referrer_entry(provenance)
    assert entry["digest"] == "sha256:" + hashlib.sha256(provenance).hexdigest()
    assert entry["size"] == len(provenance)
    assert entry["mediaType"] == referrers.MANIFEST
    assert entry["artifactType"] == referrers.IN_TOTO
    first = json.loads(referrers.with_referrer(None, entry))
    assert first["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert first["schemaVersion"] == 2 and first["manifests"] == [entry]
    both = json.loads(referrers.with_referrer(first, referrers.referrer_entry(sbom)))
    again = json.loads(referrers.with_referrer(both, entry))
    types = [m["artifactType"] for m in again["manifests"]]
    assert types == [referrers.CYCLONEDX, referrers.IN_TOTO]
    assert referrers.latest_of(again, referrers.IN_TOTO) == entry
    assert referrers.latest_of(again, "application/vnd.example") is None
