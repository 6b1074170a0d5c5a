"""Pin the base image and uv for dockyard.lock, and check a pinned base is still the same."""

from __future__ import annotations

from dockyard.basepython import check_base_python
from dockyard.console import say
from dockyard.engine import docker, uv
from dockyard.errors import DockyardError
from dockyard.lockfile import LOCK_NAME, BaseImage, Lock, file_sha256
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
        say(f"pulling base image {image} ...")
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
    digests = info.digests_of(name)
    if digests and not pulled:
        served = docker.remote_digest(repo)
        digests = [served] if served in digests else []
    if digests:
        return BaseImage(image, f"{repo}@{digests[0]}", info.id, local_only=False)
    return BaseImage(image, repo, info.id, local_only=True)


def compute_lock(project: Project) -> Lock:
    docker.require_engine()
    return Lock(
        base=resolve_base(project.base_image),
        uv_version=uv.UV_VERSION,
        uv_requirements=uv.hashed_requirement(f"uv=={uv.UV_VERSION}"),
        uv_lock_sha256=file_sha256(project.root / "uv.lock"),
    )


def check_base_unchanged(lock: Lock) -> None:
    """The engine answers, and a local-only base (pinned by ID) is still that image: a
    build refuses a different one. The base's inspect is the engine's probe."""
    if not lock.base.local_only:
        docker.require_engine(plugins=False)
        return
    info = docker.inspect_image(lock.base.reference, require=True)
    if info is None:
        raise DockyardError(
            f"base image '{lock.base.reference}' (pinned in {LOCK_NAME}) is not on this "
            "engine; load or rebuild it (`dockyard base bootstrap`), then `dockyard lock`"
        )
    if info.id != lock.base.id:
        raise DockyardError(
            f"base image '{lock.base.reference}' is now {info.id[:19]}, but {LOCK_NAME} "
            f"pins {lock.base.id[:19]}; run `dockyard lock` to accept the new base"
        )


def check_project_python(project: Project, base_id: str) -> None:
    """Refuse a base (``base_id``: its image ID) whose Python the requires-python of the
    root or of an app's first-party member does not accept."""
    members = sorted({m.path for app in project.apps.values() for m in app.first_party})
    check_base_python(project.root, members, project.base_image, base_id)
