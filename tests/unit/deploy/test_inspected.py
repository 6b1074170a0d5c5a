"""The deploy code reads `docker inspect` output through dockyard.engine.models: swarm's
service verdicts and status rows, compose's containers and status rows, the proxy's labels,
against the JSON captured from a real engine in tests/fixtures/engine."""

from __future__ import annotations

import json
import subprocess
from functools import partial
from types import SimpleNamespace

import pytest

from dockyard.engine.models import Container, Service
from dockyard.errors import DockyardError
from helpers import FIXTURES

ENGINE = FIXTURES / "engine"
PROJECT = "shop-prod"


def _raw(name: str) -> dict:
    return json.loads((ENGINE / name).read_text())[0]


def _service(app: str, **spec: object) -> Service:
    raw = _raw("service_inspect.json")
    return Service.model_validate(
        {**raw, "ID": f"id-{app}", "Spec": {**raw["Spec"], "Name": f"{PROJECT}_{app}", **spec}}
    )


def _container(app: str, status: str = "running", **config: object) -> Container:
    raw = _raw("proxy_container_inspect.json")
    labels = {**raw["Config"]["Labels"], "com.docker.compose.service": app}
    return Container.model_validate(
        {
            **raw,
            "Id": f"id-{app}-{status}",
            "Name": f"/{PROJECT}-{app}-1",
            "State": {**raw["State"], "Status": status},
            "Config": {**raw["Config"], "Labels": labels, **config},
        }
    )


class FakeEngine:
    """Answers the docker commands the deploy code asks, from typed inspect output."""

    address = "ssh://root@server"

    def __init__(
        self,
        services: list[Service] = (),
        containers: list[Container] = (),
        running: int = 1,
        tasks: list[tuple[str, str, str]] | None = None,
    ) -> None:
        self._services = list(services)
        self._containers = list(containers)
        self.running = running
        # `docker service ps` rows: desired state, current state, image
        self.tasks = tasks or [("Running", "Running 5 seconds ago", "img")] * running

    def docker(self, args, **_: object) -> subprocess.CompletedProcess[str]:
        out = ""
        if args[:2] == ["service", "ls"]:
            out = "\n".join(s.id for s in self._services)
        elif args[:2] == ["service", "ps"]:
            out = "".join("\t".join(row) + "\n" for row in self.tasks)
        elif args[:2] == ["image", "inspect"]:
            out = _raw("proxy_container_inspect.json")["Image"] + "\n"
        return subprocess.CompletedProcess(args, 0, out, "")

    def services(self, ids: list[str]) -> list[Service]:
        return [s for s in self._services if s.id in ids]

    def containers(self, label: str) -> list[Container]:
        return list(self._containers)

    def inspect(self, ids: list[str]) -> list[Container]:
        return [c for c in self._containers if c.id in ids or c.name.lstrip("/") in ids]


def _target(engine: FakeEngine) -> SimpleNamespace:
    config = SimpleNamespace(proxy_image=None)
    return SimpleNamespace(engine=engine, compose_project=PROJECT, name="prod", config=config)


def test_swarm_services_by_app_name() -> None:
    from dockyard.deploy.swarm import _services

    engine = FakeEngine([_service("api"), _service("web")])
    services = _services(_target(engine))
    assert sorted(services) == ["api", "web"]
    assert services["api"].id == "id-api"


def test_swarm_judges_a_service_by_its_update_and_replicas() -> None:
    from dockyard.deploy.swarm import _judge, _tasks

    def judge(target, app, info, started_before):
        return _judge(app, info, started_before, partial(_tasks, target, app))

    updating = _service("api")  # the fixture's service: an update in progress
    started = updating.update_started_at
    target = _target(FakeEngine([updating]))
    assert judge(target, "api", updating, "an earlier update") == "wait"
    assert judge(target, "api", updating, started) == "ok"  # no new update: count replicas
    raw = updating.model_dump(by_alias=True)
    rolled = Service.model_validate(
        {**raw, "UpdateStatus": {"State": "rollback_completed", "StartedAt": "t", "Message": ""}}
    )
    assert judge(target, "api", rolled, None) == "api: rollback_completed"
    said = Service.model_validate(
        {**raw, "UpdateStatus": {"State": "paused", "StartedAt": "t", "Message": "task failed"}}
    )
    assert judge(target, "api", said, None) == "api: task failed"
    done = Service.model_validate({**raw, "UpdateStatus": {"State": "completed", "StartedAt": "t"}})
    assert judge(target, "api", done, None) == "ok"
    never = Service.model_validate({k: v for k, v in raw.items() if k != "UpdateStatus"})
    assert judge(target, "api", never, None) == "ok"
    three = _service("api", Mode={"Replicated": {"Replicas": 3}})
    assert judge(_target(FakeEngine([three], running=2)), "api", three, started) == "wait"


def test_swarm_serving_means_every_running_task_runs_the_spec_image() -> None:
    from dockyard.deploy.swarm import _serves, _tasks

    two = _service("api", Mode={"Replicated": {"Replicas": 2}})
    new = two.spec.task_template.container_spec.image
    running, stopped = "Running 2 seconds ago", "Shutdown 1 second ago"

    def serves(*tasks: tuple[str, str, str], service: Service = two) -> bool:
        return _serves(service, _tasks(_target(FakeEngine([service], tasks=list(tasks))), "api"))

    assert serves(
        ("Running", running, new), ("Running", running, new), ("Shutdown", stopped, "old")
    )
    # start-first: the replaced task's container still runs (it is being stopped)
    assert not serves(
        ("Running", running, new), ("Running", running, new), ("Shutdown", running, "old")
    )
    assert not serves(("Running", running, new), ("Running", "Starting 1 second ago", new))
    assert not serves(("Running", running, new))  # one of two replicas
    raw = two.model_dump(by_alias=True)
    back = Service.model_validate(
        {**raw, "UpdateStatus": {"State": "rollback_started", "StartedAt": "t", "Message": ""}}
    )
    assert not serves(("Running", running, new), ("Running", running, new), service=back)


def test_swarm_says_when_the_new_release_serves_only_while_the_verdict_is_pending(
    monkeypatch, capsys
) -> None:
    from dockyard.deploy import swarm

    updating = _service("api")  # the fixture's service: an update in progress
    raw = updating.model_dump(by_alias=True)
    done = Service.model_validate({**raw, "UpdateStatus": {"State": "completed", "StartedAt": "t"}})
    image = updating.spec.task_template.container_spec.image
    engine = FakeEngine([updating], tasks=[("Running", "Running 1 second ago", image)])
    target = _target(engine)
    target.config.apps, target.config.routing = ["api"], "mesh"
    monkeypatch.setattr(swarm.time, "sleep", lambda seconds: None)
    said = "api: every task runs the new release now"

    answers = iter([{"api": updating}, {"api": updating}, {"api": done}])
    monkeypatch.setattr(swarm, "_services", lambda target: next(answers))
    assert swarm._wait(target, {"api": "an earlier update"}, 60, announce=True) == []
    assert capsys.readouterr().err.count(said) == 1  # once, before the verdict

    answers = iter([{"api": done}])  # nothing left to wait for (a first deploy)
    assert swarm._wait(target, {"api": "an earlier update"}, 60, announce=True) == []
    assert said not in capsys.readouterr().err


def test_swarm_status_rows() -> None:
    from dockyard.deploy.swarm import stack_rows
    from dockyard.render.server import VERSION_LABEL

    raw = _raw("service_inspect.json")
    template = raw["Spec"]["TaskTemplate"]
    labelled = {
        **template,
        "ContainerSpec": {**template["ContainerSpec"], "Labels": {VERSION_LABEL: "1.2.3"}},
    }
    engine = FakeEngine([_service("web"), _service("api", TaskTemplate=labelled)])
    rows = stack_rows(_target(engine))
    since = raw["UpdatedAt"][:19].replace("T", " ")
    assert rows == [
        ("api", "python:3.11-bookworm", "1.2.3", "1/1 running (updating)", since),
        ("web", "python:3.11-bookworm", "?", "1/1 running (updating)", since),
    ]


def test_compose_status_row_of_a_container() -> None:
    from dockyard.deploy.compose import _name, _row

    container = _container("web")
    started = container.state.started_at or ""
    assert _row(container) == (
        "web",
        "python:3.11-bookworm",
        "?",
        "running (healthy)",
        started[:19].replace("T", " "),
    )
    assert _name(container) == f"{PROJECT}-web-1"


def test_compose_containers_of_an_app_and_running_apps() -> None:
    from dockyard.deploy.bluegreen import _containers
    from dockyard.deploy.target import helper_image, running_apps

    oneoff = _container("web", Labels={"com.docker.compose.service": "web",
                                       "com.docker.compose.oneoff": "True"})  # fmt: skip
    engine = FakeEngine(containers=[_container("web"), _container("api", "exited"), oneoff])
    target = _target(engine)
    assert [c.id for c in _containers(target, "web")] == ["id-web-running"]
    assert running_apps(target) == {"web"}
    assert helper_image(target) == "dockyard/python:3.11-bookworm"


def test_proxy_upgrade_reads_the_proxy_container() -> None:
    from dockyard.deploy.proxy import Proxy
    from dockyard.engine.proxy import IMAGE_TAG, proxy_name

    proxy = _container("proxy")
    proxy = Container.model_validate(
        {**proxy.model_dump(by_alias=True), "Name": f"/{proxy_name()}"}
    )
    engine = FakeEngine(containers=[proxy])
    # the running image's id is the pinned one's: nothing to do
    said = Proxy(_target(engine)).upgrade("dockyard/python:3.11-bookworm")
    assert said == f"the proxy {proxy_name()} already runs {IMAGE_TAG}"


class _Nodes(FakeEngine):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def docker(self, args, **kw: object) -> subprocess.CompletedProcess[str]:
        if args[:2] == ["node", "ls"]:
            return subprocess.CompletedProcess(args, 0, "id\n" * self.count, "")
        return super().docker(args, **kw)


def test_a_gateway_on_several_nodes_needs_its_image_in_a_registry() -> None:
    from dockyard.deploy.swarm import _gateway_image

    config = SimpleNamespace(routing="gateway", proxy_image=None)
    target = SimpleNamespace(engine=_Nodes(3), compose_project=PROJECT, name="prod", config=config)
    with pytest.raises(DockyardError) as caught:
        _gateway_image(target, "dockyard/python:3.11-bookworm")
    message = str(caught.value)
    assert "swarm of 3 nodes" in message and "proxy-image" in message
    assert "nothing was changed" in message
    config.proxy_image = "127.0.0.1:5000/caddy@sha256:" + "ab" * 32
    assert _gateway_image(target, "dockyard/python:3.11-bookworm") == config.proxy_image
