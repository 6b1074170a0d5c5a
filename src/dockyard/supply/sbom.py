"""CycloneDX 1.6 SBOMs of prod images: what the image's venv really holds (cyclonedx-py,
run against the built image), plus the base image's Debian packages (dpkg status).

The pure parts (dpkg status -> components, merging, the lock cross-check) take plain
data; `image_sbom` drives the engine.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement

from dockyard import __version__
from dockyard.errors import DockyardError

SPEC_VERSION = "1.6"
TOOL = "cyclonedx-bom"
# Only what `cyclonedx-py environment --no-validate` imports; the JSON-schema validator
# (jsonschema, lxml: compiled, tied to this host's Python) runs on the host instead.
VALIDATION_ONLY = {"jsonschema", "lxml", "referencing", "tomli"}
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
DPKG_STATUS = "/var/lib/dpkg/status"
# A fixed namespace: the serial number is derived from the image ID, so the same image
# always gets the same one and different images never share one.
SERIAL_NAMESPACE = uuid.UUID("5b3c8f4e-3a52-4d6a-9a0e-2f9d6c1f7a10")


def normalize(name: str) -> str:
    """PEP 503 name: SQLAlchemy, pydantic_core -> sqlalchemy, pydantic-core."""
    return re.sub(r"[-_.]+", "-", name).lower()


def tool_distributions(root: str = TOOL) -> list[importlib.metadata.Distribution]:
    """cyclonedx-bom and what it needs to run (no extras), as installed with dockyard."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = normalize(todo.pop())
        if name in seen or name in VALIDATION_ONLY:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise DockyardError(
                f"{name} is not installed with dockyard; reinstall dockyard (it needs {TOOL})"
            ) from None
        seen[name] = dist
        for spec in dist.requires or ():
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


def stage_tool(target: Path) -> Path:
    """Copy the files of cyclonedx-bom and its dependencies into ``target`` (to mount).

    The same versions dockyard's own lock pins; pure Python, so any Python 3 the
    image has can run them (compiled speed-ups fall back to their .py sources).
    Readable by everyone: the prod image runs as its non-root user.
    """
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o755)
    for dist in tool_distributions():
        for rel in dist.files or ():
            source = Path(str(dist.locate_file(rel)))
            parts = Path(str(rel)).parts
            if ".." in parts or "__pycache__" in parts or not source.is_file():
                continue  # scripts outside site-packages and bytecode are not needed
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            dest.chmod(0o644)
    for folder in target.rglob("*"):
        if folder.is_dir():
            folder.chmod(0o755)
    return target


def parse_os_release(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            out[key.strip()] = value.strip().strip('"')
    return out


def parse_dpkg_status(text: str) -> list[dict[str, str]]:
    """The installed packages of a dpkg status file (stanzas of `Field: value`)."""
    packages = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        last = None
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") and last:
                continue  # continuation lines (Description, Conffiles): not needed
            key, sep, value = line.partition(":")
            if sep:
                last = key.strip()
                fields[last] = value.strip()
        if fields.get("Package") and fields.get("Status", "").endswith(" installed"):
            packages.append(fields)
    return packages


def deb_components(packages: list[dict[str, str]], os_release: dict[str, str]) -> list[dict]:
    """CycloneDX components (purl type deb) for dpkg's installed packages."""
    distro_id = os_release.get("ID", "debian")
    distro = f"{distro_id}-{os_release['VERSION_ID']}" if "VERSION_ID" in os_release else None
    out = []
    for pkg in sorted(packages, key=lambda p: (p["Package"], p.get("Architecture", ""))):
        name, version, arch = pkg["Package"], pkg.get("Version", ""), pkg.get("Architecture", "")
        qualifiers = [f"arch={arch}"] if arch else []
        if distro:
            qualifiers.append(f"distro={distro}")
        purl = f"pkg:deb/{distro_id}/{name}@{version}" + (
            "?" + "&".join(qualifiers) if qualifiers else ""
        )
        component: dict = {
            "type": "library",
            "bom-ref": purl,
            "name": name,
            "version": version,
            "purl": purl,
            "properties": [{"name": "dockyard:package-type", "value": "deb"}],
        }
        if pkg.get("Source"):
            component["properties"].append({"name": "dockyard:deb-source", "value": pkg["Source"]})
        out.append(component)
    return out


def image_component(image: str, image_id: str, tags: Iterable[str]) -> dict:
    """The SBOM's subject: the container image, by repository and image ID."""
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    name = repo.rsplit("/", 1)[-1]
    purl = f"pkg:oci/{name}@{image_id.replace(':', '%3A')}?repository_url={repo}"
    return {
        "type": "container",
        "bom-ref": purl,
        "name": repo,
        "version": image.rsplit(":", 1)[-1] if image != repo else image_id,
        "purl": purl,
        "properties": [{"name": "dockyard:image-id", "value": image_id}]
        + [{"name": "dockyard:tag", "value": tag} for tag in sorted(tags)],
    }


def assemble(python_bom: dict, debs: list[dict], subject: dict, image_id: str, app: str) -> dict:
    """cyclonedx-py's document + the Debian packages + the image as the subject.

    Components are sorted and the serial number comes from the image ID, so an
    identical image gives a byte-identical SBOM.
    """
    bom = dict(python_bom)
    components = list(bom.get("components") or [])
    for component in components:
        props = component.setdefault("properties", [])
        props.append({"name": "dockyard:package-type", "value": "python"})
    components += debs
    bom["components"] = sorted(
        components, key=lambda c: (c["name"].lower(), c.get("version", ""), c.get("bom-ref", ""))
    )
    metadata = dict(bom.get("metadata") or {})
    tools = dict(metadata.get("tools") or {})
    tools["components"] = [
        *(tools.get("components") or []),
        {"type": "application", "name": "dockyard", "version": __version__},
    ]
    metadata["tools"] = tools
    metadata["component"] = subject
    metadata["properties"] = [{"name": "dockyard:app", "value": app}]
    bom["metadata"] = metadata
    # the image depends on every top-level component (dependencies of the python
    # packages among themselves are cyclonedx-py's)
    deps = [d for d in bom.get("dependencies") or [] if d.get("ref") != subject["bom-ref"]]
    deps.append({"ref": subject["bom-ref"], "dependsOn": sorted(c["bom-ref"] for c in components)})
    bom["dependencies"] = sorted(deps, key=lambda d: d["ref"])
    bom["serialNumber"] = f"urn:uuid:{uuid.uuid5(SERIAL_NAMESPACE, image_id)}"
    order = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata")
    return {k: bom[k] for k in (*order, "components", "dependencies") if k in bom}


def python_packages(bom: dict) -> dict[str, str]:
    """normalized name -> version of the Python packages an SBOM lists."""
    out = {}
    for component in bom.get("components") or []:
        props = {p["name"]: p["value"] for p in component.get("properties") or []}
        if props.get("dockyard:package-type", "python") == "python":
            out[normalize(component["name"])] = component.get("version", "")
    return out


def lock_mismatches(image: dict[str, str], lock_bom: dict) -> list[str]:
    """Packages in the image that `uv export --format cyclonedx1.5` does not pin so.

    The lock may list more than one version of a package (one per Python version
    marker); the image's version must be one of them.
    """
    pinned: dict[str, set[str]] = {}
    for component in lock_bom.get("components") or []:
        pinned.setdefault(normalize(component["name"]), set()).add(component.get("version", ""))
    root = (lock_bom.get("metadata") or {}).get("component") or {}
    if root.get("name"):
        pinned.setdefault(normalize(root["name"]), set()).add(root.get("version", ""))
    out = []
    for name, version in sorted(image.items()):
        if name not in pinned:
            out.append(f"{name} {version} is in the image but not in uv.lock")
        elif version not in pinned[name]:
            wanted = ", ".join(sorted(pinned[name]))
            out.append(f"{name} {version} is in the image, uv.lock pins {wanted}")
    return out


def _iri(value: object) -> bool:
    """A cheap IRI(-reference) check: no spaces or controls, and it splits as a URL."""
    import urllib.parse

    if not isinstance(value, str):
        return True
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    try:
        urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return True


def validate(bom: dict) -> list[str]:
    """Errors of ``bom`` against the CycloneDX 1.6 JSON schema, strict (none when valid).

    cyclonedx-python-lib's strict validator, with one change: its IRI format check (a
    full RFC 3987 grammar) took 20-30 s per image here, for the URLs of the packages'
    metadata; a URL-split check stands in for it. Every other keyword and format is
    checked as the library does.
    """
    import sys

    if "jsonschema" not in sys.modules:
        # rfc3987-syntax, which jsonschema uses for that IRI check when installed,
        # compiles its grammar on import (16 s on a busy 2-core machine): skip it
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from jsonschema import Draft7Validator, FormatChecker  # type: ignore[import-untyped]

    checker = FormatChecker()
    checker.checkers = dict(Draft7Validator.FORMAT_CHECKER.checkers)
    checker.checkers["iri"] = checker.checkers["iri-reference"] = (_iri, ())
    # `_validator` is the library's jsonschema validator of the bundled 1.6 schemas
    validator = JsonStrictValidator(SchemaVersion.V1_6)._validator.evolve(format_checker=checker)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message}"
        for e in validator.iter_errors(bom)
    ][:5]


def image_sbom(
    image: str, image_id: str, tags: Iterable[str], app: str, epoch: int, tool_dir: Path
) -> dict:
    """The SBOM of one built image: its venv (cyclonedx-py in a throwaway container of
    it) and, where the image has a readable dpkg status, its Debian packages."""
    from dockyard.engine import sbom as engine

    python_bom = engine.cyclonedx_environment(image, tool_dir, epoch)
    files = engine.read_files(image, [DPKG_STATUS, *OS_RELEASE])
    os_release = parse_os_release(
        (files.get(OS_RELEASE[0]) or files.get(OS_RELEASE[1]) or b"").decode("utf-8", "replace")
    )
    status = files.get(DPKG_STATUS, b"").decode("utf-8", "replace")
    debs = deb_components(parse_dpkg_status(status), os_release)
    return assemble(python_bom, debs, image_component(image, image_id, tags), image_id, app)
