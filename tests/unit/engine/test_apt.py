"""A machine without apt gets one line saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.engine.apt import download
from dockyard.errors import DockyardError


def test_no_apt_is_one_line_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine with neither apt-get nor dpkg-deb
    with pytest.raises(DockyardError) as info:
        download("docker-registry", "amd64", tmp_path, "transfer = \"ssh\" (deploy target 'prod')")
    assert str(info.value) == (
        "transfer = \"ssh\" (deploy target 'prod') needs Debian's docker-registry package, "
        "fetched with apt, and this machine has no apt-get/dpkg-deb; run it from a Debian "
        "or Ubuntu machine"
    )
