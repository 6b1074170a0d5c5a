#!/usr/bin/env bash
# Make sure `cosign` (Sigstore's signing tool) is on PATH, for `dockyard sign`,
# `dockyard keygen` and deploy targets with `require-signature`.
#
# Does nothing when cosign answers. Otherwise, on Debian as root, it installs
# Debian's own package: from the host's release when it has one, else from
# trixie by package (`cosign/trixie`, never `-t trixie`, which would move every
# dependency of the command to Debian 13), through the same low-priority trixie
# source scripts/ensure-engine.sh adds. cosign is one static Go binary: no other
# package is installed or changed. Anywhere else it says what to install and exits 2.
set -euo pipefail

log() { printf 'ensure-cosign: %s\n' "$*" >&2; }

if command -v cosign >/dev/null 2>&1 && cosign version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null; then
  log "cosign is not installed; install it (Debian 13: apt-get install cosign; elsewhere see"
  log "Sigstore's install guide) and run this again."
  exit 2
fi

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
release_has() { apt-cache madison cosign 2>/dev/null | grep -q "$1"; }

if [ -z "$(candidate cosign)" ] || [ "$(candidate cosign)" = "(none)" ]; then
  apt-get update -qq >/dev/null
fi
if release_has trixie && ! release_has "$(. /etc/os-release && echo "$VERSION_CODENAME")/"; then
  pkg=cosign/trixie
else
  pkg=cosign
fi
if [ "$(candidate cosign)" = "(none)" ] || [ -z "$(candidate cosign)" ]; then
  log "no cosign package in this machine's apt sources; run scripts/ensure-engine.sh first"
  log "(it adds Debian 13 as a low-priority source), or install cosign by hand."
  exit 2
fi
log "installing $pkg (Debian's package, one static binary)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove "$pkg" >/dev/null
cosign version >/dev/null
