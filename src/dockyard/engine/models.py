"""Typed views of the parts of docker's JSON that dockyard reads (`docker image inspect`,
`docker container inspect`, `docker service inspect`), so callers get fields, not dict
lookups. Docker's own field names are the aliases; everything else docker sends is kept
(``extra="allow"``) but not typed. Tested against JSON captured from a real engine."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Docker(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any, info: Any) -> Any:
        """docker writes null for an empty list or map (``"Labels": null``)."""
        if value is None:
            field = cls.model_fields[info.field_name]
            if field.default_factory is not None:
                return field.default_factory()  # type: ignore[call-arg]
        return value


class ImageConfig(_Docker):
    labels: dict[str, str] = Field(default_factory=dict, alias="Labels")


class RootFS(_Docker):
    layers: list[str] = Field(default_factory=list, alias="Layers")


class Image(_Docker):
    """One entry of `docker image inspect`."""

    id: str = Field(alias="Id")
    repo_tags: list[str] = Field(default_factory=list, alias="RepoTags")
    repo_digests: list[str] = Field(default_factory=list, alias="RepoDigests")
    config: ImageConfig = Field(default_factory=ImageConfig, alias="Config")
    root_fs: RootFS = Field(default_factory=RootFS, alias="RootFS")

    def digests_of(self, repository: str) -> list[str]:
        """The ``sha256:...`` digests this image has in ``repository`` (no tag)."""
        return [d.split("@", 1)[1] for d in self.repo_digests if d.split("@", 1)[0] == repository]


class HealthProbe(_Docker):
    exit_code: int | None = Field(default=None, alias="ExitCode")
    output: str = Field(default="", alias="Output")


class Health(_Docker):
    status: str = Field(default="", alias="Status")
    log: list[HealthProbe] = Field(default_factory=list, alias="Log")


class ContainerState(_Docker):
    status: str = Field(default="", alias="Status")
    exit_code: int | None = Field(default=None, alias="ExitCode")
    started_at: str | None = Field(default=None, alias="StartedAt")
    health: Health | None = Field(default=None, alias="Health")

    @property
    def health_status(self) -> str | None:
        """The healthcheck's status; None when the container has no healthcheck."""
        return self.health.status if self.health is not None else None


class RestartPolicy(_Docker):
    name: str = Field(default="", alias="Name")


class HostConfig(_Docker):
    restart_policy: RestartPolicy = Field(default_factory=RestartPolicy, alias="RestartPolicy")


class ContainerConfig(ImageConfig):
    image: str = Field(default="", alias="Image")  # the reference it was started from


class Endpoint(_Docker):
    ip_address: str = Field(default="", alias="IPAddress")
    global_ipv6_address: str = Field(default="", alias="GlobalIPv6Address")


class NetworkSettings(_Docker):
    networks: dict[str, Endpoint] = Field(default_factory=dict, alias="Networks")


class Container(_Docker):
    """One entry of `docker container inspect`."""

    id: str = Field(alias="Id")
    name: str = Field(default="", alias="Name")
    image: str = Field(default="", alias="Image")  # the image's id (sha256:...)
    state: ContainerState = Field(default_factory=ContainerState, alias="State")
    restart_count: int = Field(default=0, alias="RestartCount")
    config: ContainerConfig = Field(default_factory=ContainerConfig, alias="Config")
    host_config: HostConfig = Field(default_factory=HostConfig, alias="HostConfig")
    network_settings: NetworkSettings = Field(
        default_factory=NetworkSettings, alias="NetworkSettings"
    )

    @property
    def labels(self) -> dict[str, str]:
        return self.config.labels


class ContainerSpec(_Docker):
    image: str = Field(default="", alias="Image")
    labels: dict[str, str] = Field(default_factory=dict, alias="Labels")


class TaskTemplate(_Docker):
    container_spec: ContainerSpec = Field(default_factory=ContainerSpec, alias="ContainerSpec")


class Replicated(_Docker):
    replicas: int = Field(default=1, alias="Replicas")


class ServiceMode(_Docker):
    replicated: Replicated | None = Field(default=None, alias="Replicated")


class ServiceSpec(_Docker):
    name: str = Field(alias="Name")
    labels: dict[str, str] = Field(default_factory=dict, alias="Labels")
    task_template: TaskTemplate = Field(default_factory=TaskTemplate, alias="TaskTemplate")
    mode: ServiceMode = Field(default_factory=ServiceMode, alias="Mode")

    @property
    def replicas(self) -> int:
        """The replicas asked for; 1 for a service that is not replicated (global)."""
        return self.mode.replicated.replicas if self.mode.replicated is not None else 1


class UpdateStatus(_Docker):
    state: str = Field(default="", alias="State")
    started_at: str | None = Field(default=None, alias="StartedAt")
    message: str = Field(default="", alias="Message")


class Service(_Docker):
    """One entry of `docker service inspect`."""

    id: str = Field(alias="ID")
    spec: ServiceSpec = Field(alias="Spec")
    updated_at: str | None = Field(default=None, alias="UpdatedAt")
    update_status: UpdateStatus | None = Field(default=None, alias="UpdateStatus")

    @property
    def update_started_at(self) -> str | None:
        """When the last update started; None when there was none."""
        return self.update_status.started_at if self.update_status is not None else None

    @property
    def update_state(self) -> str:
        """The last update's state; "" when there was none."""
        return self.update_status.state if self.update_status is not None else ""
