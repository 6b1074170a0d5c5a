"""supply/provenance.py: the in-toto statement (pure)."""

from __future__ import annotations

from dockyard.supply import provenance

FACTS = provenance.BuildFacts(
    app="api",
    repository="127.0.0.1:5000/team/api",
    digest="sha256:" + "12" * 32,
    tag="0.1.0-abc",
    commit="f" * 40,
    dirty=False,
    source_uri="https://user:s3cret@git.example.org/team/repo.git",
    source_date_epoch=1700000000,
    files={"uv.lock": "aa" * 32, "dockyard.lock": "bb" * 32},
    base_reference="python:3.12-slim@sha256:" + "cd" * 32,
    base_id="sha256:" + "ef" * 32,
    uv_version="0.13.9",
    dockyard_version="0.1.0",
    engine_version="26.1.5",
    builder="local:laptop",
)


def test_statement_names_the_image_by_digest() -> None:
    statement = provenance.statement(FACTS)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["subject"] == [
        {"name": "127.0.0.1:5000/team/api", "digest": {"sha256": "12" * 32}}
    ]


def test_predicate_records_source_locks_base_and_builder() -> None:
    predicate = provenance.predicate(FACTS)
    deps = {d["name"]: d for d in predicate["buildDefinition"]["resolvedDependencies"]}
    assert deps["source"]["digest"] == {"gitCommit": "f" * 40}
    assert deps["uv.lock"]["digest"] == {"sha256": "aa" * 32}
    assert deps["base-image"]["digest"] == {"sha256": "ef" * 32}
    assert predicate["runDetails"]["builder"]["id"] == "local:laptop"


def test_no_credentials_and_no_wall_clock() -> None:
    text = str(provenance.statement(FACTS))
    assert "s3cret" not in text and "user@" not in text
    assert provenance.statement(FACTS) == provenance.statement(FACTS)


def test_builder_id_from_hosted_ci() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "42",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "team/repo",
    }
    assert provenance.builder_id(env, "h") == "https://github.com/team/repo/actions/runs/42"
    assert provenance.builder_id({}, "h") == "local:h"
