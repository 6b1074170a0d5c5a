"""supply/sbom.py: dpkg status, merging, the lock cross-check and the schema (no engine)."""

from __future__ import annotations

import json
from pathlib import Path

from dockyard.supply import sbom

STATUS = """Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u13
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: python3.11
Status: install ok installed
Architecture: amd64
Version: 3.11.2-6+deb12u6
Description: Interactive high-level object-oriented language

Package: removed-thing
Status: deinstall ok config-files
Architecture: all
Version: 1.0
"""
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
IMAGE_ID = "sha256:" + "ab" * 32

PYTHON_BOM = {
    "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "metadata": {
        "timestamp": "2026-01-01T00:00:00+00:00",
        "tools": {"components": [{"type": "application", "name": "cyclonedx-py"}]},
    },
    "components": [
        {
            "type": "library",
            "bom-ref": "scikit-learn==1.9.1",
            "name": "scikit-learn",
            "version": "1.9.1",
            "purl": "pkg:pypi/scikit-learn@1.9.1",
        },
        {
            "type": "library",
            "bom-ref": "SQLAlchemy==2.1.9",
            "name": "SQLAlchemy",
            "version": "2.1.9",
            "purl": "pkg:pypi/sqlalchemy@2.1.9",
        },
    ],
    "dependencies": [{"ref": "SQLAlchemy==2.1.9"}, {"ref": "scikit-learn==1.9.1"}],
}


def _bom() -> dict:
    debs = sbom.deb_components(sbom.parse_dpkg_status(STATUS), sbom.parse_os_release(OS_RELEASE))
    subject = sbom.image_component("reg.example/team/parser:0.1.0", IMAGE_ID, ["b", "a"])
    return sbom.assemble(json.loads(json.dumps(PYTHON_BOM)), debs, subject, IMAGE_ID, "parser")


def test_dpkg_status_keeps_installed_packages_only() -> None:
    packages = sbom.parse_dpkg_status(STATUS)
    assert [p["Package"] for p in packages] == ["libc6", "python3.11"]
    assert packages[0]["Version"] == "2.36-9+deb12u13"


def test_debian_packages_get_purls_with_distro_and_arch() -> None:
    debs = sbom.deb_components(sbom.parse_dpkg_status(STATUS), sbom.parse_os_release(OS_RELEASE))
    assert debs[0]["purl"] == "pkg:deb/debian/libc6@2.36-9+deb12u13?arch=amd64&distro=debian-12"
    assert {"name": "dockyard:deb-source", "value": "glibc"} in debs[0]["properties"]


def test_assembled_sbom_is_valid_cyclonedx_16() -> None:
    bom = _bom()
    assert sbom.validate(bom) == []
    assert bom["metadata"]["component"]["type"] == "container"
    assert [c["name"] for c in bom["components"]] == [
        "libc6", "python3.11", "scikit-learn", "SQLAlchemy",
    ]  # fmt: skip


def test_same_image_same_bytes_and_serial_from_the_image_id() -> None:
    first, second = _bom(), _bom()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    other = sbom.assemble(dict(PYTHON_BOM), [], first["metadata"]["component"], "sha256:0", "x")
    assert first["serialNumber"].startswith("urn:uuid:")
    assert other["serialNumber"] != first["serialNumber"]


def test_invalid_document_is_reported() -> None:
    bom = _bom()
    bom["components"][0]["type"] = "not-a-type"
    assert sbom.validate(bom)


def test_lock_cross_check() -> None:
    image = sbom.python_packages(_bom())
    assert image == {"scikit-learn": "1.9.1", "sqlalchemy": "2.1.9"}
    lock = {
        "metadata": {"component": {"name": "lol-data-parser", "version": "0.1.0"}},
        "components": [
            {"name": "scikit-learn", "version": "1.9.1"},
            {"name": "sqlalchemy", "version": "2.1.8"},
        ],
    }
    assert sbom.lock_mismatches(image, lock) == [
        "sqlalchemy 2.1.9 is in the image, uv.lock pins 2.1.8"
    ]
    lock["components"][1]["version"] = "2.1.9"
    assert sbom.lock_mismatches({**image, "requests": "2.0"}, lock) == [
        "requests 2.0 is in the image but not in uv.lock"
    ]


def test_the_tool_staged_for_the_container_is_pure_and_readable(tmp_path: Path) -> None:
    names = {sbom.normalize(d.metadata["Name"]) for d in sbom.tool_distributions()}
    assert {"cyclonedx-bom", "cyclonedx-python-lib", "packageurl-python"} <= names
    assert not names & {"jsonschema", "lxml"}
    sbom.stage_tool(tmp_path / "tool")
    assert (tmp_path / "tool/cyclonedx_py/__main__.py").is_file()
    assert (tmp_path / "tool").stat().st_mode & 0o005 == 0o005
