"""A pushed prod image's provenance statement and SBOM, next to it in the registry as OCI
1.1 referrers (`dockyard push`), and read back from there (`dockyard provenance`).

Unsigned: anyone who can push to the repository could attach another. `dockyard sign`
adds signed attestations of the same two documents, which deploys can require.
"""

from __future__ import annotations

import json

from dockyard.engine import git
from dockyard.engine.registry import RegistryFailure, Repository, sha256
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.plan import image_repository
from dockyard.supply import provenance, referrers
from dockyard.supply.artifacts import AppImage, app_tag, statement_bytes, write_provenance
from dockyard.supply.sboms import ensure_sbom

KINDS = {"provenance": referrers.IN_TOTO, "sbom": referrers.CYCLONEDX}


def artifacts(statement: bytes, sbom: bytes, image: AppImage) -> list[referrers.Artifact]:
    """The two documents attached to each prod image."""
    stem = f"{image.app}-{image.tag}"
    return [
        referrers.Artifact(
            referrers.IN_TOTO,
            statement,
            f"{stem}.provenance.json",
            ((referrers.PREDICATE, provenance.PREDICATE_TYPE),),
        ),
        referrers.Artifact(referrers.CYCLONEDX, sbom, f"{stem}.cdx.json"),
    ]


def attach(project: Project, image: AppImage, digest: str, engine: str) -> str:
    """Write ``image``'s statement (pushed as ``digest``), attach it and its SBOM; how a
    reader finds them ("the referrers API", or the fallback index's "tag sha256-...")."""
    sbom = ensure_sbom(project, image).read_bytes()
    statement = statement_bytes(write_provenance(project, image, digest, engine))
    repository = Repository(image.repository)
    try:
        found = repository.manifest(digest)
        if found is None:
            raise RegistryFailure(repository.host, f"it does not serve {digest}")
        subject = referrers.Descriptor(found.media_type, digest, len(found.data))
        epoch = git.source_date_epoch(project.root)
        listed = [
            _attach_one(repository, artifact, subject, epoch)
            for artifact in artifacts(statement, sbom, image)
        ]
    except RegistryFailure as exc:
        raise DockyardError(_failed(exc, image, digest)) from None
    return listed[-1]


def _attach_one(
    repository: Repository, artifact: referrers.Artifact, subject: referrers.Descriptor, epoch: int
) -> str:
    repository.put_blob(referrers.EMPTY_DATA, referrers.EMPTY)
    repository.put_blob(artifact.data, artifact.artifact_type)
    manifest = referrers.artifact_manifest(artifact, subject, epoch)
    headers = repository.put_manifest(manifest, referrers.MANIFEST, referrers.digest_of(manifest))
    if headers.get("oci-subject") == subject.digest:
        return "the referrers API"
    # No referrers API: keep the list ourselves, as the referrers tag schema says.
    tag = referrers.fallback_tag(subject.digest)
    index = referrers.with_referrer(_fallback_index(repository, subject.digest),
                                    referrers.referrer_entry(manifest))  # fmt: skip
    repository.put_manifest(index, referrers.INDEX, tag)
    return f"tag {tag}"


def _fallback_index(repository: Repository, digest: str) -> dict | None:
    found = repository.manifest(referrers.fallback_tag(digest), (referrers.INDEX,))
    return json.loads(found.data) if found else None


def _failed(exc: RegistryFailure, image: AppImage, digest: str) -> str:
    what = f"the provenance and SBOM of {image.repository}@{digest[:19]}"
    again = f"then run `dockyard push {image.app}` again (the image itself is pushed)"
    if exc.unreachable:
        return (
            f"the registry {exc.host} does not answer ({exc.detail}) while attaching {what}; "
            f"start it, {again}"
        )
    return (
        f"the registry {exc.host} refused {what} ({exc.detail}); it must accept OCI artifacts "
        f"(image manifests with a subject) from you (`docker login {exc.host}`): fix that, "
        f"{again}"
    )


def read_back(project: Project, app: str, kind: str) -> tuple[str, dict]:
    """The attached document of ``kind`` of this revision's image of ``app``, from the
    registry: (repository@digest of the image, the document)."""
    if project.registry is None:
        raise DockyardError(
            f"{project.pyproject}: tool.dockyard.registry is not set; provenance is read "
            "from the registry `dockyard push` attached it to"
        )
    project.select((app,))
    name = image_repository(project, app)
    tag = app_tag(project, app)
    repository = Repository(name)
    try:
        image = repository.manifest(tag)
        if image is None:
            raise DockyardError(
                f"{name}:{tag} is not in the registry; build and push it first: "
                f"`dockyard build {app} && dockyard push {app}`"
            )
        digest = sha256(image.data)
        listing = repository.referrers(digest) or _fallback_index(repository, digest) or {}
        entry = referrers.latest_of(listing, KINDS[kind])
        if entry is None:
            raise DockyardError(
                f"{name}@{digest[:19]} has no {kind} attached in the registry; attach it: "
                f"`dockyard push {app}`"
            )
        found = repository.manifest(entry["digest"], (referrers.MANIFEST,))
        if found is None:
            raise RegistryFailure(repository.host, f"the referrer {entry['digest']} is gone")
        manifest = json.loads(found.data)
        if (manifest.get("subject") or {}).get("digest") != digest:
            raise RegistryFailure(repository.host, f"{entry['digest']} refers to another image")
        document = json.loads(repository.blob(referrers.document_layer(manifest)["digest"]))
    except RegistryFailure as exc:
        verb = "does not answer" if exc.unreachable else "failed"
        raise DockyardError(
            f"the registry {exc.host} {verb} ({exc.detail}) reading the {kind} of {name}:{tag}; "
            "check that it runs and that you may pull from it (`docker login`)"
        ) from None
    except ValueError as exc:
        raise DockyardError(
            f"the {kind} attached to {name}:{tag} in the registry is not valid: {exc}"
        ) from None
    return f"{name}@{digest}", document
