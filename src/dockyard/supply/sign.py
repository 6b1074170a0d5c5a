"""`dockyard sign`: sign each pushed prod image by digest, with its SBOM and provenance
attached as signed attestations next to it in the registry (cosign, a key pair the
user holds). `dockyard keygen` makes that key pair."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click

from dockyard.console import show
from dockyard.engine import cosign, docker, images
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.supply import provenance
from dockyard.supply.artifacts import AppImage, built_image, write_provenance
from dockyard.supply.sboms import ensure_sbom

KEY_ENV = "DOCKYARD_SIGNING_KEY"


def default_key(project: Project) -> Path:
    """Where `dockyard keygen` puts the private key: the user's config, never the repo."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "dockyard" / "keys" / f"{project.name}.key"


def password(*, confirm: bool) -> str:
    """COSIGN_PASSWORD, else asked on the terminal; never a command-line argument."""
    if cosign.PASSWORD_ENV in os.environ:
        return os.environ[cosign.PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise DockyardError(
            f"the signing key's password: set {cosign.PASSWORD_ENV} (from your secret store), "
            "or run this on a terminal to be asked"
        )
    return click.prompt("password of the signing key", hide_input=True, confirmation_prompt=confirm)


def keygen(project: Project, key: Path | None) -> int:
    """Write a cosign key pair: KEY (encrypted, mode 600, outside the project) and KEY.pub."""
    key = (key or default_key(project)).expanduser().resolve()
    if key.suffix != ".key":
        raise DockyardError(f"{key}: the private key's file name must end in .key")
    if key.is_relative_to(project.root):
        raise DockyardError(
            f"{key} is inside the project: a private key must never be in the repository; "
            f"pick a path outside {project.root} (default: {default_key(project)})"
        )
    public = key.with_suffix(".pub")
    for path in (key, public):
        if path.exists():
            raise DockyardError(f"{path} already exists; remove it or pick another --key")
    cosign.require()
    secret = password(confirm=True)
    key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cosign.generate_key_pair(key.with_suffix(""), secret)
    key.chmod(0o600)
    show(f"private key {key} (mode 600; keep it and its password out of git and logs)")
    show(f"public key  {public}")
    show(
        "next: copy the public key into the project (e.g. keys/signing.pub), set "
        '`require-signature = "keys/signing.pub"` on a deploy target, then '
        f"`dockyard push && dockyard sign --key {key}`"
    )
    return 0


def _pushed_digest(image: AppImage) -> str:
    """The digest the registry serves for this revision's tag, which must be this image."""
    digest = images.registry_digest(image.reference, app=image.app)
    info = docker.inspect_image(image.reference)
    if info is None or (digest != info.id and digest not in info.digests_of(image.repository)):
        raise DockyardError(
            f"the registry's {image.reference} ({digest[:19]}) is not the image built here "
            f"({image.id[:19]}); push it first: `dockyard push {image.app}`"
        )
    return digest


def sign(project: Project, names: tuple[str, ...], key: Path | None) -> int:
    """Sign every selected app's pushed prod image and attest its SBOM and provenance."""
    if project.registry is None:
        raise DockyardError(
            f"{project.pyproject}: tool.dockyard.registry is not set; signatures live next "
            "to the image in a registry: set it, build, `dockyard push`, then sign"
        )
    key = (key or default_key(project)).expanduser()
    if not key.is_file():
        raise DockyardError(
            f"no signing key at {key}; make one with `dockyard keygen` (or pass --key FILE)"
        )
    apps = project.select(names)
    engine = docker.require_engine()
    cosign.require()
    images.require_registry(project.registry)
    targets = [built_image(project, app.name) for app in apps]
    digests = [_pushed_digest(image) for image in targets]
    secret = password(confirm=False)
    for image, digest in zip(targets, digests, strict=True):
        reference = f"{image.repository}@{digest}"
        sbom_file = ensure_sbom(project, image)
        facts = write_provenance(project, image, digest, engine)
        with tempfile.TemporaryDirectory(prefix="dockyard-sign-") as tmp:
            predicate = Path(tmp) / "provenance.json"
            predicate.write_text(json.dumps(provenance.predicate(facts), sort_keys=True))
            cosign.sign(reference, key, secret)
            cosign.attest(reference, key, secret, sbom_file, "cyclonedx")
            cosign.attest(reference, key, secret, predicate, provenance.COSIGN_TYPE)
        show(f"signed {image.app:12} {reference}  (+ SBOM, provenance attestations)")
    return 0
