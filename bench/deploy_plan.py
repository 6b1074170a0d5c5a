"""What the deploy scenarios run, as text and numbers (pure): the baselines' server
compose file, dockyard's deploy targets, and the load loop's tally.

The server runs the example's parser and api (the api reads the parser's database),
the same for every variant; the api's port is published on loopback only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

# The example's settings for the two apps (examples/lol_data/pyproject.toml).
PARSER_ENV = {
    "DATABASE_URL": "sqlite:////data/lol.db",
    "INCOMING_DIR": "/incoming",
    "LOG_DIR": "/app/logs",
}
API_ENV = {"DATABASE_URL": "sqlite:////data/lol.db"}
DEPLOY_APPS = ("parser", "api")


def baseline_compose(images: dict[str, str], port: int, parser_container: str) -> str:
    """The server's docker-compose file for a baseline, as the seed writes one.

    The seed's server file names its container (``container_name``, which its deploy
    procedure stops by name) and bind-mounts ``./logs``; no healthcheck, no
    ``depends_on`` condition (neither baseline image declares a HEALTHCHECK).
    """
    services = {
        "parser": {
            "image": images["parser"],
            "container_name": parser_container,
            "environment": PARSER_ENV,
            "volumes": ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"],
        },
        "api": {
            "image": images["api"],
            "environment": API_ENV,
            "volumes": ["db:/data"],
            "ports": [f"127.0.0.1:{port}:8000"],
            "depends_on": ["parser"],
        },
    }
    return yaml.safe_dump({"services": services, "volumes": {"db": {}}}, sort_keys=False)


def dockyard_targets(directory: str, compose_port: int, swarm_port: int) -> str:
    """Two deploy targets on the local engine (no ``host``): compose and a swarm stack.

    Swarm uses ``routing = "gateway"`` (this kind of machine has no IPVS for the
    routing mesh) and two api replicas, as the repository's swarm test does.
    """
    parser = '\nvolumes = ["db:/data", "./incoming:/incoming:ro", "./logs:/app/logs"]\n'
    return (
        f'\n[tool.dockyard.deploy.single]\napps = ["parser", "api"]\n'
        f'directory = "{directory}/single"\nhealth-timeout = "120s"\n'
        f"\n[tool.dockyard.deploy.single.app.parser]{parser}"
        f'\n[tool.dockyard.deploy.single.app.api]\nports = ["127.0.0.1:{compose_port}:8000"]\n'
        f'\n[tool.dockyard.deploy.swarm]\nkind = "swarm"\nrouting = "gateway"\n'
        f'apps = ["parser", "api"]\ndirectory = "{directory}/swarm"\nhealth-timeout = "120s"\n'
        f"\n[tool.dockyard.deploy.swarm.app.parser]{parser}"
        f'\n[tool.dockyard.deploy.swarm.app.api]\nports = ["127.0.0.1:{swarm_port}:8000"]\n'
        "replicas = 2\n"
    )


def set_registry(manifest: str, name: str, registry: str) -> str:
    """The manifest with [tool.dockyard]'s name replaced and its registry set."""
    head, section, tail = manifest.partition("[tool.dockyard]\n")
    tail, n = re.subn(
        r'(?m)^name = "[^"]*"', f'name = "{name}"\nregistry = "{registry}"', tail, count=1
    )
    if not section or n != 1:
        raise ValueError("no [tool.dockyard] name line to rename")
    return head + section + tail


@dataclass(frozen=True)
class Outcome:
    """One deploy procedure: its exit code and, in seconds from its start, when it was
    done (healthy, or returned for a broken release), when the new images were on the
    server and when the new release served (None: never)."""

    code: int
    seconds: float
    images: float | None
    serving: float | None

    def serving_after_images(self) -> float | None:
        """Seconds from the images being on the server to the new release serving."""
        if self.serving is None:
            return None
        return self.serving - (self.images or 0.0)


@dataclass
class Tally:
    """Requests a load loop sent and how many failed (no HTTP 200 within the timeout)."""

    requests: int = 0
    failures: int = 0
    first_failure: float | None = None  # seconds after the loop started
    last_failure: float | None = None
    first_success: float | None = None

    def add(self, ok: bool, at: float) -> None:
        """One request sent ``at`` seconds after the loop started (clients running side
        by side may add them slightly out of order)."""
        self.requests += 1
        if ok:
            self.first_success = at if self.first_success is None else min(self.first_success, at)
            return
        self.failures += 1
        self.first_failure = at if self.first_failure is None else min(self.first_failure, at)
        self.last_failure = at if self.last_failure is None else max(self.last_failure, at)

    def outage(self) -> float:
        """Seconds from the first to the last failed request (0 when none failed)."""
        if self.first_failure is None or self.last_failure is None:
            return 0.0
        return self.last_failure - self.first_failure


def failed_cell(failed: float | None, total: float | None, outage: float | None = None) -> str:
    """``12 of 340`` (failed of all requests) ``(down 1.5 s)`` (first to last failure)."""
    if failed is None or total is None:
        return "n/a"
    down = f" (down {outage:.1f} s)" if outage else ""
    return f"{failed:.0f} of {total:.0f}{down}"


def both(compose: str, swarm: str | None) -> str:
    """A dockyard cell: ``compose X / swarm Y`` (swarm left out when not measured)."""
    return f"compose {compose}" + ("" if swarm in (None, "n/a") else f" / swarm {swarm}")
