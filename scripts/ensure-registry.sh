#!/usr/bin/env bash
# Make sure a real container registry (Debian's docker-registry, distribution
# 2.8) answers on loopback, for push/pull/deploy tests and benchmarks.
#
# usage: scripts/ensure-registry.sh [ADDR]   (default 127.0.0.1:5000)
# Prints the address on stdout. Data lives in $REGISTRY_ROOT
# (default /var/tmp/dockyard-registry-<port>); the log next to it.
# Installs Debian's docker-registry (host release, no recommends) when absent;
# DOCKYARD_INSTALL_ONLY=1 installs it and starts nothing.
set -euo pipefail

addr=${1:-127.0.0.1:5000}
port=${addr##*:}
root=${REGISTRY_ROOT:-/var/tmp/dockyard-registry-$port}
log() { printf 'ensure-registry: %s\n' "$*" >&2; }

# A bare port, a scheme or a port out of range would only time out after ten seconds.
if ! [[ $addr =~ ^[A-Za-z0-9.-]+:[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  log "'$addr' is not HOST:PORT (a port 1-65535), e.g. 127.0.0.1:5000"
  exit 2
fi

answers() { curl -fsS --max-time 2 "http://$addr/v2/" >/dev/null 2>&1; }

if [ "${DOCKYARD_INSTALL_ONLY:-}" != 1 ] && answers; then
  echo "$addr"; exit 0
fi
if ! command -v docker-registry >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "no registry at $addr and docker-registry is not installed; install Debian's docker-registry"
    exit 2
  fi
  log "installing Debian's docker-registry"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove \
    docker-registry >/dev/null
  # The package starts a service on :5000 where an init system runs; we run our own.
fi
if [ "${DOCKYARD_INSTALL_ONLY:-}" = 1 ]; then
  exit 0
fi
mkdir -p "$root/data"
cat >"$root/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $root/data
  delete:
    enabled: true
http:
  addr: $addr
YAML
log "starting a registry on $addr (data: $root/data)"
nohup docker-registry serve "$root/config.yml" >"$root/registry.log" 2>&1 &
for _ in $(seq 1 50); do
  answers && { echo "$addr"; exit 0; }
  sleep 0.2
done
log "the registry did not answer on $addr; see $root/registry.log"
exit 2
