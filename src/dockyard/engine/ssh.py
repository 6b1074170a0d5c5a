"""One ssh connection per deploy target for a whole command.

With ``DOCKER_HOST=ssh://...`` every docker command opens an ssh connection of its own
(a handshake, then `docker system dial-stdio` on the server): 0.3-0.4 s each here, and a
deploy runs dozens. Instead dockyard opens one connection with the user's own `ssh` (its
config, keys and agent), asks the server's docker CLI which socket its engine listens
on, and has that connection forward the socket to a private local one (`ssh -O forward
-L`, OpenSSH's own stream-local forwarding): each docker command connects to that and
costs what a local one does. Where the server's engine is not on a unix socket, or the
forward does not work, dockyard uses ``DOCKER_HOST=ssh://...`` as the docker CLI does.

A connection that drops is reported once, by the command that found it dropped
(LostConnection); the next command opens a new one, so a failed deploy can still put
the running release back.
"""

from __future__ import annotations

import atexit
import logging
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dockyard.errors import DockyardError

log = logging.getLogger("dockyard.run")

CONNECT_TIMEOUT = 30  # seconds, as the docker CLI's own ssh connection
# the server's docker CLI prints its engine's address, then waits for stdin to close:
# the connection lives as long as dockyard (or its pipe) does
REMOTE = "docker context inspect --format '{{.Endpoints.docker.Host}}' && exec cat"


class LostConnection(DockyardError):
    """The ssh connection to a target's server dropped while a command ran."""


def ssh_argv(host: str) -> list[str]:
    """``ssh`` options and destination for an ``ssh://[user@]host[:port]`` DOCKER_HOST."""
    url = urlsplit(host)
    argv = ["-o", f"ConnectTimeout={CONNECT_TIMEOUT}", "-T"]
    if url.username:
        argv += ["-l", url.username]
    if url.port:
        argv += ["-p", str(url.port)]
    return [*argv, "--", url.hostname or ""]


@dataclass
class Tunnel:
    """One ssh connection (an OpenSSH control master) forwarding the server's engine
    socket to ``socket``, in a private folder (0700: the socket is root on the server)."""

    host: str
    folder: Path
    process: subprocess.Popen[str]
    socket: Path = field(init=False)

    def __post_init__(self) -> None:
        self.socket = self.folder / "docker.sock"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End the connection (the server's `cat` ends when its stdin does) and remove
        the folder, whatever state the connection is in."""
        try:
            if self.process.stdin is not None and not self.process.stdin.closed:
                self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first line ``proc`` prints, or "" when it ends or time runs out first."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return proc.stdout.readline().strip()


def _folder() -> Path:
    """A private folder whose socket paths fit a unix socket's ~100 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="dockyard-ssh-"))
    if len(str(folder / "docker.sock")) > 100:
        folder.rmdir()
        folder = Path(tempfile.mkdtemp(prefix="dockyard-ssh-", dir="/tmp"))
    return folder


def _works(tunnel: Tunnel) -> bool:
    """Does the server's engine answer through the forwarded socket?"""
    proc = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env={**os.environ, "DOCKER_HOST": tunnel.docker_host, "DOCKER_CONTEXT": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode == 0 and bool(proc.stdout.strip())


def open_tunnel(host: str) -> Tunnel | None:
    """One ssh connection forwarding the engine socket of ``host``'s server; None when
    that cannot work (no connection, an engine not on a unix socket, forwarding refused)."""
    folder = _folder()
    control = folder / "control"
    argv = ["ssh", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
    argv += ["-M", "-S", str(control), "-o", "ControlPersist=no", *ssh_argv(host), REMOTE]
    log.debug("run: %s (kept open: the target's connection)", " ".join(argv))
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # Ctrl-C stops the deploy, not the connection it restores over
        )
    except FileNotFoundError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    tunnel = Tunnel(host, folder, proc)
    endpoint = _first_line(proc, CONNECT_TIMEOUT + 30)
    if not endpoint.startswith("unix://"):
        tunnel.close()
        return None
    forward = subprocess.run(
        ["ssh", "-S", str(control), "-O", "forward",
         "-L", f"{tunnel.socket}:{endpoint.removeprefix('unix://')}", *ssh_argv(host)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    if forward.returncode != 0 or not _works(tunnel):
        tunnel.close()
        return None
    took = time.monotonic() - started
    log.debug("ssh: %s forwarded to %s in %.2fs", endpoint, tunnel.socket, took)
    return tunnel


@dataclass
class _Connection:
    tunnel: Tunnel | None = None
    tried: bool = False  # a tunnel was tried (None after that: plain ssh://)
    answered: bool = False  # the server answered a command once


_CONNECTIONS: dict[str, _Connection] = {}
_OPENING = threading.RLock()  # commands run side by side (a deploy pulls while it reads)


def docker_host(host: str, command: str = "docker") -> tuple[str, Tunnel | None]:
    """The DOCKER_HOST to reach ``host`` with now, and the tunnel it goes through.

    Opens the connection on first use. A tunnel found dropped (before ``command`` runs)
    is reported (LostConnection) and forgotten, so the next call opens a new one.
    """
    with _OPENING:
        connection = _CONNECTIONS.setdefault(host, _Connection())
        tunnel = connection.tunnel
        if tunnel is not None and not tunnel.alive():
            lost(host, tunnel, f"it closed before `{command}`")
        if not connection.tried:
            connection.tried = True
            connection.tunnel = open_tunnel(host)
        tunnel = connection.tunnel
        return (tunnel.docker_host, tunnel) if tunnel else (host, None)


def lost(host: str, tunnel: Tunnel, detail: str) -> None:
    """Forget a dropped tunnel (the next call reconnects) and raise LostConnection."""
    with _OPENING:
        connection = _CONNECTIONS.setdefault(host, _Connection())
        if connection.tunnel is tunnel:
            connection.tunnel, connection.tried = None, False
    tunnel.close()
    raise LostConnection(f"lost the ssh connection to {host} ({detail})")


def answered(host: str) -> None:
    """Note that a command reached ``host``'s engine (a later ssh failure is a drop)."""
    _CONNECTIONS.setdefault(host, _Connection()).answered = True


def dropped(host: str, stderr: str) -> bool:
    """Did a command on plain ``DOCKER_HOST=ssh://`` fail because its ssh connection
    did, after the server had answered before (a first failure is "cannot reach")?"""
    connection = _CONNECTIONS.get(host)
    ssh_failed = "docker system dial-stdio] has exited with exit status 255" in stderr
    return bool(connection and connection.answered and ssh_failed)


def close_all() -> None:
    """Close every connection this process opened (at exit)."""
    for connection in list(_CONNECTIONS.values()):
        if connection.tunnel is not None:
            try:
                connection.tunnel.close()
            except Exception:  # noqa: BLE001 - the others are closed all the same
                log.debug("ssh: closing %s failed", connection.tunnel.host, exc_info=True)
    _CONNECTIONS.clear()


atexit.register(close_all)
