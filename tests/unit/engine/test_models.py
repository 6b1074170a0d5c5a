"""dockyard.engine.models against JSON captured from a real engine (tests/fixtures/engine:
`docker image inspect` of a base image, `docker container inspect` of a healthy container
with a restart policy, `docker service inspect` of a swarm service during an update)."""

from __future__ import annotations

import json

from dockyard.engine.models import Container, Image, Service
from helpers import FIXTURES

ENGINE = FIXTURES / "engine"


def _load(name: str) -> dict:
    return json.loads((ENGINE / name).read_text())[0]


def test_image() -> None:
    raw = _load("image_inspect.json")
    image = Image.model_validate(raw)
    assert image.id == raw["Id"] and image.id.startswith("sha256:")
    assert image.root_fs.layers == raw["RootFS"]["Layers"] and image.root_fs.layers
    assert image.repo_digests == raw["RepoDigests"]
    assert image.digests_of("dockyard/python") == [
        d.split("@")[1] for d in raw["RepoDigests"] if d.startswith("dockyard/python@")
    ]
    assert image.config.labels == (raw["Config"].get("Labels") or {})
    # what docker sends beyond the typed fields stays readable
    assert image.config.model_dump(by_alias=True)["Env"] == raw["Config"]["Env"]


def test_container() -> None:
    container = Container.model_validate(_load("container_inspect.json"))
    assert container.state.status == "running"
    assert container.state.health is not None
    assert container.state.health.status == "healthy"
    assert container.state.health.log and container.state.health.log[-1].exit_code == 0
    assert container.host_config.restart_policy.name == "unless-stopped"
    assert container.labels["io.dockyard.app"] == "capture"
    assert container.restart_count == 0


def test_service() -> None:
    service = Service.model_validate(_load("service_inspect.json"))
    assert service.spec.name.endswith("-svc")
    assert service.spec.labels == {"io.dockyard.app": "capture"}
    assert service.update_status is not None
    assert service.update_status.state == "updating"
    assert service.update_status.started_at


def test_null_lists_and_maps_read_as_empty() -> None:
    raw = {**_load("image_inspect.json"), "RepoDigests": None}
    raw["Config"] = {**raw["Config"], "Labels": None}
    image = Image.model_validate(raw)
    assert image.repo_digests == [] and image.config.labels == {}
