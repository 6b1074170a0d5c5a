"""`dockyard lock`: uv.lock for packages, dockyard.lock for the base image and uv."""

from __future__ import annotations

import click

from dockyard.basepython import check_base_python
from dockyard.engine import docker, uv, uvimage
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.lockfile import LOCK_NAME, BaseImage, Lock, file_sha256, read_lock, render_lock
from dockyard.manifest import Project


def resolve_base(image: str) -> BaseImage:
    """Pin ``image``: its registry digest when a registry serves it, else its local image ID.

    An engine with the containerd image store gives every image a digest, even one
    that was only ever imported; BuildKit would then look that digest up in a
    registry. So a digest is used only when it came from, or is served by, a registry.
    """
    info = docker.inspect_image(image)
    pulled = False
    if info is None:
        click.echo(f"pulling base image {image} ...", err=True)
        reason = docker.pull(image)
        info = docker.inspect_image(image) if reason is None else None
        pulled = info is not None
        if info is None:
            raise DockyardError(
                f"base image '{image}' is not on this engine and cannot be pulled ({reason}). "
                "With no registry, build one from your Debian mirror with "
                "`dockyard base bootstrap` and set DOCKYARD_BASE_IMAGE to the tag it prints "
                "(or base-image in [tool.dockyard])"
            )
    repo = image.split("@", 1)[0]
    name = repo.rsplit(":", 1)[0] if ":" in repo.rsplit("/", 1)[-1] else repo
    digests = [
        d.split("@", 1)[1] for d in info.get("RepoDigests") or [] if d.split("@", 1)[0] == name
    ]
    if digests and not pulled:
        served = docker.remote_digest(repo)
        digests = [served] if served in digests else []
    if digests:
        return BaseImage(image, f"{repo}@{digests[0]}", info["Id"], local_only=False)
    return BaseImage(image, repo, info["Id"], local_only=True)


def compute_lock(project: Project) -> Lock:
    docker.require_engine()
    return Lock(
        base=resolve_base(project.base_image),
        uv_version=uv.UV_VERSION,
        uv_requirements=uv.hashed_requirement(f"uv=={uv.UV_VERSION}"),
        uv_lock_sha256=file_sha256(project.root / "uv.lock"),
    )


def check_base_unchanged(lock: Lock) -> None:
    """A local-only base is pinned by ID: refuse to build on a different image."""
    if not lock.base.local_only:
        return
    info = docker.inspect_image(lock.base.reference)
    if info is None:
        raise DockyardError(
            f"base image '{lock.base.reference}' (pinned in {LOCK_NAME}) is not on this "
            "engine; load or rebuild it (`dockyard base bootstrap`), then `dockyard lock`"
        )
    if info["Id"] != lock.base.id:
        raise DockyardError(
            f"base image '{lock.base.reference}' is now {info['Id'][:19]}, but {LOCK_NAME} "
            f"pins {lock.base.id[:19]}; run `dockyard lock` to accept the new base"
        )


def lock(project: Project, *, check: bool) -> int:
    root = project.root
    if check:
        uvimage.lock(root, project.base_image, check=True)  # in the base: see uvimage
        current = read_lock(root)
        fresh = compute_lock(project)
        drift = []
        if fresh.base != current.base:
            drift.append(f"base image ({current.base.reference} -> {fresh.base.reference})")
        if fresh.uv_lock_sha256 != current.uv_lock_sha256:
            drift.append("uv.lock changed since dockyard.lock was written")
        if fresh.uv_requirements != current.uv_requirements:
            drift.append(f"uv ({current.uv_version} -> {fresh.uv_version})")
        if drift:
            raise DockyardError(
                f"{root / LOCK_NAME} is stale: {'; '.join(drift)}; run `dockyard lock`",
                exit_code=1,
            )
        click.echo(f"{LOCK_NAME} and uv.lock are up to date")
        return 0
    members = sorted({m.path for app in project.apps.values() for m in app.first_party})
    checked = check_base_python(root, members, project.base_image)  # a local base: at once
    click.echo("locking Python packages (uv lock) ...", err=True)
    uvimage.lock(root, project.base_image)  # in the base when the host lacks its Python
    new = compute_lock(project)
    if not checked:  # the base was pulled just now
        check_base_python(root, members, project.base_image)
    write_atomic(root / LOCK_NAME, render_lock(new))
    click.echo(
        f"wrote {LOCK_NAME}: base {new.base.reference} ({new.base.id[:19]}), uv {new.uv_version}"
    )
    return 0
