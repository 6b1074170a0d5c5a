"""The engine's own HTTP API on its local socket, for the few questions a build asks on
every run (does this image exist, what is it; one more name for it; which version are
you). The docker CLI answers the same questions, but each answer is a process that
costs 0.04-0.06 s here, several per `dockyard build`; over the socket they take a few
milliseconds. (The Docker SDK for Python would do this too, but importing it and
requests costs more than the processes it saves.)

Only where the CLI would talk to that same socket: DOCKER_HOST unset or ``unix://``, and
no docker context other than the default (DOCKER_CONTEXT, or the CLI config's
currentContext). Anywhere else, or when the socket does not answer as expected, each
function returns None (or False) and the caller runs the CLI, which then gives the
error a user knows. The answers are the API's JSON, which is what the CLI prints.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
from pathlib import Path
from urllib.parse import quote, urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT = 60.0

log = logging.getLogger("dockyard.api")


def cli_config() -> tuple[Path, dict]:
    """The docker CLI's config folder ($DOCKER_CONFIG, else ~/.docker) and its config.json
    ({} when there is none, or one the CLI would complain about itself)."""
    folder = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    return folder, config if isinstance(config, dict) else {}


def local_socket() -> str | None:
    """The unix socket the docker CLI would use now, or None when it would use another
    kind of endpoint (tcp, ssh, a context)."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        return host[len("unix://") :] if host.startswith("unix://") else None
    context = os.environ.get("DOCKER_CONTEXT") or cli_config()[1].get("currentContext")
    return DEFAULT_SOCKET if context in (None, "", "default") else None


class _Connection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=TIMEOUT)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _requests(calls: list[tuple[str, str]]) -> list[tuple[int, bytes]] | None:
    """(status, body) of each (method, path) in turn on one connection; None when there
    is no local socket or it does not answer (the caller asks the CLI instead)."""
    path = local_socket()
    if path is None:
        return None
    connection = _Connection(path)
    answers = []
    try:
        for method, url in calls:
            connection.request(method, url)
            response = connection.getresponse()
            answers.append((response.status, response.read()))
            log.debug("api: %s %s -> %s (unix://%s)", method, url, response.status, path)
    except (OSError, http.client.HTTPException) as error:
        log.debug("api: unix://%s gave no answer (%s); asking the docker CLI", path, error)
        return None
    finally:
        connection.close()
    return answers


def _image_path(ref: str) -> str:
    return "/images/" + quote(ref, safe="/:@")


def inspect_images(refs: list[str]) -> list[dict] | None:
    """The inspect JSON of each of ``refs`` the engine has, in order (those it lacks left
    out); None when the API could not be asked."""
    answers = _requests([("GET", _image_path(ref) + "/json") for ref in refs])
    if answers is None or any(status not in (200, 404) for status, _ in answers):
        return None
    try:
        return [json.loads(body) for status, body in answers if status == 200]
    except ValueError:
        return None


def tag(image: str, name: str) -> bool:
    """Give ``image`` the name ``name`` (repository[:tag]); False when the API could not
    be asked or refused (the CLI then says why)."""
    last = name.rsplit("/", 1)[-1]
    repository, tag_ = (name.rsplit(":", 1)) if ":" in last else (name, "latest")
    query = urlencode({"repo": repository, "tag": tag_})
    answers = _requests([("POST", f"{_image_path(image)}/tag?{query}")])
    return answers is not None and answers[0][0] == 201


def engine_version() -> str | None:
    """The engine's version (what `docker version --format {{.Server.Version}}` prints), or
    None when the API could not be asked."""
    answers = _requests([("GET", "/version")])
    if answers is None or answers[0][0] != 200:
        return None
    try:
        version = json.loads(answers[0][1]).get("Version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, str) and version else None
