#!/usr/bin/env bash
# Make sure a Docker engine with BuildKit (buildx) and Compose v2 answers.
#
# Does nothing when `docker info`, `docker buildx version` and
# `docker compose version` already work. Otherwise, on Debian as root, it
# installs the engine, buildx and compose from Debian's next release
# (trixie, pinned low so nothing else upgrades) using the machine's own
# apt mirror, then starts dockerd in the background. Anywhere else it says
# what to install and exits 2.
#
# Installed packages (and nothing else; `--no-install-recommends`):
#   from trixie: docker.io, docker-cli, docker-buildx, docker-compose (+ containerd)
#   from the host's release: their other dependencies (runc, tini, iptables...),
#   and apparmor when the kernel enforces AppArmor (dockerd then needs it).
# DOCKYARD_INSTALL_ONLY=1 installs the packages and starts nothing.
set -euo pipefail

log() { printf 'ensure-engine: %s\n' "$*" >&2; }

engine_ok() {
  docker info >/dev/null 2>&1 &&
    docker buildx version >/dev/null 2>&1 &&
    docker compose version >/dev/null 2>&1
}

if [ "${DOCKYARD_INSTALL_ONLY:-}" != 1 ] && engine_ok; then
  exit 0
fi

have_pkgs() {
  command -v dockerd >/dev/null 2>&1 &&
    docker buildx version >/dev/null 2>&1 &&
    docker compose version >/dev/null 2>&1
}

if ! have_pkgs; then
  if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null; then
    log "no Docker engine with buildx and Compose v2 answers, and this is not Debian as root."
    log "Install Docker Engine >= 24 with the buildx and compose plugins (https://docs.docker.com/engine/install/),"
    log "start it, and run this again."
    exit 2
  fi
  src=/etc/apt/sources.list.d/debian.sources
  if [ ! -f /etc/apt/sources.list.d/dockyard-trixie.sources ]; then
    if [ ! -f "$src" ]; then
      log "no $src to take the Debian mirror from; install docker.io, docker-buildx and docker-compose by hand."
      exit 2
    fi
    # Same mirror and keyring as the machine's first Debian source, suite trixie.
    uri=$(awk '/^URIs:/ {print $2; exit}' "$src")
    key=$(awk '/^Signed-By:/ {print $2; exit}' "$src")
    log "adding a low-priority trixie apt source from $src"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$key" \
      >/etc/apt/sources.list.d/dockyard-trixie.sources
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' \
      >/etc/apt/preferences.d/dockyard-trixie
  fi
  log "installing docker.io, docker-buildx, docker-compose from trixie (about 30 s)"
  apt-get update -qq >/dev/null
  # The release is chosen per package (`name/trixie`), never with `-t trixie`:
  # `-t` makes trixie the target of every dependency the command touches and
  # moves the host's own packages (python3, libc6, systemd...) to Debian 13.
  # Per package, only these five and containerd come from trixie; every other
  # dependency comes from the host's release and nothing installed changes.
  # Recommends (needrestart, git, xz-utils, dbus-user-session...) are not needed
  # by the engine; apparmor is, but only where the kernel enforces AppArmor.
  extra=""
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
    extra=apparmor
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove \
    docker.io/trixie docker-cli/trixie docker-buildx/trixie docker-compose/trixie $extra \
    >/dev/null
  # The machine may carry its own newer client earlier on PATH; the engine's
  # packages put the plugins where that client looks too.
fi
if [ "${DOCKYARD_INSTALL_ONLY:-}" = 1 ]; then
  exit 0
fi

if ! docker info >/dev/null 2>&1; then
  # The containerd image store is what makes `rewrite-timestamp` reproducible
  # builds (dockyard verify) and OCI exports work; an existing config is kept.
  if [ ! -f /etc/docker/daemon.json ]; then
    mkdir -p /etc/docker
    printf '{"features": {"containerd-snapshotter": true}}\n' >/etc/docker/daemon.json
  fi
  mkdir -p /var/log
  log "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
fi

if ! engine_ok; then
  log "the Docker engine did not come up; see /var/log/dockerd.log"
  exit 2
fi
log "engine ready: $(docker version --format 'server {{.Server.Version}}') $(docker buildx version | awk '{print "buildx", $2}') $(docker compose version --short | sed 's/^/compose /')"
