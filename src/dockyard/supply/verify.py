"""The check a deploy target with `require-signature` makes before anything on the
server changes: every image it is about to run, by digest, is signed by that key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dockyard.engine import cosign
from dockyard.errors import DockyardError
from dockyard.manifest import DeployTarget, Project


def public_key(project: Project, target_name: str, config: DeployTarget) -> Path | None:
    """The target's required public key file, or None when it requires none."""
    if config.require_signature is None:
        return None
    path = (project.root / config.require_signature).resolve()
    if not path.is_file():
        raise DockyardError(
            f"{project.pyproject}: tool.dockyard.deploy.{target_name}.require-signature: "
            f"{config.require_signature} does not exist; point it at the public key "
            "(`dockyard keygen` writes one)"
        )
    return path


def require_signatures(
    project: Project, target_name: str, config: DeployTarget, references: Mapping[str, str]
) -> None:
    """Refuse the deploy unless every app's image (name@digest) is signed by the key.

    ``references``: app -> image reference by digest, as the server will pull it.
    """
    key = public_key(project, target_name, config)
    if key is None:
        return
    cosign.require()
    for app, reference in references.items():
        verdict = cosign.verify(reference, key)
        if not verdict.ok:
            raise DockyardError(
                f"deploy target '{target_name}' refused {app} {reference}: not signed by "
                f"{config.require_signature} ({verdict.detail}); nothing was changed on the "
                f"server. Sign it: `dockyard sign {app}`"
            )
