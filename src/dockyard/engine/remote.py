"""A deploy target's engine, reached like the docker CLI reaches it: DOCKER_HOST or a
Docker context. An ``ssh://user@host`` DOCKER_HOST goes through one ssh connection for
the whole command (engine/ssh.py), or, where that cannot work, through the docker CLI's
own (``docker system dial-stdio`` over a new ssh connection per command).

Files on the server (the compose file, env files, the release state) are written by a
short-lived helper container with the target directory bind-mounted, so dockyard needs
nothing on the server but the engine, and the same code serves ssh, tcp and contexts.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.engine import ssh
from dockyard.engine.models import Container, Service
from dockyard.engine.run import run, why_failed
from dockyard.errors import DockyardError
from dockyard.names import APP_UID

log = logging.getLogger("dockyard.run")

HELPER_ROOT = "/target"
HELPER_MOUNTS = "/mnt/bind"

# Runs as root inside the helper: write files, own writable bind mounts, read files back.
_HELPER = """
import json, os, sys
req = json.load(sys.stdin)
out = {}
for rel in req["read"]:
    try:
        with open(os.path.join("/target", rel)) as handle:
            out[rel] = handle.read()
    except FileNotFoundError:
        out[rel] = None
for rel, (text, mode) in req["write"].items():
    path = os.path.join("/target", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".partial", "w") as handle:
        handle.write(text)
    os.chmod(path + ".partial", int(mode, 8))
    os.replace(path + ".partial", path)
for index, own in enumerate(req["own"]):
    if own:
        os.chown(f"/mnt/bind/{index}", req["uid"], req["uid"])
print(json.dumps(out))
"""


# docker's management commands: their first argument names the command too
_MANAGEMENT = {"container", "image", "network", "volume", "service", "stack", "system", "compose"}


def _command(args: Sequence[str]) -> str:
    """The docker command ``args`` run, for messages: ``ps``, ``container inspect``."""
    if len(args) > 1 and args[0] in _MANAGEMENT and not args[1].startswith("-"):
        return f"{args[0]} {args[1]}"
    return args[0]


@dataclass(frozen=True)
class TargetEngine:
    """The engine of one deploy target."""

    name: str  # the target's name, for messages
    host: str | None  # DOCKER_HOST, e.g. ssh://root@server
    context: str | None  # or a docker context

    @property
    def address(self) -> str:
        if self.host:
            return self.host
        if self.context:
            return f"docker context {self.context}"
        return "the local engine"

    @property
    def env(self) -> dict[str, str]:
        if self.host:
            return {"DOCKER_HOST": self.host, "DOCKER_CONTEXT": ""}
        if self.context:
            return {"DOCKER_CONTEXT": self.context}
        return {}

    def _endpoint(self, args: Sequence[str]) -> tuple[dict[str, str], ssh.Tunnel | None]:
        """The environment the docker command ``args`` reaches the engine with now, and
        the ssh tunnel it goes through (None: the docker CLI connects by itself)."""
        if self.host and self.host.startswith("ssh://"):
            host, tunnel = ssh.docker_host(self.host, f"docker {_command(args)}")
            return {"DOCKER_HOST": host, "DOCKER_CONTEXT": ""}, tunnel
        return self.env, None

    def docker(
        self,
        args: Sequence[str],
        *,
        check: bool = True,
        capture: bool = True,
        input: str | None = None,
        timeout: float | None = 300,
        what: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a docker command on the target's engine; LostConnection when the ssh
        connection to it dropped meanwhile (whatever ``check`` says: the command's
        answer then says nothing about the server)."""
        what = what or f"docker {_command(args)} on {self.address}"
        env, tunnel = self._endpoint(args)
        try:
            proc = run(
                ["docker", *args],
                env=env,
                check=False,
                capture=capture,
                input=input,
                timeout=timeout,
                what=what,
            )
        except DockyardError:  # no answer in time
            if tunnel is not None and not tunnel.alive():
                ssh.lost(self.host or "", tunnel, f"during `docker {_command(args)}`")
            raise
        if proc.returncode != 0:
            self._check_connection(tunnel, proc, args)
            if check:
                raise DockyardError(f"{what} failed: {why_failed(proc)}")
        elif self.host and self.host.startswith("ssh://"):
            ssh.answered(self.host)
        return proc

    def stream(self, args: Sequence[str]) -> subprocess.Popen[bytes]:
        """A long-running docker command (``docker events``) whose output is read as it
        comes; the caller ends it."""
        env, _ = self._endpoint(args)
        argv = ["docker", *args]
        log.debug("run: %s (streamed)", shlex.join(argv))
        return subprocess.Popen(
            argv,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def _check_connection(
        self,
        tunnel: ssh.Tunnel | None,
        proc: subprocess.CompletedProcess[str],
        args: Sequence[str],
    ) -> None:
        """LostConnection when a failed command's ssh connection had dropped."""
        if not (self.host and self.host.startswith("ssh://")):
            return
        during = f"during `docker {_command(args)}`"
        if tunnel is not None and not tunnel.alive():
            ssh.lost(self.host, tunnel, during)
        stderr = proc.stderr or ""
        if tunnel is None and ssh.dropped(self.host, stderr):
            reason = stderr.rsplit("stderr=", 1)[-1].strip().splitlines()[-1:] or [""]
            raise ssh.LostConnection(
                f"lost the ssh connection to {self.host} ({during}: {reason[0]})"
            )

    def require(self) -> str:
        """The server engine's version; one clear line when it cannot be reached."""
        try:
            proc = self.docker(
                ["version", "--format", "{{.Server.Version}}"], check=False, timeout=60
            )
        except DockyardError as exc:
            raise DockyardError(f"deploy target '{self.name}': {exc}") from None
        if proc.returncode != 0 or not proc.stdout.strip():
            hint = (
                f"check that `DOCKER_HOST={self.host} docker info` works (ssh key, host, "
                "port, and docker on the server)"
                if self.host and self.host.startswith("ssh://")
                else "check that the engine runs and answers there"
            )
            raise DockyardError(
                f"deploy target '{self.name}': cannot reach the engine at {self.address} "
                f"({why_failed(proc)}); {hint}"
            )
        return proc.stdout.strip()

    def compose(
        self,
        project: str,
        args: Sequence[str],
        *,
        file: Path | None = None,
        check: bool = False,
        capture: bool = True,
        timeout: float | None = 600,
    ) -> subprocess.CompletedProcess[str]:
        argv = ["compose", "--ansi", "never", "-p", project]
        if file is not None:
            argv += ["-f", str(file)]
        return self.docker(
            [*argv, *args],
            check=check,
            capture=capture,
            timeout=timeout,
            what=f"docker compose {args[0]} on {self.address}",
        )

    def _inspect(self, ids: list[str], kind: str) -> list[dict]:
        if not ids:
            return []
        proc = self.docker([kind, "inspect", *ids], check=False, timeout=60)
        return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else []

    def inspect(self, ids: list[str]) -> list[Container]:
        """The containers ``ids`` names (none when one of them is gone)."""
        return [Container.model_validate(raw) for raw in self._inspect(ids, "container")]

    def services(self, ids: list[str]) -> list[Service]:
        """The swarm services ``ids`` names (none when one of them is gone)."""
        return [Service.model_validate(raw) for raw in self._inspect(ids, "service")]

    def containers(self, label: str) -> list[Container]:
        """Inspected containers (running or not) carrying ``label`` (key=value)."""
        proc = self.docker(["ps", "-aq", "--filter", f"label={label}"], timeout=60)
        return self.inspect(proc.stdout.split())

    def files(
        self,
        image: str,
        directory: str,
        *,
        read: Sequence[str] = (),
        write: dict[str, tuple[str, str]] | None = None,
        binds: Sequence[tuple[str, bool]] = (),
    ) -> dict[str, str | None]:
        """One helper container: read files of ``directory``, write others (text, octal
        mode), create bind-mount sources and give the writable ones to APP_UID."""
        mounts: list[str] = ["-v", f"{directory}:{HELPER_ROOT}"]
        for index, (source, _) in enumerate(binds):
            mounts += ["-v", f"{source}:{HELPER_MOUNTS}/{index}"]
        request = {
            "read": list(read),
            "write": write or {},
            "own": [own for _, own in binds],
            "uid": APP_UID,
        }
        proc = self.docker(
            [
                "run", "--rm", "-i", "--pull", "never", "--network", "none", "--user", "0:0",
                "--no-healthcheck", "--entrypoint", "/opt/venv/bin/python", *mounts,
                image, "-c", _HELPER,
            ],
            check=False,
            input=json.dumps(request),
            timeout=180,
        )  # fmt: skip
        if proc.returncode != 0:
            raise DockyardError(
                f"could not write {directory} on {self.address} with a helper container of "
                f"{image} ({why_failed(proc)})"
            )
        return json.loads(proc.stdout.strip().splitlines()[-1])
