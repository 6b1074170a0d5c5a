"""ssh, the way the docker CLI uses it for ``DOCKER_HOST=ssh://user@host:port``: the
machine's own OpenSSH client with the user's keys, agent and ~/.ssh/config.

Here it opens a local port forward to a port on the server's loopback (``ssh -N -L``)
for as long as a block runs, and reports the bytes ssh sent through it.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dockyard.engine.run import log
from dockyard.errors import DockyardError

READY_SECONDS = 60.0  # connect (ssh's ConnectTimeout is 30 s) + log in + first answer
REFUSED_SECONDS = 10.0  # how long the far end may refuse connections (still starting)
# OpenSSH's closing statistics line at -v: "Transferred: sent 3584, received 3480 bytes, ..."
_TRANSFERRED = re.compile(r"^Transferred: sent (\d+), received (\d+) bytes", re.MULTILINE)
# A forwarded connection the server side could not open (nothing listens there).
_OPEN_FAILED = re.compile(r"channel \d+: open failed: (.*)$", re.MULTILINE)


class TunnelFailed(DockyardError):
    """The forward could not be opened, or what it leads to does not answer."""

    def __init__(self, reason: str, *, far_end: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.far_end = reason, far_end


def destination(host: str) -> list[str]:
    """The ssh arguments that reach ``host`` (ssh://[user@]server[:port]) as the docker
    CLI's ssh connection does: ``-l user -p port -- server``."""
    parts = urlsplit(host)
    if parts.scheme != "ssh" or not parts.hostname or parts.path not in ("", "/"):
        raise DockyardError(f"'{host}' is not an ssh address like ssh://user@server[:port]")
    args = []
    if parts.username:
        args += ["-l", parts.username]
    if parts.port:
        args += ["-p", str(parts.port)]
    return [*args, "--", parts.hostname]


def forward_command(host: str, local_port: int, remote_port: int) -> list[str]:
    """``ssh -N -L`` from 127.0.0.1:``local_port`` here to 127.0.0.1:``remote_port`` on the
    server; -v for the bytes-sent statistics ssh prints when it closes."""
    return [
        "ssh", "-v", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=30",
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
        "-L", f"127.0.0.1:{local_port}:127.0.0.1:{remote_port}", *destination(host),
    ]  # fmt: skip


def bytes_sent(text: str) -> int | None:
    """The bytes ssh sent, from its closing statistics (None when it printed none)."""
    found = _TRANSFERRED.findall(text)
    return int(found[-1][0]) if found else None


def reason(text: str, returncode: int | None = None) -> str:
    """Why ssh failed, in its words: its last line that is not -v chatter."""
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith(("debug1:", "debug2:", "debug3:", "OpenSSH_"))
        and not line.startswith(("Transferred:", "Bytes per second:", "Authenticated to "))
    ]  # fmt: skip
    if lines:
        return lines[-1]
    return f"ssh exited with code {returncode}" if returncode is not None else "no answer"


def far_end_refused(text: str) -> str | None:
    """What the server said when a forwarded connection could not be opened there."""
    found = _OPEN_FAILED.findall(text)
    return found[-1].strip() if found else None


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1 now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Forward:
    """An open forward: 127.0.0.1:``port`` here reaches the server's port."""

    port: int
    log_file: Path
    sent: int | None = field(default=None)  # bytes ssh sent, once it closed

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""


def _answers(url: str) -> bool:
    """Whether an HTTP server answers ``url`` (any status); False while nothing does."""
    try:
        urllib.request.urlopen(url, timeout=10).close()
        return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _wait_ready(proc: subprocess.Popen, fwd: Forward, probe: str) -> None:
    """Until the far end answers; ssh's own failure, or the far end's refusal (for
    REFUSED_SECONDS: it may be starting), as a TunnelFailed."""
    deadline = time.monotonic() + READY_SECONDS
    refused_since = None
    while not _answers(f"http://127.0.0.1:{fwd.port}{probe}"):
        text = fwd.log_text()
        if proc.poll() is not None:
            raise TunnelFailed(reason(text, proc.returncode))
        refused = far_end_refused(text)
        now = time.monotonic()
        refused_since = refused_since or (now if refused else None)
        if refused and now - (refused_since or now) > REFUSED_SECONDS:
            raise TunnelFailed(f"nothing answers there ({refused})", far_end=True)
        if now > deadline:
            raise TunnelFailed(f"no answer through the tunnel after {READY_SECONDS:.0f}s")
        time.sleep(0.3)


@contextmanager
def forward(host: str, remote_port: int, probe: str = "/") -> Iterator[Forward]:
    """For the block: a forward from a free local port to the server's 127.0.0.1:
    ``remote_port``, ready when an HTTP GET of ``probe`` through it gets any answer.

    ssh is stopped when the block ends, however it ends (an error, Ctrl-C); then
    ``sent`` holds the bytes it sent. Raises TunnelFailed when the forward does not open
    or nothing answers at the far end.
    """
    with tempfile.TemporaryDirectory(prefix="dockyard-ssh-") as tmp:
        for attempt in range(2):  # the port the kernel named may be taken meanwhile
            fwd = Forward(free_port(), Path(tmp) / f"ssh-{attempt}.log")
            argv = forward_command(host, fwd.port, remote_port)
            log.debug("run: %s", shlex.join(argv))
            with fwd.log_file.open("wb") as err:
                try:
                    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
                except FileNotFoundError:
                    raise DockyardError("`ssh` is not installed or not on PATH; install "
                                        "OpenSSH's client and retry") from None  # fmt: skip
            try:
                try:
                    _wait_ready(proc, fwd, probe)
                except TunnelFailed:
                    if attempt == 0 and "already in use" in fwd.log_text():
                        continue
                    raise
                yield fwd
                return
            finally:
                _stop(proc)
                fwd.sent = bytes_sent(fwd.log_text())


def _stop(proc: subprocess.Popen) -> None:
    """End ssh (SIGTERM: it still prints its statistics), killing it if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
