"""``[tool.dockyard]`` in the root pyproject.toml -> a validated :class:`Project`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dockyard import syntax
from dockyard.errors import DockyardError
from dockyard.graph import find_cycle
from dockyard.workspace import Member, Workspace, load_workspace, normalize, read_toml, table

APP_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
RESERVED = {"base", "uv", "tools", "venv"}
DEFAULT_BASE_IMAGE = "python:3.12-slim-bookworm"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Healthcheck(_Model):
    """Either an exec-form command or an HTTP URL probed from inside the container."""

    command: list[str] | None = None
    http: str | None = None
    interval: str = "10s"
    timeout: str = "5s"
    retries: int = Field(default=3, ge=1)
    start_period: str = Field(default="10s", alias="start-period")
    # how often to probe while the container starts (Docker 25+; once healthy, every
    # `interval`): healthy half a second after the app is, so a deploy and a dependent
    # app wait ~0.5 s, not a whole interval. Measured on a good update of the example's
    # parser + api: 1s left ~1 s of the update to probe cadence; 250ms was no faster
    # than 500ms (each probe is a process in the container: ~0.05 s of CPU).
    start_interval: str = Field(default="500ms", alias="start-interval")

    @model_validator(mode="after")
    def _one_probe(self) -> Healthcheck:
        if (self.command is None) == (self.http is None):
            raise ValueError("set exactly one of 'command' (a list) or 'http' (a URL)")
        if self.http is not None:
            syntax.check_http_url(self.http)
        if self.command is not None and not self.command:
            raise ValueError("'command' must not be empty")
        return self

    def argv(self) -> list[str]:
        """The probe as an exec-form command, run inside the container.

        An HTTP probe uses the venv's python (on PATH), so it needs no curl in the image.
        """
        if self.http is None:
            return list(self.command or [])
        probe = (
            "import sys, urllib.request; "
            f"sys.exit(0 if urllib.request.urlopen({self.http!r}, timeout=5).status < 400 "
            "else 1)"
        )
        return ["python", "-c", probe]

    @field_validator("interval", "timeout", "start_period", "start_interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(ms|s|m|h)", value):
            raise ValueError("a duration like '10s', '500ms' or '1m'")
        return value


def _check_ports(value: list[str] | None) -> list[str] | None:
    for port in value or ():
        syntax.parse_port(port)
    return value


def _check_volumes(value: list[str] | None) -> list[str] | None:
    for spec in value or ():
        syntax.check_volume(spec)
    return value


def _check_environment(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        syntax.check_env_name(name)
    return value


class ShareConfig(_Model):
    """The image a colleague runs with nothing but Docker (`dockyard share APP`)."""

    enabled: bool = True  # `share = true` / `share = false` in the manifest set this
    # what it runs; default: the app's command, else Jupyter Lab when the app has jupyterlab
    command: list[str] | None = None
    port: int | None = Field(default=None, ge=1, le=65535)  # where `command` listens
    # over the app's own environment; each stays overridable with `docker run -e`
    environment: dict[str, str] = Field(default_factory=dict)
    # member folders copied into the image under /opt/share (default: notebooks/, if any)
    files: list[str] | None = None

    @field_validator("command")
    @classmethod
    def _non_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("must not be empty; leave it out to run the app's own command")
        return value

    @field_validator("files")
    @classmethod
    def _inside(cls, value: list[str] | None) -> list[str] | None:
        for path in value or []:
            parts = path.replace("\\", "/").split("/")
            if path.startswith(("/", "~")) or ".." in parts or not path.strip("/."):
                raise ValueError(f"'{path}' must be a folder inside the app's member")
        return value


class _ServiceChecks(_Model):
    """The Compose syntax checks an app and its per-target settings share."""

    @field_validator("ports", check_fields=False)
    @classmethod
    def _ports(cls, value: list[str] | None) -> list[str] | None:
        return _check_ports(value)

    @field_validator("volumes", check_fields=False)
    @classmethod
    def _volumes(cls, value: list[str] | None) -> list[str] | None:
        return _check_volumes(value)

    @field_validator("environment", check_fields=False)
    @classmethod
    def _environment(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_environment(value)


class AppConfig(_ServiceChecks):
    member: str
    command: list[str] | None = None
    # what the dev service runs instead of `command`, e.g. uvicorn with --reload
    dev_command: list[str] | None = Field(default=None, alias="dev-command")
    healthcheck: Healthcheck | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    ports: list[str] = Field(default_factory=list)
    volumes: list[str] = Field(default_factory=list)
    writable: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list, alias="depends-on")
    profiles: list[str] = Field(default_factory=list)
    restart: Literal["no", "always", "on-failure", "unless-stopped"] = "unless-stopped"
    test_needs: list[str] = Field(default_factory=list, alias="test-needs")
    test_command: list[str] = Field(
        default_factory=lambda: ["python", "-m", "pytest"], alias="test-command"
    )
    # a share image (`dockyard share`): true or a table; default: apps with no command
    share: ShareConfig | None = None

    @field_validator("command", "dev_command")
    @classmethod
    def _non_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("must not be empty; leave it out for an app with no command")
        return value

    @field_validator("share", mode="before")
    @classmethod
    def _share_flag(cls, value: object) -> object:
        return {"enabled": value} if isinstance(value, bool) else value

    @field_validator("writable")
    @classmethod
    def _absolute(cls, value: list[str]) -> list[str]:
        # prod chowns these to the app user and dev opens them to every uid: never `/`
        for path in value:
            syntax.check_container_path(path)
        return value


def _placement(value: list[str]) -> list[str]:
    """Swarm placement constraints, each like 'node.labels.db == true'."""
    for constraint in value:
        if not re.fullmatch(r"\s*node\.[\w.-]+\s*(==|!=)\s*\S+\s*", constraint):
            raise ValueError(
                f"'{constraint}' is not a placement constraint like "
                "'node.labels.db == true' or 'node.role != manager'"
            )
    return value


class DeployApp(_ServiceChecks):
    """How one app runs on one deploy target (adds to, or replaces, the app's own settings)."""

    env_file: list[str] = Field(default_factory=list, alias="env-file")
    environment: dict[str, str] = Field(default_factory=dict)
    volumes: list[str] | None = None  # replaces the app's volumes when set
    ports: list[str] | None = None  # replaces the app's ports when set
    restart: Literal["no", "always", "on-failure", "unless-stopped"] | None = None
    replicas: int = Field(default=1, ge=0)  # swarm
    # compose: how an app without ports is replaced; None: stop-first when it has a
    # writable volume (two copies would write the same files), else start-first
    update: Literal["start-first", "stop-first"] | None = None
    # swarm: where its tasks may run, e.g. ["node.labels.lol-data.db == true"] for an
    # app whose named volume lives on one node (Swarm's placement constraints)
    placement: list[str] = Field(default_factory=list)

    @field_validator("placement")
    @classmethod
    def _constraints(cls, value: list[str]) -> list[str]:
        return _placement(value)

    @field_validator("env_file")
    @classmethod
    def _relative(cls, value: list[str]) -> list[str]:
        for path in value:
            parts = path.replace("\\", "/").split("/")
            if path.startswith(("/", "~")) or ".." in parts:
                raise ValueError(
                    f"'{path}' must be a path inside the project (it is copied to the same "
                    "place under the target's directory on the server)"
                )
        return value


class DeployTarget(_Model):
    """A server (compose) or a swarm that runs some of the apps."""

    kind: Literal["compose", "swarm"] = "compose"
    # swarm: how published ports reach the apps; "gateway" where the kernel lacks IPVS
    routing: Literal["mesh", "gateway"] = "mesh"
    # swarm, routing = "gateway": the nodes that take traffic (one gateway on each, in
    # host mode), e.g. ["node.labels.edge == true"]; empty: one gateway, on any node
    gateway_placement: list[str] = Field(default_factory=list, alias="gateway-placement")
    host: str | None = None  # ssh://user@host[:port]; None: the local engine
    context: str | None = None  # a docker context name instead of host
    apps: list[str]
    directory: str | None = None  # compose: where the compose file lives on the server
    keep: int = Field(default=5, ge=1)  # previous versions kept for rollback
    health_timeout: str = Field(default="120s", alias="health-timeout")
    # compose: how long the proxy lets in-flight requests to the old container finish
    drain_timeout: str = Field(default="30s", alias="drain-timeout")
    app: dict[str, DeployApp] = Field(default_factory=dict)
    # a cosign public key file (relative to the project): deploy only images signed by it
    require_signature: str | None = Field(default=None, alias="require-signature")
    # a Caddy 2 image pinned by digest (the official one, where a registry serves it)
    # for the server's proxy or a swarm's gateways; unset: dockyard builds one there
    proxy_image: str | None = Field(default=None, alias="proxy-image")
    # how the images reach the server: "registry" (it pulls from tool.dockyard.registry)
    # or "ssh" (dockyard pushes them to a registry on the server through an ssh tunnel;
    # only the layers the server lacks travel)
    transfer: Literal["registry", "ssh"] = "registry"

    @field_validator("gateway_placement")
    @classmethod
    def _edges(cls, value: list[str]) -> list[str]:
        return _placement(value)

    @field_validator("health_timeout", "drain_timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(s|m)", value):
            raise ValueError("a duration like '120s' or '2m'")
        return value

    @field_validator("proxy_image")
    @classmethod
    def _pinned_proxy(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^\s@]+@sha256:[0-9a-f]{64}", value):
            raise ValueError(
                "pin the proxy image by digest, e.g. 'caddy:2.11.7-alpine@sha256:<64 hex>' "
                "(`docker buildx imagetools inspect caddy:2.11.7-alpine` prints it)"
            )
        return value

    @field_validator("apps")
    @classmethod
    def _some_apps(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('name at least one app to deploy, e.g. apps = ["api"]')
        return value

    @field_validator("directory")
    @classmethod
    def _absolute_directory(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"'{value}' must be an absolute path on the server")
        return value

    @property
    def health_seconds(self) -> int:
        number = int(self.health_timeout[:-1])
        return number * 60 if self.health_timeout.endswith("m") else number

    @property
    def drain_seconds(self) -> int:
        number = int(self.drain_timeout[:-1])
        return number * 60 if self.drain_timeout.endswith("m") else number

    @model_validator(mode="after")
    def _one_address(self) -> DeployTarget:
        if self.host is not None and self.context is not None:
            raise ValueError("set 'host' or 'context', not both")
        if self.host is not None and not self.host.startswith(("ssh://", "tcp://", "unix://")):
            raise ValueError("'host' must be an address like ssh://user@server")
        if self.transfer == "ssh" and not (self.host or "").startswith("ssh://"):
            raise ValueError(
                'transfer = "ssh" sends the images over ssh: set host = "ssh://user@server" '
                '(or use transfer = "registry")'
            )
        if self.transfer == "ssh" and self.require_signature is not None:
            raise ValueError(
                'require-signature needs transfer = "registry": cosign checks the signature '
                "stored next to the image in that registry"
            )
        return self


class DockyardConfig(_Model):
    name: str | None = None
    registry: str | None = None
    base_image: str = Field(default=DEFAULT_BASE_IMAGE, alias="base-image")
    # zstd: smaller layers, faster to compress and to unpack; needs Docker Engine >= 23
    # (or containerd >= 1.5) wherever the images are pulled. gzip: every engine.
    compression: Literal["zstd", "gzip"] = "zstd"
    # Third-party packages that get a layer of their own (beside those whose files pass
    # plan.HEAVY_BYTES), so a small dependency change never reinstalls them.
    heavy: list[str] = Field(default_factory=list)
    apps: dict[str, AppConfig]
    deploy: dict[str, DeployTarget] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not syntax.PROJECT_NAME.fullmatch(value):
            raise ValueError(
                f"'{value}' is not a Compose project name: lower-case letters, digits, "
                "'-' and '_', starting and ending with a letter or digit"
            )
        return value

    @field_validator("registry")
    @classmethod
    def _registry(cls, value: str | None) -> str | None:
        if value is not None:
            syntax.check_registry(value)
        return value

    @field_validator("apps")
    @classmethod
    def _apps(cls, value: dict[str, AppConfig]) -> dict[str, AppConfig]:
        if not value:
            raise ValueError("declare at least one app: [tool.dockyard.apps.<name>]")
        for name in value:
            if (
                name in RESERVED
                or name.startswith(("deps-", "code-"))
                or name.endswith(("-dev", "-share", "-dirs"))
            ):
                raise ValueError(
                    f"app name '{name}' clashes with a Dockerfile stage name; "
                    "avoid 'base', 'uv', 'tools', 'venv', 'deps-*', 'code-*', '*-dev', '*-dirs' "
                    "and '*-share'"
                )
            if not APP_NAME.match(name):
                raise ValueError(
                    f"app name '{name}' must be lower-case letters, digits and '-', "
                    "starting with a letter"
                )
        return value


@dataclass(frozen=True)
class App:
    """An app of the project: one workspace member that gets images."""

    name: str
    config: AppConfig
    member: Member
    first_party: tuple[Member, ...]  # the member and the workspace members it needs
    share_files: tuple[str, ...] = ()  # member folders its share image carries (they exist)


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    registry: str | None
    base_image: str
    workspace: Workspace
    apps: dict[str, App]
    deploy: dict[str, DeployTarget]
    compression: str = "zstd"
    heavy: tuple[str, ...] = ()  # normalized package names

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    def app(self, name: str) -> App:
        if name not in self.apps:
            known = ", ".join(self.apps)
            raise DockyardError(f"unknown app '{name}'; apps in {self.pyproject}: {known}")
        return self.apps[name]

    def select(self, names: tuple[str, ...] | list[str]) -> list[App]:
        """The named apps (all when none named), in manifest order."""
        if not names:
            return list(self.apps.values())
        for name in names:
            self.app(name)
        return [app for app in self.apps.values() if app.name in names]


def _field_path(loc: tuple) -> str:
    return "tool.dockyard" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc
    )


def _validation_message(path: Path, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if p not in ("function-after[_one_probe()]",))
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown field; check its spelling (see `dockyard init --help`)"
        elif error["type"] == "missing":
            msg = "required field is missing"
        lines.append(f"{path}: {_field_path(loc)}: {msg}")
    return "\n".join(lines)


def parse_config(path: Path, data: dict) -> DockyardConfig:
    raw = table(path, data, "tool").get("dockyard")
    if raw is None:
        raise DockyardError(f"{path}: no [tool.dockyard] table; run `dockyard init` to write one")
    if not isinstance(raw, dict):
        raise DockyardError(f"{path}: [tool.dockyard] must be a table")
    try:
        return DockyardConfig.model_validate(raw)
    except ValidationError as exc:
        raise DockyardError(_validation_message(path, exc)) from None


def _check_references(path: Path, config: DockyardConfig, workspace: Workspace) -> None:
    for name, app in config.apps.items():
        where = f"{path}: tool.dockyard.apps.{name}"
        if normalize(app.member) not in workspace.members:
            known = ", ".join(sorted(workspace.members)) or "none"
            raise DockyardError(
                f"{where}.member: '{app.member}' is not a member of the workspace "
                f"(members: {known}); fix the name or add it to [tool.uv.workspace].members"
            )
        for field_name, refs in (("depends-on", app.depends_on), ("test-needs", app.test_needs)):
            for ref in refs:
                if ref not in config.apps:
                    raise DockyardError(
                        f"{where}.{field_name}: '{ref}' is not an app; "
                        f"apps: {', '.join(config.apps)}"
                    )
                if ref == name:
                    raise DockyardError(f"{where}.{field_name}: an app cannot need itself")
        for field_name, refs in (("depends-on", app.depends_on), ("test-needs", app.test_needs)):
            idle = [ref for ref in refs if config.apps[ref].command is None]
            if idle:
                raise DockyardError(
                    f"{where}.{field_name}: '{idle[0]}' has no command, so there is nothing "
                    "to wait for; give it a command or drop it from this list"
                )
    cycle = _cycle(config)
    if cycle:
        raise DockyardError(
            f"{path}: tool.dockyard.apps.{cycle[0]}: depends-on/test-needs form a cycle "
            f"({' -> '.join(cycle)}); Compose cannot start such services, so break it"
        )


def _cycle(config: DockyardConfig) -> list[str]:
    """The first cycle through depends-on + test-needs (``[a, b, a]``), else ``[]``."""
    return find_cycle(
        config.apps, lambda name: (*config.apps[name].depends_on, *config.apps[name].test_needs)
    )


def _check_targets(path: Path, config: DockyardConfig) -> None:
    for name, target in config.deploy.items():
        where = f"{path}: tool.dockyard.deploy.{name}"
        for app in [*target.apps, *target.app]:
            if app not in config.apps:
                raise DockyardError(
                    f"{where}: '{app}' is not an app; apps: {', '.join(config.apps)}"
                )
        for app in target.apps:
            if config.apps[app].command is None:
                raise DockyardError(
                    f"{where}.apps: '{app}' has no command, so there is nothing to run"
                )


def _share_files(root: Path, name: str, config: AppConfig, member: Member) -> tuple[str, ...]:
    """The member folders the app's share image carries: the listed ones (each must
    exist), or by default the member's notebooks/ folder when it has one."""
    listed = config.share.files if config.share is not None else None
    folder = root / member.path
    if listed is None:
        return ("notebooks",) if (folder / "notebooks").is_dir() else ()
    for path in listed:
        if not (folder / path).is_dir():
            raise DockyardError(
                f"{root / 'pyproject.toml'}: tool.dockyard.apps.{name}.share.files: "
                f"'{path}' is not a folder of {member.path}; fix the path or remove it"
            )
    return tuple(p.strip("/") for p in listed)


def load_project(root: Path | str = ".") -> Project:
    """Read and validate the manifest and workspace at ``root``."""
    root = Path(root).resolve()
    path = root / "pyproject.toml"
    if not path.is_file():
        raise DockyardError(
            f"no pyproject.toml in {root}; run dockyard from the project root "
            "(or pass --project DIR), or `dockyard init` to start one"
        )
    data = read_toml(path)
    config = parse_config(path, data)
    workspace = load_workspace(root)
    _check_references(path, config, workspace)
    _check_targets(path, config)
    apps = {}
    for name, app_config in config.apps.items():
        member = workspace.members[normalize(app_config.member)]
        apps[name] = App(
            name=name,
            config=app_config,
            member=member,
            first_party=tuple(workspace.first_party_closure(member.name)),
            share_files=_share_files(root, name, app_config, member),
        )
    base = os.environ.get("DOCKYARD_BASE_IMAGE") or config.base_image
    return Project(
        root=root,
        name=config.name or workspace.root_name,
        registry=(config.registry or "").rstrip("/") or None,
        base_image=base,
        workspace=workspace,
        apps=apps,
        deploy=dict(config.deploy),
        compression=config.compression,
        heavy=tuple(normalize(name) for name in config.heavy),
    )
