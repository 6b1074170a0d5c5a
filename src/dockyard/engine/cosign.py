"""cosign: key pairs, signatures and attestations of images in a registry.

Signing is with a key pair the user holds, never keyless (that needs the internet),
and nothing goes to a transparency log (`--tlog-upload=false`); verification then
skips the log too. The key's password reaches cosign only through its environment
(COSIGN_PASSWORD), never its command line, and cosign's output is never echoed
whole. Loopback and other plain-HTTP registries need cosign's insecure-registry
flags; they are added only for those.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from dockyard.engine.images import plain_http
from dockyard.engine.run import last_line, run
from dockyard.errors import DockyardError

PASSWORD_ENV = "COSIGN_PASSWORD"
INSTALL = (
    "install cosign (Debian 13: `apt-get install cosign`; on Debian 12 as root: "
    "scripts/ensure-cosign.sh), then retry"
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    detail: str  # cosign's own reason when not ok


def require() -> str:
    """cosign's version; a clear error when it is not installed."""
    try:
        proc = run(["cosign", "version", "--json"], check=False, timeout=30)
    except DockyardError:
        raise DockyardError(f"cosign is not installed or not on PATH; {INSTALL}") from None
    if proc.returncode != 0:
        raise DockyardError(f"cosign does not run ({_last(proc)}); {INSTALL}")
    try:
        return json.loads(proc.stdout).get("gitVersion", "unknown")
    except json.JSONDecodeError:
        return "unknown"


def _insecure(reference: str) -> list[str]:
    """cosign's flags for a registry that speaks plain HTTP (loopback, a lab host)."""
    if plain_http(reference.split("/", 1)[0]):
        return ["--allow-insecure-registry", "--allow-http-registry"]
    return []


def _last(proc) -> str:
    """cosign's reason: run.last_line of its output without its WARNING lines, its
    "error during command execution" line and its "Error: " prefix."""
    lines = [
        x.removeprefix("Error: ")
        for x in (proc.stderr or proc.stdout or "").splitlines()
        if not x.startswith(("WARNING", "error during command execution"))
    ]
    return last_line("\n".join(lines), proc.returncode)


def _password_env(password: str | None) -> dict[str, str]:
    return {PASSWORD_ENV: password if password is not None else os.environ.get(PASSWORD_ENV, "")}


def generate_key_pair(prefix: Path, password: str) -> None:
    """``prefix``.key (encrypted with ``password``) and ``prefix``.pub."""
    run(
        ["cosign", "generate-key-pair", "--output-key-prefix", prefix.name],
        cwd=prefix.parent,
        env={PASSWORD_ENV: password},
        timeout=60,
        what="cosign generate-key-pair",
    )


def sign(reference: str, key: Path, password: str | None) -> None:
    """Sign the image ``reference`` (name@digest) and push the signature next to it."""
    proc = run(
        ["cosign", "sign", "--key", str(key), "--tlog-upload=false", "--yes",
         *_insecure(reference), reference],
        env=_password_env(password),
        check=False,
        timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        raise DockyardError(f"cosign sign {reference} failed: {_last(proc)}")


def attest(reference: str, key: Path, password: str | None, predicate: Path, kind: str) -> None:
    """Sign ``predicate`` as an in-toto attestation of ``kind`` about ``reference``."""
    proc = run(
        ["cosign", "attest", "--key", str(key), "--type", kind, "--predicate", str(predicate),
         "--tlog-upload=false", "--yes", *_insecure(reference), reference],
        env=_password_env(password),
        check=False,
        timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        raise DockyardError(f"cosign attest --type {kind} {reference} failed: {_last(proc)}")


def verify(reference: str, public_key: Path) -> Verdict:
    """Is the image ``reference`` (name@digest) signed by the key ``public_key``?"""
    proc = run(
        ["cosign", "verify", "--key", str(public_key), "--insecure-ignore-tlog=true",
         "--output", "json", *_insecure(reference), reference],
        check=False,
        timeout=120,
    )  # fmt: skip
    return Verdict(proc.returncode == 0, "" if proc.returncode == 0 else _last(proc))


def verify_attestation(reference: str, public_key: Path, kind: str) -> list[dict]:
    """The in-toto statements of ``kind`` about ``reference`` signed by ``public_key``."""
    proc = run(
        ["cosign", "verify-attestation", "--key", str(public_key), "--type", kind,
         "--insecure-ignore-tlog=true", *_insecure(reference), reference],
        check=False,
        timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        raise DockyardError(
            f"no {kind} attestation of {reference} signed by {public_key}: {_last(proc)}"
        )
    statements = []
    for line in proc.stdout.splitlines():
        if line.strip():
            envelope = json.loads(line)
            statements.append(json.loads(base64.b64decode(envelope["payload"])))
    return statements
