"""`dockyard lock`: uv.lock for packages, dockyard.lock for the base image and uv."""

from __future__ import annotations

from pathlib import Path

import click
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dockyard.engine import docker, uv
from dockyard.engine.run import run
from dockyard.errors import DockyardError
from dockyard.fsutil import write_atomic
from dockyard.lockfile import LOCK_NAME, BaseImage, Lock, file_sha256, read_lock, render_lock
from dockyard.manifest import Project
from dockyard.workspace import read_toml


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


def base_python(image_id: str) -> str:
    """The version of the base image's `python3` (the one the venv is made from)."""
    proc = run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "python3", image_id,
         "-c", "import platform; print(platform.python_version())"],
        what="reading the base image's Python version",
    )  # fmt: skip
    return proc.stdout.strip()


def check_requires_python(project: Project, image: str, version: str) -> None:
    """Refuse a requires-python that the base image's Python does not satisfy."""
    paths = [project.pyproject] + [
        project.root / m.path / "pyproject.toml"
        for m in project.workspace.members.values()
        if m.path != "."
    ]
    for path in paths:
        spec = read_toml(path).get("project", {}).get("requires-python")
        if not isinstance(spec, str):
            continue
        try:
            allowed = SpecifierSet(spec)
        except InvalidSpecifier:
            raise DockyardError(
                f"{path}: project.requires-python '{spec}' is not a version specifier like '>=3.11'"
            ) from None
        if not allowed.contains(version, prereleases=True):
            raise DockyardError(
                f"{path}: requires-python '{spec}' excludes Python {version} of the base "
                f"image {image}; widen requires-python, or pick a base image whose Python "
                "it allows (base-image in [tool.dockyard])"
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
        uv.lock(root, check=True)
        try:
            current = read_lock(root)
        except DockyardError as exc:  # missing or unreadable: a finding of the check
            raise DockyardError(exc.message, exit_code=1) from exc
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
    # Everything that can fail without writing comes first: uv.lock is then never
    # new while dockyard.lock stays old.
    docker.require_engine()
    base = resolve_base(project.base_image)
    check_requires_python(project, project.base_image, base_python(base.id))
    uv_requirements = uv.hashed_requirement(f"uv=={uv.UV_VERSION}")
    uv_lock = root / "uv.lock"
    before = uv_lock.read_bytes() if uv_lock.is_file() else None
    click.echo("locking Python packages (uv lock) ...", err=True)
    uv.lock(root)
    new = Lock(base, uv.UV_VERSION, uv_requirements, file_sha256(uv_lock))
    try:
        write_atomic(root / LOCK_NAME, render_lock(new))
    except BaseException:
        _put_back(uv_lock, before)
        raise
    click.echo(
        f"wrote {LOCK_NAME}: base {new.base.reference} ({new.base.id[:19]}), uv {new.uv_version}"
    )
    return 0


def _put_back(uv_lock: Path, before: bytes | None) -> None:
    """dockyard.lock could not be written: return uv.lock to what it was, or say so."""
    try:
        if before is None:
            uv_lock.unlink(missing_ok=True)
        elif uv_lock.read_bytes() != before:
            uv_lock.write_bytes(before)
        else:
            return  # uv.lock did not change: nothing to put back
    except OSError as exc:
        raise DockyardError(
            f"{uv_lock} is new but {LOCK_NAME} could not be written, nor uv.lock put back "
            f"({exc.strerror}); make room, then run `dockyard lock` again"
        ) from exc
    click.echo(f"{LOCK_NAME} could not be written: uv.lock is back as it was", err=True)
