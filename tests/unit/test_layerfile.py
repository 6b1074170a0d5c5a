"""dockyard.layerfile: layers of a `docker save` archive, whatever their compression."""

from __future__ import annotations


def test_open_layer_reads_plain_gzip_and_zstd_tars() -> None:
    import gzip
    import io
    import tarfile

    import zstandard

    from dockyard.layerfile import open_layer

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("opt/venv/x.py")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"x = 1"))
    plain = buffer.getvalue()
    for blob in (plain, gzip.compress(plain), zstandard.ZstdCompressor().compress(plain)):
        with open_layer(io.BytesIO(blob)) as tar:
            assert [(m.name, tar.extractfile(m).read()) for m in tar] == [
                ("opt/venv/x.py", b"x = 1")
            ]
