"""Provenance of a prod image: an in-toto statement with a SLSA v1 predicate.

What dockyard knows when it pushes: the source (git commit, dirty or not), the locks
(uv.lock, dockyard.lock) and generated build files by hash, the base image by digest
or ID, the uv that installed the packages, and the builder (this machine's engine).
No wall-clock time: the same build inputs give the same statement.

BuildKit can record provenance itself (`--provenance=mode=max`), but its record holds
the build's start and end times and lives in the image index, so every build would
get a new index digest and `dockyard verify` could never prove two builds identical.
dockyard writes its own statement and attaches it next to the image instead:
`dockyard push` as an OCI referrer (supply/attach.py), `dockyard sign` as a signed
attestation (cosign's `sha256-<digest>.att` tag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "urn:dockyard:buildtype:bake:v1"
COSIGN_TYPE = "slsaprovenance1"  # cosign attest --type for PREDICATE_TYPE


@dataclass(frozen=True)
class BuildFacts:
    """Everything the statement says, gathered by the caller."""

    app: str
    repository: str
    digest: str  # sha256:... of the image manifest the registry serves
    tag: str
    commit: str | None
    dirty: bool
    source_uri: str | None
    source_date_epoch: int
    files: dict[str, str]  # project-relative path -> sha256 (locks, Dockerfile, bake file)
    base_reference: str
    base_id: str
    uv_version: str
    dockyard_version: str
    engine_version: str
    builder: str  # who built: "local:<host>" on a laptop, the CI's run URL in CI


def _without_credentials(url: str) -> str:
    """https://user:token@host/x -> https://host/x: a remote URL may hold a token."""
    return re.sub(r"^([a-z+]+://)[^@/]*@", r"\1", url)


def _digest(value: str) -> dict[str, str]:
    algorithm, _, hexdigest = value.partition(":")
    return {algorithm: hexdigest} if hexdigest else {"sha256": value}


def predicate(facts: BuildFacts) -> dict:
    """The SLSA v1 provenance predicate (what `cosign attest --type slsaprovenance1` takes)."""
    source: dict = {"commit": facts.commit or "unknown", "dirty": facts.dirty}
    dependencies = []
    if facts.commit:
        dependency: dict = {"name": "source", "digest": {"gitCommit": facts.commit}}
        if facts.source_uri:
            source["uri"] = _without_credentials(facts.source_uri)
            dependency["uri"] = f"git+{source['uri']}@{facts.commit}"
        dependencies.append(dependency)
    for path, sha in sorted(facts.files.items()):
        dependencies.append({"name": path, "digest": {"sha256": sha}})
    dependencies.append(
        {
            "name": "base-image",
            "uri": f"pkg:docker/{facts.base_reference}",
            "digest": _digest(facts.base_id),
        }
    )
    dependencies.append({"name": "uv", "uri": f"pkg:pypi/uv@{facts.uv_version}"})
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "app": facts.app,
                "target": facts.app,
                "tag": facts.tag,
                "source": source,
            },
            "internalParameters": {"SOURCE_DATE_EPOCH": str(facts.source_date_epoch)},
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {
                "id": facts.builder,
                "version": {"dockyard": facts.dockyard_version, "engine": facts.engine_version},
            },
            "metadata": {},
        },
    }


def statement(facts: BuildFacts) -> dict:
    """The whole in-toto statement: the image (by digest) as subject + the predicate."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": facts.repository, "digest": _digest(facts.digest)}],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate(facts),
    }


def builder_id(environ: dict[str, str], hostname: str) -> str:
    """Who ran the build: a hosted CI run when its variables say so, else this machine."""
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_RUN_ID"):
        repo = f"{environ.get('GITHUB_SERVER_URL', '')}/{environ.get('GITHUB_REPOSITORY', '')}"
        return f"{repo}/actions/runs/{environ['GITHUB_RUN_ID']}"
    if environ.get("GITLAB_CI") == "true" and environ.get("CI_JOB_URL"):
        return environ["CI_JOB_URL"]
    return f"local:{hostname}"
