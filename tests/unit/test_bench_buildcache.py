"""Which build-cache records the bench prunes after a cold run (bench/buildcache.py), from
listings of the real engine (buildx 0.13.1, Docker 26.1.5, 2026-12-03): of a shared
`docker buildx du --verbose`, the records of one cold run (nonce 0d9fd2e4: dockyard,
parser + api) and the parents outside it, the uv cache mount, two build-context records,
another run's nonce layer and the totals; and a `docker buildx prune --verbose`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is not installed

from bench import buildcache, engine  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bench"
DU = (FIXTURES / "buildx-du-verbose.txt").read_text()
PRUNE = (FIXTURES / "buildx-prune-verbose.txt").read_text()
NONCE = "0d9fd2e4"
BASE = "on62jnc3ofpllqam9a5nadncm"  # $DOCKYARD_BASE_IMAGE's top layer


def _by_description(found: dict, text: str) -> list[str]:
    return [rid for rid, r in found.items() if text in r.get("Description", "")]


def test_every_record_is_read_and_the_totals_belong_to_none() -> None:
    found = buildcache.records(DU)
    assert len(found) == DU.count("\nID:\t") + 1 == 54
    merge = found[_by_description(found, "[api 2/3] LINK COPY")[0]]
    assert len(buildcache.parents(merge)) == 3  # the layer below and two COPY --link layers
    last = found[list(found)[-1]]
    assert last["Reclaimable"] == "true" and last["Shared"] == "false"  # not "23.44GB"
    assert sum(buildcache.size_bytes(r["Size"]) for r in found.values()) > 10**9


def test_a_cold_runs_records_are_its_nonce_layer_and_everything_above_it() -> None:
    found = buildcache.records(DU)
    ids = buildcache.made_by(found, NONCE)
    assert len(ids) == 40
    assert ids[-1] == _by_description(found, f"echo {NONCE} > /etc/dockyard-bench-nonce")[0]
    kept = set(found) - set(ids)
    assert BASE in kept  # below the nonce layer: the base image, everyone's
    assert _by_description(found, 'with id "/dockyard-uv"')[0] in kept  # the warm uv cache
    assert set(_by_description(found, "local source for context")) <= kept
    assert set(_by_description(found, "echo aa840f1f")) <= kept  # another run's
    # COPY --link layers sit on an empty parent: content-addressed, maybe someone else's
    links = set(_by_description(found, "COPY --link")) - set(_by_description(found, "LINK COPY"))
    assert links and links <= kept
    assert all(found[r]["Type"] == "regular" for r in ids)
    assert buildcache.made_by(found, "12345678") == []


def test_children_come_before_their_parents() -> None:
    found = buildcache.records(DU)
    ids = buildcache.made_by(found, NONCE)
    place = {rid: i for i, rid in enumerate(ids)}
    for rid in ids:
        for parent in buildcache.parents(found[rid]):
            assert parent not in place or place[parent] > place[rid]


def test_a_description_may_span_lines() -> None:
    text = (
        "ID:\t\tabc\nParent:\t\tdef\nSize:\t\t1.5MB\nDescription:\tmount / from exec "
        "/bin/sh -c <<EOF\necho 1\nEOF\nUsage count:\t1\nType:\t\tregular\n\n"
        "Shared:\t\t1GB\nTotal:\t\t2GB\n"
    )
    record = buildcache.records(text)["abc"]
    assert record["Description"].endswith("<<EOF\necho 1\nEOF")
    assert record["Type"] == "regular" and "Total" not in record
    assert buildcache.size_bytes(record["Size"]) == 1_500_000


def test_the_prune_filter_matches_exactly_the_ids() -> None:
    ids = list(buildcache.records(DU))
    values = buildcache.id_filters(ids[:5]) + buildcache.id_filters(ids[5:], batch=20)
    assert len(values) == 1 + 3 and all(v.startswith("id=^(") for v in values)
    # buildx sends `id~=<value>`, a Go regular expression; RE2 reads this one as Python does
    pattern = re.compile(values[0].removeprefix("id="))
    assert all(pattern.search(rid) for rid in ids[:5])
    assert not any(pattern.search(rid) for rid in ids[5:])
    assert not pattern.search(ids[0] + "x") and not pattern.search(ids[0][1:])
    assert buildcache.id_filters([]) == []


def test_sizes_as_buildx_prints_them() -> None:
    assert buildcache.size_bytes("0B") == 0
    assert buildcache.size_bytes("12.59kB") == 12_590
    assert buildcache.size_bytes("545.1MB") == 545_100_000
    assert buildcache.size_bytes("1.924GB") == 1_924_000_000
    with pytest.raises(ValueError):
        buildcache.size_bytes("12 KiB")


def test_prune_output_lists_what_went() -> None:
    pruned = buildcache.records(PRUNE)
    assert len(pruned) == 2
    assert sum(buildcache.size_bytes(r["Size"]) for r in pruned.values()) == 24_780


def _fake_docker(monkeypatch, du: str, du_rc: int = 0) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []

    def quiet(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        calls.append(args)
        return subprocess.CompletedProcess(args, du_rc, du, "no builder")

    def docker(*args: str, **kw) -> str:
        calls.append(args)
        return PRUNE

    monkeypatch.setattr(engine, "quiet", quiet)
    monkeypatch.setattr(engine, "docker", docker)
    return calls


def test_prune_cache_prunes_by_id_and_says_so(monkeypatch, capsys) -> None:
    calls = _fake_docker(monkeypatch, DU)
    engine.prune_cache(NONCE, "dockyard rep 0d9fd2e4")
    assert calls[0] == ("buildx", "du", "--verbose")
    (prune,) = calls[1:]
    assert prune[:4] == ("buildx", "prune", "--force", "--verbose")
    ids = buildcache.made_by(buildcache.records(DU), NONCE)
    assert prune[4:] == ("--filter", f"id=^({'|'.join(ids)})$")
    line = capsys.readouterr().err
    assert "dockyard rep 0d9fd2e4: pruned 2 of its 40 build-cache records, 24.8 kB" in line


def test_prune_cache_never_prunes_without_ids_and_never_fails(monkeypatch, capsys) -> None:
    calls = _fake_docker(monkeypatch, DU)
    engine.prune_cache("12345678", "seed rep 12345678")
    assert calls == [("buildx", "du", "--verbose")]  # nothing to prune: no prune call at all
    assert "pruned 0 of its 0" in capsys.readouterr().err
    calls = _fake_docker(monkeypatch, "", du_rc=1)
    engine.prune_cache(NONCE, "uvrec rep 0d9fd2e4")
    assert len(calls) == 1
    assert "warning: its build cache is left in place" in capsys.readouterr().err
