"""compose.yaml (run the prod images) and compose.dev.yaml (dev services for IDEs and tests)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from dockyard.manifest import Healthcheck, Project
from dockyard.names import generated_by
from dockyard.plan import DEV_UID, WORKSPACE, AppPlan, Plan, needed_apps

# dockyard sets these to your uid/gid, so files a dev container writes in the source are yours
DEV_USER_SPEC = f"${{DOCKYARD_UID:-{DEV_UID}}}:${{DOCKYARD_GID:-{DEV_UID}}}"


def literal(value: Any) -> Any:
    """``value`` with every ``$`` doubled, so Compose takes it as written.

    Compose fills in ``$VAR`` and ``${VAR}`` in every string of the file from the
    environment of whoever runs it: a password with a ``$`` would lose a piece, and
    on a deploy target ``${HOME}`` would be the deploying machine's. dockyard's own
    variables (``DOCKYARD_UID``) are added after this.
    """
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [literal(item) for item in value]
    if isinstance(value, dict):
        return {key: literal(item) for key, item in value.items()}
    return value


def _header(what: str) -> str:
    return (
        f"# {generated_by('[tool.dockyard] in pyproject.toml')}\n"
        f"# {what[:1].upper()}{what[1:]}. Change the manifest, not this file.\n"
    )


def is_bind(source: str) -> bool:
    """Whether a volume source is a host path (or a variable naming one), not a volume name."""
    return source.startswith((".", "/", "~", "$"))


def named_volumes(*volume_lists: Iterable[str]) -> list[str]:
    """Sources of ``source:target`` entries that are volume names, not host paths, each
    once, in order, across the lists given (the top-level ``volumes:`` of every compose
    file and stack dockyard writes, from its services' volume lists)."""
    names = []
    for spec in (spec for volumes in volume_lists for spec in volumes):
        source = spec.split(":", 1)[0]
        if ":" in spec and not is_bind(source) and source not in names:
            names.append(source)
    return names


def depends_on(project: Project, names: list[str]) -> dict[str, dict[str, str]]:
    """Compose ``depends_on``: wait for a needed app to be healthy when it has a
    healthcheck, else to start."""
    return {
        name: {
            "condition": "service_healthy"
            if project.apps[name].config.healthcheck is not None
            else "service_started"
        }
        for name in dict.fromkeys(names)
    }


def _healthcheck(check: Healthcheck) -> dict[str, Any]:
    return {
        "test": ["CMD", *literal(check.argv())],
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "start_period": check.start_period,
        "start_interval": check.start_interval,
    }


def _common(app: AppPlan) -> dict[str, Any]:
    config = app.app.config
    service: dict[str, Any] = {}
    if config.profiles:
        service["profiles"] = literal(list(config.profiles))
    if config.environment:
        service["environment"] = literal(dict(config.environment))
    if config.ports:
        service["ports"] = list(config.ports)
    return service


def _dump(header: str, document: dict[str, Any]) -> str:
    return header + "\n" + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def render_compose(plan: Plan) -> str:
    """Prod services from the built images; command and healthcheck come from the image."""
    services: dict[str, Any] = {}
    for app in plan.apps:
        config = app.app.config
        if config.command is None:
            continue  # an environment image (e.g. notebooks) has nothing to run
        service = {"image": app.prod_tag, **_common(app), "restart": config.restart}
        if config.volumes:
            service["volumes"] = literal(list(config.volumes))
        if config.depends_on:
            service["depends_on"] = depends_on(plan.project, config.depends_on)
        services[app.name] = service
    document: dict[str, Any] = {"name": plan.project.name, "services": services}
    volumes = named_volumes(*(plan.app(name).app.config.volumes for name in services))
    if volumes:
        document["volumes"] = {v: {} for v in volumes}
    return _dump(_header("the production stack (`docker compose up -d`)"), document)


def _dev_volume(spec: str, root: str) -> str:
    """A bind source relative to the project root, seen from a file in ``root``."""
    return f"{root}{spec[1:]}" if root != "." and spec.startswith(".") else spec


def _dev_service(plan: Plan, app: AppPlan, root: str, *, ports: bool = True) -> dict[str, Any]:
    """The dev service of ``app`` in a compose file whose folder is ``root`` (relative)."""
    config = app.app.config
    common = _common(app)
    if not ports:
        common.pop("ports", None)
    service: dict[str, Any] = {
        "image": app.dev_tag,
        **common,
        "user": DEV_USER_SPEC,
        "init": True,  # stops in a blink, also `sleep infinity`
        "working_dir": app.dev_workdir,
        "volumes": [
            f"{root}:{WORKSPACE}",
            *(_dev_volume(v, root) for v in literal(config.volumes)),
        ],
    }
    service["command"] = literal(
        list(config.dev_command or config.command or ["sleep", "infinity"])
    )
    if config.healthcheck is not None:
        service["healthcheck"] = _healthcheck(config.healthcheck)
    needs = depends_on(plan.project, [*config.depends_on, *config.test_needs])
    if needs:
        service["depends_on"] = needs
    return service


def _dev_volumes(plan: Plan, apps: list[AppPlan]) -> dict[str, dict[str, str]]:
    """Named volumes under the dev project's names, so every dev container shares the dev
    data with `compose.dev.yaml` (`dockyard dev`, `notebook`, PyCharm)."""
    names = named_volumes(*(app.app.config.volumes for app in apps))
    return {name: {"name": f"{plan.project.name}-dev_{name}"} for name in names}


def render_compose_dev(plan: Plan) -> str:
    """One dev service per app: source mounted at /workspace, venv python at /opt/venv.

    No `build:`: IDEs (PyCharm, the Dev Containers CLI) start the images `dockyard
    build --dev` made, at once, instead of rebuilding without the build's secrets.
    """
    services = {app.name: _dev_service(plan, app, ".") for app in plan.apps}
    document: dict[str, Any] = {"name": dev_project(plan), "services": services}
    # named by the project: `<name>-dev_<volume>` here (the dev containers use that
    # name too), but a throwaway one of its own for `dockyard test`
    volumes: dict[str, dict] = {name: {} for name in _dev_volumes(plan, list(plan.apps))}
    if volumes:
        document["volumes"] = volumes
    return _dump(
        _header("dev services (PyCharm's Docker Compose interpreter, `dockyard shell/run/test`)"),
        document,
    )


def dev_project(plan: Plan, app: AppPlan | None = None) -> str:
    """The Compose project of the dev services; each app's dev container has its own."""
    return f"{plan.project.name}-dev" + (f"-{app.name}" if app else "")


DEV_START_PERIOD = 180  # seconds a dev container's dependency may take to become healthy


def _seconds(duration: str) -> float:
    """'500ms', '10s', '2m', '1h' -> seconds (the manifest's duration syntax)."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    number = duration.rstrip("smh")
    return int(number) * units[duration[len(number) :]]


def devcontainer_compose_path(app: AppPlan) -> str:
    return f".devcontainer/{app.name}/compose.yaml"


def render_devcontainer_compose(plan: Plan, app: AppPlan) -> str:
    """The Compose project of one app's dev container: the app and the apps it needs.

    A project of its own, so that opening a second app's dev container never recreates
    the services of the first; the dev data volumes are shared by name. Only the app
    itself publishes its ports (the others run in its project and in their own).
    """
    needed = [plan.app(a.name) for a in needed_apps(plan.project, app.app)]
    services = {
        other.name: _dev_service(plan, other, "../..", ports=other.name == app.name)
        for other in needed
    }
    for other in needed[:-1]:
        check = services[other.name].get("healthcheck")
        if check and _seconds(check["start_period"]) < DEV_START_PERIOD:
            # the container waits for it: on a busy laptop a slow first start is no failure
            # (probes every start_interval, so a fast start is still seen at once)
            check["start_period"] = f"{DEV_START_PERIOD}s"
    document: dict[str, Any] = {"name": dev_project(plan, app), "services": services}
    volumes = _dev_volumes(plan, needed)
    if volumes:
        document["volumes"] = volumes
    return _dump(
        _header(
            f"the {app.name} dev container's services (.devcontainer/{app.name}/devcontainer.json)"
        ),
        document,
    )
