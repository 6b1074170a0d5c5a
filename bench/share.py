"""The colleague's wait: `dockyard share scripts --save`, then from `docker load` of the
tarball until the printed `docker run` has Jupyter answering (dockyard only).

The author's build and save are not timed. Before the load every tag of the run is
removed, so the engine holds none of the run's own layers as an image (the base
image's layers stay: other images on this shared engine use them; a colleague who has
no copy of the base unpacks it too, inside the same `docker load`).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench import engine
from bench.engine import BenchError, quiet, timed

APP = "scripts"
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)")
ANSWER_TIMEOUT = 300.0


COLLEAGUE = 4242  # the colleague's uid when the bench runs as root


def printed(text: str, after: str) -> str:
    """The command on the line after ``after`` in `dockyard share`'s instructions."""
    lines = text.splitlines()
    for index, line in enumerate(lines[:-1]):
        if line.strip() == after:
            return lines[index + 1].strip()
    raise BenchError(f"`dockyard share` printed no line after {after!r}:\n{text}")


def wait_jupyter(proc: subprocess.Popen, port: int) -> None:
    """Until Jupyter's /api/status answers 200 with the token it printed."""
    assert proc.stdout is not None
    stream, lines = proc.stdout, queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in stream], daemon=True).start()
    deadline = time.monotonic() + ANSWER_TIMEOUT
    token, seen = None, []
    while token is None:
        if time.monotonic() > deadline:
            raise BenchError("Jupyter printed no link in time:\n" + "".join(seen[-20:]))
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if proc.poll() is not None:
                raise BenchError(
                    "the share image's docker run exited:\n" + "".join(seen[-20:])
                ) from None
            continue
        seen.append(line)
        found = LINK.search(line)
        if found and int(found.group(1)) == port:
            token = found.group(2)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
    )
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # loopback only
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise BenchError(f"Jupyter did not answer on 127.0.0.1:{port} in time")


def _as_colleague(folder: Path) -> dict:
    """Run the printed command as a colleague would: not root (Jupyter refuses root, and
    `--user "$(id -u):$(id -g)"` must work for a uid no image knows), in the docker group."""
    if os.geteuid() != 0:
        return {}
    os.chown(folder, COLLEAGUE, COLLEAGUE)
    socket_gid = os.stat("/var/run/docker.sock").st_gid
    return {"user": COLLEAGUE, "group": COLLEAGUE, "extra_groups": [socket_gid]}


def share_scenario(dockyard: str, root: Path, env: dict[str, str], name: str, port: int) -> dict:
    """The tarball's bytes, and seconds: docker load, then docker run until Jupyter answers."""
    archive = root.parent / f"{name}-{APP}-share.tar.gz"
    text = engine.run(
        [dockyard, "share", APP, "-o", archive, "--port", str(port)], cwd=root, env=env
    )
    size = archive.stat().st_size
    engine.remove_images(engine.images_named(f"{name}/*"))
    folder = root.parent / f"{name}-colleague"  # their empty folder, mounted at /notebooks
    folder.mkdir(exist_ok=True)
    load = printed(text, "1. Get the image:")
    run = printed(text, "Linux, macOS (bash, zsh):")
    if load != f"docker load -i {archive.name}":
        raise BenchError(f"unexpected load command: {load}")
    started = time.perf_counter()
    loaded = timed(lambda: engine.run(["docker", "load", "-i", archive]))
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {run}"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **_as_colleague(folder),
    )
    try:
        wait_jupyter(proc, port)
        answered = time.perf_counter() - started
    finally:
        proc.kill()
        proc.wait()
        # the colleague's container (killing `docker run` leaves it): by what it publishes,
        # since the printed command names the image with the registry in front
        left = quiet("ps", "-aq", "--filter", f"publish={port}").stdout.split()
        if left:
            quiet("rm", "-f", *left)
        archive.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    return {"share_tarball": size, "share_load": loaded, "share_answer": answered}
