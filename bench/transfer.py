"""Bytes a `transfer = "ssh"` deploy sends after a shared-library edit, vs `dockyard save`.

dockyard's own transfer code (dockyard.deploy.transfer) sends the run's images to a
server registry of the bench's own (its container, volume and loopback port), over the
test sshd (scripts/ensure-sshd.sh, 127.0.0.1:18022: "the server" is this machine's
engine reached through OpenSSH): first version A (the first build: whole images, as a
first deploy), then version B (after the shared-library edit: what a deploy of it
sends). Each figure is what the registry's blob store gained (exact), and ssh's own
count of the bytes it sent. The comparison is `dockyard save`'s archive of the same B
images (docker save | gzip: whole images, every time). Parser + api, the apps a deploy
target of the example runs. Everything it creates is removed in a ``finally``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bench.engine import BenchError, say
from bench.variants import REPO

APPS = ("parser", "api")
SSH_PORT = 18022
HOST = f"ssh://root@127.0.0.1:{SSH_PORT}"


def _ssh_path() -> str:
    """PATH with the test sshd's `ssh` wrapper (its key, its known_hosts) first."""
    proc = subprocess.run(
        [str(REPO / "scripts" / "ensure-sshd.sh"), str(SSH_PORT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise BenchError(f"scripts/ensure-sshd.sh failed: {proc.stderr.strip()}")
    return f"{proc.stdout.strip()}/bin:{os.environ['PATH']}"


def transfer_scenario(
    before: Mapping[str, str], after: Mapping[str, str], base: str, nonce: str, port: int
) -> dict:
    """Send ``before`` then ``after`` (app -> local image) for parser + api; the figures:
    transfer_first / transfer_lib_edit (blob bytes), *_ssh (ssh's count), save_lib_edit."""
    from dockyard.deploy import transfer
    from dockyard.engine import images, serverregistry
    from dockyard.engine.remote import TargetEngine
    from dockyard.errors import DockyardError

    apps = [app for app in APPS if app in before and app in after]
    if len(apps) != len(APPS):
        say("transfer scenario skipped (it needs the apps parser and api)")
        return {}
    server = TargetEngine("bench", HOST, None)
    name = f"bench-transfer-{nonce}"
    saved_path = os.environ["PATH"]
    os.environ["PATH"] = _ssh_path()
    rec: dict = {}
    try:
        name, port = transfer.ensure_registry_on(server, base, "bench", name, port)
        for key, refs in (("transfer_first", before), ("transfer_lib_edit", after)):
            local = [transfer.Local(app, refs[app], key, f"bench/{app}") for app in apps]
            sent = transfer.send(server, name, port, local, "bench")
            rec[key], rec[f"{key}_ssh"] = sent.gained, sent.through_ssh
        with tempfile.TemporaryDirectory(prefix="bench-save-") as tmp:
            rec["save_lib_edit"] = images.save([after[a] for a in apps], Path(tmp) / "x.tar.gz")
    except DockyardError as error:
        raise BenchError(f"transfer scenario: {error}") from None
    finally:
        serverregistry.remove(server, name)
        os.environ["PATH"] = saved_path
    return rec
