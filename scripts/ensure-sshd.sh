#!/usr/bin/env bash
# Make sure an OpenSSH server answers on loopback with a key made here, so
# deploy tests reach "a server" the way users do: DOCKER_HOST=ssh://root@...
# (the server is this machine's own engine, reached only through sshd).
#
# usage: scripts/ensure-sshd.sh [PORT]   (default 18022, listening on 127.0.0.1)
# Prints a directory on stdout holding:
#   id_ed25519      the client key (its .pub is the only authorized key)
#   ssh_config      client settings: that key, its own known_hosts, batch mode
#   bin/ssh         `ssh -F ssh_config "$@"`: put bin/ first on PATH so the docker
#                   CLI's ssh connection (and dockyard) use it; ~/.ssh is untouched
# Installs Debian's openssh-server when sshd is absent (root, apt, host release,
# no recommends); DOCKYARD_INSTALL_ONLY=1 installs it and starts nothing.
set -euo pipefail

port=${1:-18022}
dir=${SSHD_ROOT:-/var/tmp/dockyard-sshd-$port}
log() { printf 'ensure-sshd: %s\n' "$*" >&2; }

if ! [ -x /usr/sbin/sshd ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "sshd is not installed and this is not Debian as root; install openssh-server"
    exit 2
  fi
  # openssh-server depends on exactly its own version of openssh-client. Take
  # the installed client's version when the mirror still has it; otherwise the
  # host release's current one, which moves the client to a newer point
  # release of the same Debian release (never another release, nothing removed).
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  client=$(dpkg-query -W -f='${Version}' openssh-client 2>/dev/null || true)
  apt-get update -qq >/dev/null
  if [ -n "$client" ] && apt-cache madison openssh-server | awk '{print $3}' | grep -qxF "$client"; then
    pkgs="openssh-server=$client openssh-sftp-server=$client"
  elif [ -n "$codename" ]; then
    pkgs="openssh-server/$codename openssh-sftp-server/$codename openssh-client/$codename"
  else
    pkgs="openssh-server"
  fi
  log "installing Debian's $pkgs"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove $pkgs >/dev/null
fi
if [ "${DOCKYARD_INSTALL_ONLY:-}" = 1 ]; then
  exit 0
fi

mkdir -p "$dir/bin" /run/sshd
chmod 700 "$dir"
[ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh_host_ed25519_key"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C dockyard-test -f "$dir/id_ed25519"
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
CONF
cat >"$dir/ssh_config" <<CONF
Host *
  IdentityFile $dir/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking accept-new
  BatchMode yes
  ConnectTimeout 5
CONF
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/ssh_config" >"$dir/bin/ssh"
chmod 755 "$dir/bin/ssh"

answers() { "$dir/bin/ssh" -p "$port" root@127.0.0.1 true >/dev/null 2>&1; }
if answers; then
  echo "$dir"; exit 0
fi
if [ -f "$dir/sshd.pid" ] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then
  kill "$(cat "$dir/sshd.pid")" || true
  sleep 0.5
fi
log "starting sshd on 127.0.0.1:$port (log: $dir/sshd.log)"
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 1 50); do
  answers && { echo "$dir"; exit 0; }
  sleep 0.2
done
log "sshd did not accept the test key on 127.0.0.1:$port; see $dir/sshd.log"
exit 2
