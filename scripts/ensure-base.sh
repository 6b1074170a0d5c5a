#!/usr/bin/env bash
# Print a Python base image reference this engine has, getting one if needed.
#
# DOCKYARD_BASE_IMAGE (default: the example's python:3.11-slim-bookworm) is used
# when the engine has it or can pull it. With no registry reachable, a base is
# built once from the machine's Debian mirror with `dockyard base bootstrap`
# and reused afterwards. Progress goes to stderr; stdout is only the reference.
# Installs Debian's debootstrap (host release, no recommends) when it needs it;
# DOCKYARD_INSTALL_ONLY=1 installs it and builds nothing.
set -euo pipefail

want=${DOCKYARD_BASE_IMAGE:-python:3.11-slim-bookworm}
fallback=dockyard/python:3.11-bookworm
dockyard=${DOCKYARD:-dockyard}

install_debootstrap() {
  if ! command -v debootstrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-base: installing debootstrap" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove \
      debootstrap >/dev/null
  fi
}

if [ "${DOCKYARD_INSTALL_ONLY:-}" = 1 ]; then
  install_debootstrap
  exit 0
fi
if docker image inspect "$want" >/dev/null 2>&1; then
  echo "$want"; exit 0
fi
if timeout 120 docker pull --quiet "$want" >/dev/null 2>&1; then
  echo "$want"; exit 0
fi
echo "ensure-base: cannot pull $want (no registry answers); using a local Debian base" >&2
if ! docker image inspect "$fallback" >/dev/null 2>&1; then
  install_debootstrap
  "$dockyard" base bootstrap --suite bookworm --tag "$fallback" >&2
fi
echo "$fallback"
