"""The set-up scripts never change what a host already has.

Every `scripts/ensure-*.sh` that installs packages runs (install only, nothing
started) inside a clean Debian 12 container on the real engine, with the
host's own apt mirror configuration and, mounted at run time, its CA bundle.
The installed package lists before and after are compared: nothing installed
is removed or moved to another Debian release, and the only packages that come
from Debian 13 are the engine's own.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import REPO, docker

SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
INSTALLERS = (
    "ensure-engine.sh",
    "ensure-registry.sh",
    "ensure-sshd.sh",
    "ensure-base.sh",
    "ensure-devcontainer-cli.sh",
)
# The engine, buildx and Compose v2 are only new enough in Debian 13.
FROM_TRIXIE = {"containerd", "docker.io", "docker-cli", "docker-buildx", "docker-compose"}
TIMEOUT = 1800  # s for all five: 5-10 min on an idle machine (mostly npm), 17 under heavy load

INSIDE = r"""
set -eu
. /etc/os-release
echo "$VERSION_CODENAME" >/out/codename
# The mirror comes from the host's deb822 file only (mounted), not the image's own list.
rm -f /etc/apt/sources.list
# A throwaway container: dpkg need not fsync every file (minutes saved on npm's ~400 packages).
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/test-unsafe-io
installed() { dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n' | awk '$3 == "ii"'; }
installed >/out/before.tsv
for script in $SCRIPTS; do
  start=$(date +%s)
  DOCKYARD_INSTALL_ONLY=1 /scripts/$script >&2
  echo "$script: $(($(date +%s) - start)) s" >>/out/times.txt
done
installed >/out/after.tsv
cut -f1 /out/before.tsv /out/after.tsv | sort -u | xargs apt-cache madison >/out/madison.txt
for tool in devcontainer docker dockerd docker-registry sshd debootstrap node npm; do
  command -v $tool >>/out/which.txt || true
done
"""


def _packages(path: Path) -> dict[str, str]:
    rows = (line.split("\t") for line in path.read_text().splitlines() if line)
    return {row[0].split(":")[0]: row[1] for row in rows}


def _suites(path: Path) -> dict[tuple[str, str], set[str]]:
    """(package, version) -> the suites that offer it, from `apt-cache madison`."""
    suites: dict[tuple[str, str], set[str]] = {}
    for line in path.read_text().splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2].split()[-1] == "Packages":
            suite = parts[2].split()[1].split("/")[0]
            suites.setdefault((parts[0], parts[1]), set()).add(suite)
    return suites


@pytest.fixture(scope="module")
def run(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SOURCES.is_file(), f"the host has no {SOURCES} to take the Debian mirror from"
    out = tmp_path_factory.mktemp("setup-scripts")
    name = f"dockyard-setup-test-{uuid.uuid4().hex[:8]}"
    command = [
        "docker", "run", "--rm", "--name", name,
        "-v", f"{REPO / 'scripts'}:/scripts:ro",
        "-v", f"{SOURCES}:{SOURCES}:ro",
        "-v", f"{out}:/out",
        "-e", f"SCRIPTS={' '.join(INSTALLERS)}",
    ]  # fmt: skip
    if CA_BUNDLE.is_file():
        # The proxy's CA, mounted (never baked) where npm and curl look for it.
        command += [
            "-v", f"{CA_BUNDLE}:/run/host-ca.crt:ro",
            "-e", "NODE_EXTRA_CA_CERTS=/run/host-ca.crt",
            "-e", "SSL_CERT_FILE=/run/host-ca.crt",
        ]  # fmt: skip
    command += [base_image, "sh", "-c", INSIDE]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        docker("rm", "-f", name, check=False)
        pytest.fail(f"the set-up scripts did not finish in {TIMEOUT} s", pytrace=False)
    assert proc.returncode == 0, f"set-up scripts failed:\n{proc.stderr[-6000:]}"
    return out


def test_the_container_is_a_clean_debian_12(run: Path) -> None:
    assert (run / "codename").read_text().strip() == "bookworm"
    assert "docker-ce" not in _packages(run / "before.tsv")


def test_every_installer_installs_what_it_promises(run: Path) -> None:
    found = {Path(line).name for line in (run / "which.txt").read_text().split()}
    assert found >= {
        "devcontainer", "docker", "dockerd", "docker-registry", "sshd", "debootstrap", "npm",
    }  # fmt: skip


def test_nothing_installed_is_removed(run: Path) -> None:
    before, after = _packages(run / "before.tsv"), _packages(run / "after.tsv")
    assert sorted(set(before) - set(after)) == []


def test_no_installed_package_moves_to_another_release(run: Path) -> None:
    before, after = _packages(run / "before.tsv"), _packages(run / "after.tsv")
    suites = _suites(run / "madison.txt")
    moved = {
        package: (version, after[package], sorted(suites.get((package, after[package]), ())))
        for package, version in before.items()
        if after.get(package, version) != version
        and not any(s.startswith("bookworm") for s in suites.get((package, after[package]), ()))
    }
    assert moved == {}


def test_only_the_engine_comes_from_debian_13(run: Path) -> None:
    after = _packages(run / "after.tsv")
    suites = _suites(run / "madison.txt")
    from_bookworm = {
        package
        for package, version in after.items()
        if any(s.startswith("bookworm") for s in suites.get((package, version), ()))
    }
    from_trixie = {
        package
        for package, version in after.items()
        if "trixie" in suites.get((package, version), ())
    }
    assert from_trixie - from_bookworm == FROM_TRIXIE
    # Recommends stay out: nothing the engine does not need.
    assert "needrestart" not in after
    assert "git" not in after
