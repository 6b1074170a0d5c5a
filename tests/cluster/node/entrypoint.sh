#!/bin/bash
# Start one cluster node's engine.
#
# NODE_REGISTRY_ALIAS=127.0.0.1:PORT and NODE_REGISTRY=ADDR:PORT: the registry the
# images are named after (loopback on the machine that pushes) and the address where
# this node reaches the same registry (on the machine's bridge). The kernel's NAT
# (iptables, in this node's own network namespace) sends the node's connections to
# the alias there, so `127.0.0.1:PORT/app@sha256:...` pulls the same bytes here as on
# the machine. The engine listens on a unix socket in /run/dockyard (bind-mounted from
# the machine), and nowhere on the network.
set -euo pipefail

if [ -n "${NODE_REGISTRY_ALIAS:-}" ]; then
  alias_port=${NODE_REGISTRY_ALIAS##*:}
  target=${NODE_REGISTRY%:*}
  port=${NODE_REGISTRY##*:}
  sysctl -qw net.ipv4.conf.all.route_localnet=1
  iptables -t nat -A OUTPUT -d 127.0.0.1/32 -p tcp --dport "$alias_port" \
    -j DNAT --to-destination "$target:$port"
  iptables -t nat -A POSTROUTING -s 127.0.0.0/8 -d "$target/32" -p tcp --dport "$port" \
    -j MASQUERADE
fi

mkdir -p /etc/docker /run/dockyard
cat >/etc/docker/daemon.json <<JSON
{
  "hosts": ["unix:///var/run/docker.sock", "unix:///run/dockyard/docker.sock"],
  "insecure-registries": ["${NODE_REGISTRY:-127.0.0.1:5000}"],
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {"max-size": "5m", "max-file": "2"}
}
JSON
# After a power loss (`docker kill`, then `docker start`) the pid files of the killed
# engine are still here, where a real machine's /run starts empty at boot; dockerd and
# its containerd refuse to start over a pid file that names a running process (the
# new one may well have the same pid).
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
exec dockerd
