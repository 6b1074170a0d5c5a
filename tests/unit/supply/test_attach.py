"""supply/attach.py against an in-memory registry: the referrers API when the registry
has one, the referrers tag schema's index when not, and one clear line when it fails."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dockyard.engine.registry import Manifest, RegistryFailure, sha256
from dockyard.errors import DockyardError
from dockyard.supply import attach, referrers
from dockyard.supply.artifacts import AppImage

IMAGE = AppImage("api", "127.0.0.1:5000/team/api", "0.1.0-abc", "sha256:" + "11" * 32, ())
IMAGE_MANIFEST = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}'
DIGEST = sha256(IMAGE_MANIFEST)


class FakeRepository:
    """What a registry keeps: blobs and manifests by digest or tag."""

    def __init__(self, name: str, *, api: bool = False, fail: RegistryFailure | None = None):
        self.name, self.host, self.api, self.fail = name, name.split("/")[0], api, fail
        self.blobs: dict[str, bytes] = {}
        self.manifests = {DIGEST: Manifest(referrers.INDEX, IMAGE_MANIFEST)}

    def manifest(self, reference: str, accept: tuple[str, ...] = ()) -> Manifest | None:
        return self.manifests.get(reference)

    def put_blob(self, data: bytes, media_type: str) -> None:
        if self.fail:
            raise self.fail
        self.blobs[sha256(data)] = data

    def put_manifest(self, data: bytes, media_type: str, reference: str) -> dict[str, str]:
        self.manifests[reference] = Manifest(media_type, data)
        subject = json.loads(data).get("subject")
        return {"oci-subject": subject["digest"]} if self.api and subject else {}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    sbom = tmp_path / "api.cdx.json"
    sbom.write_text('{"bomFormat": "CycloneDX"}')
    repos: dict[str, FakeRepository] = {}
    settings = {"api": False, "fail": None}

    def repository(name: str) -> FakeRepository:
        repos[name] = FakeRepository(name, **settings)
        return repos[name]

    monkeypatch.setattr(attach, "ensure_sbom", lambda project, image: sbom)
    monkeypatch.setattr(attach, "write_provenance", lambda project, image, digest, engine: digest)
    monkeypatch.setattr(attach, "statement_bytes", lambda digest: f'{{"s": "{digest}"}}'.encode())
    monkeypatch.setattr(attach.git, "source_date_epoch", lambda root: 1700000000)
    monkeypatch.setattr(attach, "Repository", repository)
    return SimpleNamespace(repos=repos, settings=settings)


PROJECT = SimpleNamespace(root=Path("/nonexistent"))


def test_without_the_referrers_api_the_index_tag_lists_both(registry) -> None:
    listed = attach.attach(PROJECT, IMAGE, DIGEST, "29.0")
    tag = "sha256-" + DIGEST.split(":")[1]
    assert listed == f"tag {tag}"
    repo = registry.repos["127.0.0.1:5000/team/api"]
    index = json.loads(repo.manifests[tag].data)
    assert repo.manifests[tag].media_type == referrers.INDEX
    types = [m["artifactType"] for m in index["manifests"]]
    assert types == [referrers.IN_TOTO, referrers.CYCLONEDX]
    for entry in index["manifests"]:
        manifest = json.loads(repo.manifests[entry["digest"]].data)
        assert manifest["subject"] == {"mediaType": referrers.INDEX, "digest": DIGEST,
                                       "size": len(IMAGE_MANIFEST)}  # fmt: skip
        blob = repo.blobs[manifest["layers"][0]["digest"]]
        assert blob == (f'{{"s": "{DIGEST}"}}'.encode() if entry is index["manifests"][0]
                        else b'{"bomFormat": "CycloneDX"}')  # fmt: skip
    assert repo.blobs[manifest["config"]["digest"]] == b"{}"


def test_a_registry_with_the_referrers_api_needs_no_index_tag(registry) -> None:
    registry.settings["api"] = True
    assert attach.attach(PROJECT, IMAGE, DIGEST, "29.0") == "the referrers API"
    repo = registry.repos["127.0.0.1:5000/team/api"]
    assert not any(ref.startswith("sha256-") for ref in repo.manifests)


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (RegistryFailure("127.0.0.1:5000", "connection refused", unreachable=True),
         "does not answer (connection refused)"),
        (RegistryFailure("127.0.0.1:5000", "PUT manifest: HTTP 400 MANIFEST_INVALID: x"),
         "refused the provenance and SBOM"),
    ],
)  # fmt: skip
def test_a_failing_registry_is_one_line_that_says_what_to_do(registry, failure, words) -> None:
    registry.settings["fail"] = failure
    with pytest.raises(DockyardError) as caught:
        attach.attach(PROJECT, IMAGE, DIGEST, "29.0")
    message = str(caught.value)
    assert "\n" not in message and words in message
    assert message.startswith("the registry 127.0.0.1:5000 ")
    assert "the image itself is pushed" in message and "`dockyard push api`" in message
    assert caught.value.exit_code != 0
