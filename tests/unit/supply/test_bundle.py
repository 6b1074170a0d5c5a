"""SBOMs and provenance at the front of a save archive (engine/images.py), on a
synthetic docker-save stream: no engine needed."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from dockyard.engine import images
from dockyard.supply.bundle import unpack


def _docker_save_stream() -> io.BytesIO:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, body in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                           ("index.json", b"{}"), ("blobs/sha256/ab", b"layer")):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    data.seek(0)
    return data


def test_extra_files_go_first_and_docker_files_stay(tmp_path: Path) -> None:
    archive = tmp_path / "apps.tar.gz"
    extra = {"api-1.cdx.json": b'{"bomFormat": "CycloneDX"}', "api-1.provenance.json": b"{}"}
    with gzip.open(archive, "wb") as handle:
        images._copy_with_extra(_docker_save_stream(), handle, extra)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert tar.extractfile("blobs/sha256/ab").read() == b"layer"
    assert names == [
        "dockyard-supply/api-1.cdx.json", "dockyard-supply/api-1.provenance.json",
        "oci-layout", "index.json", "blobs/sha256/ab",
    ]  # fmt: skip
    assert images.read_supply(archive) == extra
    folder = unpack(archive, images.read_supply(archive))
    assert folder == tmp_path / "apps.supply"
    assert (folder / "api-1.cdx.json").read_bytes() == extra["api-1.cdx.json"]


def test_an_archive_without_them_gives_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "plain.tar.gz"
    with gzip.open(archive, "wb") as handle:
        handle.write(_docker_save_stream().read())
    assert images.read_supply(archive) == {}
    assert unpack(archive, {}) is None
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    assert images.read_supply(tmp_path / "junk.tar.gz") == {}
