"""dockyard.engine.models against JSON captured from a real engine (tests/fixtures/engine:
`docker image inspect` of a base image, `docker container inspect` of a healthy container
with a restart policy, `docker service inspect` of a swarm service during an update, and
`docker container inspect` of a container labelled like a compose app and like the proxy,
trimmed to the fields dockyard reads)."""

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


def test_container_image_reference_and_start_time() -> None:
    raw = _load("proxy_container_inspect.json")
    container = Container.model_validate(raw)
    # Config.Image is the reference it was started from; Image is the image's id
    assert container.config.image == raw["Config"]["Image"] == "dockyard/python:3.11-bookworm"
    assert container.image == raw["Image"] and container.image.startswith("sha256:")
    assert container.state.started_at == raw["State"]["StartedAt"]
    assert container.state.health_status == "healthy"
    assert container.name == "/models-capture-354"


def test_container_labels_of_the_proxy_and_of_compose() -> None:
    from dockyard.deploy.health import is_app
    from dockyard.engine.proxy import PORTS_LABEL, PROXY_LABEL

    container = Container.model_validate(_load("proxy_container_inspect.json"))
    assert container.labels[PROXY_LABEL] == "1"
    assert container.labels[PORTS_LABEL] == "18999:80"
    assert is_app(container, "web") and not is_app(container, "api")
    raw = _load("proxy_container_inspect.json")
    oneoff = {**raw["Config"]["Labels"], "com.docker.compose.oneoff": "True"}
    run = Container.model_validate({**raw, "Config": {**raw["Config"], "Labels": oneoff}})
    assert not is_app(run, "web")  # a one-off `docker compose run` container


def test_container_without_healthcheck_or_labels() -> None:
    raw = _load("proxy_container_inspect.json")
    state = {k: v for k, v in raw["State"].items() if k != "Health"}
    container = Container.model_validate({**raw, "State": state, "Config": {"Labels": None}})
    assert container.state.health is None and container.state.health_status is None
    assert container.labels == {} and container.config.image == ""


def test_service_image_replicas_and_update() -> None:
    raw = _load("service_inspect.json")
    service = Service.model_validate(raw)
    spec = raw["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert service.spec.task_template.container_spec.image == spec["Image"]
    assert service.spec.task_template.container_spec.labels == {}  # none set
    assert service.spec.replicas == raw["Spec"]["Mode"]["Replicated"]["Replicas"] == 1
    assert service.updated_at == raw["UpdatedAt"]
    assert service.update_started_at == raw["UpdateStatus"]["StartedAt"]
    assert service.update_state == "updating"


def test_service_without_update_or_replicas() -> None:
    raw = _load("service_inspect.json")
    raw = {k: v for k, v in raw.items() if k != "UpdateStatus"}
    three = Service.model_validate(
        {**raw, "Spec": {**raw["Spec"], "Mode": {"Replicated": {"Replicas": 3}}}}
    )
    assert three.spec.replicas == 3
    glob = Service.model_validate({**raw, "Spec": {**raw["Spec"], "Mode": {"Global": {}}}})
    assert glob.spec.replicas == 1  # a global service counts as one, as before
    assert glob.update_status is None
    assert glob.update_started_at is None and glob.update_state == ""
