"""The stack's gateway: the dockyard-proxy's Caddy in front of each served app (pure).

Swarm publishes ports through its routing mesh, which needs the kernel's IPVS. Where
that is missing (some VMs and sandboxes), `routing = "gateway"` puts one Caddy per
served app in front of it instead, on the same image as the compose targets' proxy:
it publishes the port in host mode and reverse-proxies to `tasks.<app>` (every
running task; the service is in `dnsrr` endpoint mode), re-resolved every second, a
failed dial retried on another task, so a task that is stopping is skipped, not
failed. Its spec does not change with the app's, so an app update never restarts it.
"""

from __future__ import annotations

import json
from typing import Any


def gateway_config(app: str, port: int) -> dict[str, Any]:
    """Caddy's JSON config: listen on ``port``, proxy to the app's tasks on ``port``."""
    return {
        "admin": {"disabled": True, "config": {"persist": False}},
        "apps": {
            "http": {
                "grace_period": "20s",
                "servers": {
                    "gateway": {
                        "listen": [f":{port}"],
                        "automatic_https": {"disable": True},
                        "routes": [
                            {
                                "handle": [
                                    {
                                        "handler": "reverse_proxy",
                                        "dynamic_upstreams": {
                                            "source": "a",
                                            "name": f"tasks.{app}",
                                            "port": str(port),
                                            "refresh": "1s",
                                        },
                                        "load_balancing": {
                                            "selection_policy": {"policy": "round_robin"},
                                            "try_duration": "10s",
                                            "try_interval": "100ms",
                                        },
                                    }
                                ]
                            }
                        ],
                    }
                },
            }
        },
    }


def gateway_service(
    app: str, image: str, published: int, port: int, placement: list[str] | None = None
) -> dict[str, Any]:
    """The gateway service; with ``placement``, one task on every node it admits (the
    nodes that take traffic), else one task on any node."""
    restart = {"condition": "any", "delay": "1s"}
    deploy: dict[str, Any] = (
        {"mode": "global", "placement": {"constraints": list(placement)}}
        if placement
        else {"replicas": 1}
    )
    return {
        "image": image,
        # the config comes in the environment ($$: a literal $ for the stack file)
        "entrypoint": [
            "/bin/sh",
            "-c",
            'printf "%s" "$$GATEWAY_CONFIG" > /tmp/gateway.json'
            " && exec caddy run --config /tmp/gateway.json",
        ],
        "command": [],
        "environment": {
            "GATEWAY_BACKEND": f"tasks.{app}",
            "GATEWAY_CONFIG": json.dumps(gateway_config(app, port), sort_keys=True),
        },
        "ports": [{"target": port, "published": published, "protocol": "tcp", "mode": "host"}],
        "healthcheck": {"disable": True},
        "deploy": {**deploy, "restart_policy": restart},
    }
