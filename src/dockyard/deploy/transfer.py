"""transfer = "ssh": the images reach the server through the ssh connection dockyard
already uses, layer by layer, with no registry of the user's.

The server keeps a registry of its own (dockyard-registry: one container per server,
shared by every project, its blobs in a named volume, published on the server's
127.0.0.1 only). A deploy opens an ssh port forward to it, pushes each app's image from
the local engine through it (the engine sends only the blobs the registry lacks), closes
the forward, and the server's engine pulls ``127.0.0.1:<port>/<project>/<app>@<digest>``
from its own loopback: the rest of the deploy, and any later rollback, is what it is with
transfer = "registry", and needs nothing from the client.

The registry's image is built on the server the first time, like the proxy's: the
distribution registry binary of Debian's `docker-registry` package (fetched here with
`apt-get download`, which checks it against the signed index) on the project's base
image. A new RECIPE number means a new image tag.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dockyard.console import note
from dockyard.deploy.swarm import require_swarm
from dockyard.deploy.target import Target
from dockyard.engine import apt, docker, git, portforward
from dockyard.engine import serverregistry as engine
from dockyard.engine.apt import Deb
from dockyard.engine.remote import TargetEngine
from dockyard.errors import DockyardError
from dockyard.names import label, release_tag
from dockyard.plan import image_repository
from dockyard.render.server import DeployImage

PACKAGE = "docker-registry"  # Debian's package of the distribution registry (CNCF)
BINARY = "/usr/bin/docker-registry"
RECIPE = 1  # dockerfile() and config(): a new number, a new image tag
PROBE = "/v2/"
CONFIG = f"""\
# dockyard-registry: the server's own registry for transfer = "ssh" (written by dockyard)
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {engine.STORAGE}
  delete:
    enabled: true
http:
  addr: :{engine.CONTAINER_PORT}
"""


def image_tag(version: str) -> str:
    """The registry image's tag for one package version: ``+`` and ``~`` are not allowed
    in a tag (2.8.2+ds1-1 -> dockyard-registry:distribution-2.8.2-ds1-1-1)."""
    return f"dockyard-registry:distribution-{re.sub(r'[^A-Za-z0-9_.-]', '-', version)}-{RECIPE}"


def dockerfile(base: str, deb: Deb) -> str:
    """The registry image: Debian's registry binary on ``base`` (glibc, and a Python for
    the healthcheck and the blob count)."""
    probe = f"http://127.0.0.1:{engine.CONTAINER_PORT}{PROBE}"
    return f"""\
# The dockyard-registry image, built by dockyard on the server: the distribution
# registry from Debian's {deb.package} {deb.version} ({deb.architecture}; apt checked it
# against the signed index) on the project's base image.
FROM {base}
COPY docker-registry /usr/local/bin/docker-registry
COPY config.yml /etc/dockyard-registry/config.yml
LABEL org.opencontainers.image.title="dockyard-registry" \\
      org.opencontainers.image.version="{deb.version}" \\
      {label("registry.package")}="{deb.package}={deb.version}" \\
      {label("registry.package.sha256")}="{deb.sha256}" \\
      {label("registry.recipe")}="{RECIPE}"
HEALTHCHECK --interval=30s --timeout=10s --retries=3 \\
    CMD ["python3", "-c", "import urllib.request as u; u.urlopen('{probe}', timeout=5)"]
EXPOSE {engine.CONTAINER_PORT}
ENTRYPOINT ["/usr/local/bin/docker-registry"]
CMD ["serve", "/etc/dockyard-registry/config.yml"]
"""


def server_repository(target: Target, app: str) -> str:
    """The app's repository in the server's registry: <project>/<app>."""
    return f"{target.project.name}/{app}"


def server_reference(port: int, repository: str, digest: str) -> str:
    """What the server pulls (and the compose file and the state record)."""
    return f"127.0.0.1:{port}/{repository}@{digest}"


def bytes_gained(before: dict[str, int], after: dict[str, int]) -> int:
    """The bytes of the blobs the registry stores now and did not before."""
    return sum(size for digest, size in after.items() if digest not in before)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def sent_line(name: str, where: str, gained: int, through_ssh: int | None) -> str:
    """What a deploy says it sent: the blobs the server's registry gained (exact), and
    what ssh itself counted (requests and encryption included)."""
    ssh_bytes = "?" if through_ssh is None else str(through_ssh)
    return (
        f"sent {human_bytes(gained)} to the registry {name} on {where}: the layers it "
        f"lacked ({gained} bytes of blobs; {ssh_bytes} bytes through ssh)"
    )


def tunnel_error(
    who: str, where: str, name: str, failure: portforward.TunnelFailed, tail: str
) -> str:
    """One line for a forward that did not open, or a registry that does not answer."""
    if failure.far_end:
        return (
            f"{who}: the registry {name} on {where} does not answer through the ssh tunnel "
            f"({failure.reason}; its log: {tail}); see `docker logs {name}` there, or remove "
            "it to let the next deploy start a new one; nothing was changed there"
        )
    return (
        f"{who}: could not open an ssh port forward to {where} ({failure.reason}); check "
        f"that `ssh {' '.join(portforward.destination(where))}` works and that its sshd allows TCP "
        "forwarding (AllowTcpForwarding); nothing was changed there"
    )


def swarm_refusal(who: str, nodes: int) -> str:
    return (
        f'{who}: transfer = "ssh" puts the images in a registry on the manager\'s '
        f"127.0.0.1, which the other {nodes - 1} node(s) of this swarm cannot reach; use "
        'transfer = "registry" (a registry every node reaches)'
    )


@dataclass(frozen=True)
class Local:
    """An app's image on the local engine, and where it goes on the server."""

    app: str
    source: str  # <repository>:<tag> here
    tag: str
    repository: str  # in the server's registry


def local_images(target: Target) -> list[Local]:
    """Each app's image for this revision on the local engine; refused when not built."""
    project = target.project
    revision = git.revision(project.root)
    out = []
    for app in target.config.apps:
        tag = release_tag(project.apps[app].member.version, revision)
        source = f"{image_repository(project, app)}:{tag}"
        if not docker.has_image(source):
            raise DockyardError(
                f"deploy target '{target.name}': the image {source} is not built (for this "
                f"revision); run `dockyard build {app}` first"
            )
        out.append(Local(app, source, tag, server_repository(target, app)))
    return out


def ensure_registry(target: Target) -> tuple[str, int]:
    """The target server's registry runs; its container name and server port."""
    return ensure_registry_on(
        target.engine,
        target.project.base_image,
        f"deploy target '{target.name}'",
        engine.registry_name(),
        engine.wanted_port(),
    )


def ensure_registry_on(
    server: TargetEngine, base: str, who: str, name: str, port: int
) -> tuple[str, int]:
    """The registry ``name`` runs on ``server`` (started again, or built on ``base`` and
    started on ``port``, when it does not); its name and the port it is published on
    (an existing one keeps its own)."""
    info = engine.inspect(server, name)
    if info is not None:
        published = info.labels.get(engine.PORT_LABEL, "")
        if not published.isdigit():
            raise DockyardError(
                f"{who}: a container {name} on {server.address} is not a dockyard registry "
                "(no port label); remove or rename it, or set DOCKYARD_REGISTRY_NAME"
            )
        if info.state.status != "running":
            note(f"starting the registry {name} on {server.address} again")
            engine.restart(server, name)
        return name, int(published)
    with tempfile.TemporaryDirectory(prefix="dockyard-registry-deb-") as tmp:
        folder = Path(tmp)
        deb = apt.download(PACKAGE, engine.server_arch(server), folder, f'transfer = "ssh" ({who})')
        tag = image_tag(deb.version)
        if not engine.image_id(server, tag):
            if not engine.image_id(server, base):
                note(f"copying the base image {base} to {server.address} once (docker save "
                     "| docker load): the registry image is built on it")  # fmt: skip
                engine.copy_image(server, base)
            note(f"building the registry image {tag} on {server.address} ({PACKAGE} {deb.version})")
            binary = apt.extract(deb, BINARY, folder / "docker-registry")
            engine.build_image(server, dockerfile(base, deb), tag, deb, binary, CONFIG)
    note(f"starting the registry {name} on {server.address} (127.0.0.1:{port} there)")
    if not engine.start(server, name, tag, port):  # another deploy was quicker: use its
        return ensure_registry_on(server, base, who, name, port)
    return name, port


@dataclass(frozen=True)
class Sent:
    digests: dict[str, str]  # app -> the digest pushed
    gained: int  # bytes of the blobs the registry gained
    through_ssh: int | None  # bytes ssh sent, as it counted them


def send(server: TargetEngine, name: str, port: int, images: list[Local], who: str) -> Sent:
    """Push ``images`` from the local engine to the registry ``name`` on ``server``
    (published on its 127.0.0.1:``port``) through an ssh port forward, closed however
    this ends; what was sent."""
    before = engine.blob_sizes(server, name)
    digests = {}
    try:
        with portforward.forward(server.host or "", port, PROBE) as tunnel:
            for image in images:
                remote = f"127.0.0.1:{tunnel.port}/{image.repository}:{image.tag}"
                try:
                    digests[image.app] = engine.push(image.source, remote)
                except DockyardError as exc:
                    raise DockyardError(
                        f"{who}: sending {image.app} to the registry {name} on "
                        f"{server.address} through ssh failed ({exc}); nothing was changed "
                        "there"
                    ) from None
    except portforward.TunnelFailed as exc:
        tail = engine.logs_tail(server, name) if exc.far_end else ""
        raise DockyardError(tunnel_error(who, server.address, name, exc, tail)) from None
    gained = bytes_gained(before, engine.blob_sizes(server, name))
    return Sent(digests, gained, tunnel.sent)


def send_images(target: Target) -> dict[str, DeployImage]:
    """Push each app's image to the server's registry through an ssh port forward; the
    images as the server pulls them. Prints the bytes sent."""
    local = local_images(target)
    who = f"deploy target '{target.name}'"
    if target.config.kind == "swarm":  # before anything travels
        require_swarm(target)
        nodes = engine.swarm_nodes(target.engine)
        if nodes > 1:
            raise DockyardError(swarm_refusal(who, nodes))
    name, port = ensure_registry(target)
    sent = send(target.engine, name, port, local, who)
    note(sent_line(name, target.engine.address, sent.gained, sent.through_ssh))
    return {
        i.app: DeployImage(i.app, server_reference(port, i.repository, sent.digests[i.app]), i.tag)
        for i in local
    }
