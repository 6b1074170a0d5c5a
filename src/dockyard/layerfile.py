"""Open an image layer blob (tar, gzip or zstd) as a tar archive."""

from __future__ import annotations

import tarfile
from typing import IO

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def open_layer(blob: IO[bytes]) -> tarfile.TarFile:
    """A tar reader over ``blob`` (seekable); zstd layers are read as a stream.

    Iterate it once, in order: a zstd layer cannot seek back.
    """
    head = blob.read(4)
    blob.seek(0)
    if head == ZSTD_MAGIC:
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(blob)
        return tarfile.open(fileobj=reader, mode="r|")
    return tarfile.open(fileobj=blob)
