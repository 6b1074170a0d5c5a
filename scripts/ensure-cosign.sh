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
release_has() { apt-cache madison cosign 2>/dev/null | grep -q " $1[/ ]"; }
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

if [ -z "$(candidate cosign)" ] || [ "$(candidate cosign)" = "(none)" ]; then
  apt-get update -qq >/dev/null
fi
if { [ -z "$(candidate cosign)" ] || [ "$(candidate cosign)" = "(none)" ]; } &&
  [ ! -f /etc/apt/sources.list.d/dockyard-trixie.sources ] &&
  [ -f /etc/apt/sources.list.d/debian.sources ]; then
  # Debian 12 has no cosign; Debian 13 does. The same low-priority trixie source
  # as scripts/ensure-engine.sh: the machine's mirror and keyring, pinned at 100.
  src=/etc/apt/sources.list.d/debian.sources
  uri=$(awk '/^URIs:/ {print $2; exit}' "$src")
  key=$(awk '/^Signed-By:/ {print $2; exit}' "$src")
  log "adding a low-priority trixie apt source from $src"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$key" \
    >/etc/apt/sources.list.d/dockyard-trixie.sources
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' \
    >/etc/apt/preferences.d/dockyard-trixie
  apt-get update -qq >/dev/null
fi
if [ -z "$(candidate cosign)" ] || [ "$(candidate cosign)" = "(none)" ]; then
  log "no cosign package in this machine's apt sources; install cosign by hand."
  exit 2
fi
if [ -n "$host_release" ] && release_has "$host_release"; then
  pkg=cosign
else
  pkg=cosign/trixie
fi
log "installing $pkg (Debian's package, one static binary)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove "$pkg" >/dev/null
cosign version >/dev/null
