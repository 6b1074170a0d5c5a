"""A registry's HTTP API through oras-py: the manifests and blobs of OCI 1.1 referrers.

oras-py's `Registry` does the registry work: credentials from docker's config.json
(and its credential helpers), the token/basic auth challenge, blob uploads that skip
blobs the registry already has. Its `push()` is not used: it cannot set a manifest's
`artifactType`, pushes the manifest to a tag (each artifact would need a tag of its
own), and neither reads referrers nor keeps the referrers tag schema's index. So
dockyard writes those manifests itself (supply/referrers.py) and PUTs their exact
bytes through the same client.

Plain HTTP only for loopback registries (as the engine and cosign treat them). No
retries with back-off: one clear error at once beats minutes of waiting.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import oras.provider
import requests

from dockyard.engine.images import plain_http

TIMEOUT = 60  # seconds, per request
INDEX = "application/vnd.oci.image.index.v1+json"
# What a registry may serve for an image reference: OCI and Docker manifests and lists.
ACCEPT = (
    "application/vnd.oci.image.manifest.v1+json",
    INDEX,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class RegistryFailure(Exception):
    """The registry did not do what was asked: ``detail`` says why, in its words."""

    def __init__(self, host: str, detail: str, *, unreachable: bool = False) -> None:
        super().__init__(f"{host}: {detail}")
        self.host, self.detail, self.unreachable = host, detail, unreachable


class _Client(oras.provider.Registry):
    """oras-py's registry client, with a timeout on every request and no retry loop."""

    def __init__(self, host: str) -> None:
        super().__init__(hostname=host, insecure=plain_http(host))
        self.session.request = functools.partial(self.session.request, timeout=TIMEOUT)

    # oras-py's do_request retries any exception 5 times with back-off (over 2 minutes
    # for a registry that is down); call the request itself, once.
    def do_request(self, *args, **kwargs):
        return oras.provider.Registry.do_request.__wrapped__(self, *args, **kwargs)


class Repository:
    """One repository of one registry, e.g. 127.0.0.1:5000/team/api."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.host = name.split("/", 1)[0]
        self._client = _Client(self.host)
        self._container = self._client.get_container(f"{self.name}:latest")
        self._client.auth.load_configs(self._container)  # docker's config.json, if any

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = f"{self._client.prefix}://{self.host}/v2/{self._container.api_prefix}/{path}"
        return self._call(self._client.do_request, url, method, **kwargs)

    def _call(self, function, *args, **kwargs) -> requests.Response:
        """One oras-py call; its failures as a RegistryFailure."""
        try:
            return function(*args, **kwargs)
        except requests.exceptions.RequestException as exc:
            raise RegistryFailure(self.host, _short(str(exc)), unreachable=True) from None
        except ValueError as exc:  # oras-py: e.g. an auth challenge it could not answer
            raise RegistryFailure(self.host, str(exc)) from None

    def _fail(self, what: str, response: requests.Response) -> RegistryFailure:
        try:
            errors = response.json().get("errors") or []
            reason = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        except ValueError:
            reason = ""
        return RegistryFailure(
            self.host, f"{what}: HTTP {response.status_code} {reason or response.reason}".strip()
        )

    def manifest(self, reference: str, accept: tuple[str, ...] = ACCEPT) -> Manifest | None:
        """The manifest at a tag or digest (None when there is none)."""
        response = self._request("GET", f"manifests/{reference}",
                                 headers={"Accept": ", ".join(accept)})  # fmt: skip
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(f"GET manifest {reference}", response)
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return Manifest(media_type, response.content)

    def blob(self, digest: str) -> bytes:
        response = self._request("GET", f"blobs/{digest}")
        if response.status_code != 200:
            raise self._fail(f"GET blob {digest}", response)
        if sha256(response.content) != digest:
            raise RegistryFailure(self.host, f"the blob {digest} came back with other bytes")
        return response.content

    def put_blob(self, data: bytes, media_type: str) -> None:
        """Upload ``data`` unless the registry has it (oras-py: HEAD, then POST and PUT)."""
        layer = {"mediaType": media_type, "digest": sha256(data), "size": len(data)}
        with tempfile.TemporaryDirectory(prefix="dockyard-blob-") as tmp:
            path = Path(tmp) / "blob"
            path.write_bytes(data)
            response = self._call(self._client.upload_blob, str(path), self._container, layer)
        if response.status_code not in (200, 201, 202):
            raise self._fail(f"upload blob {layer['digest']}", response)

    def put_manifest(self, data: bytes, media_type: str, reference: str) -> dict[str, str]:
        """PUT a manifest's exact bytes at ``reference`` (a tag, or its digest); the
        response headers, lower-case (oci-subject says the registry keeps the referrers list)."""
        response = self._request("PUT", f"manifests/{reference}", data=data,
                                 headers={"Content-Type": media_type})  # fmt: skip
        if response.status_code not in (200, 201):
            raise self._fail(f"PUT manifest {reference}", response)
        return {key.lower(): value for key, value in response.headers.items()}

    def referrers(self, digest: str) -> dict | None:
        """The referrers API's list for ``digest``; None when the registry has no such API."""
        response = self._request("GET", f"referrers/{digest}", headers={"Accept": INDEX})
        if response.status_code == 200 and response.headers.get("Content-Type", "").startswith(
            INDEX
        ):
            return response.json()
        return None


@dataclass(frozen=True)
class Manifest:
    media_type: str
    data: bytes


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _short(detail: str) -> str:
    """requests' long connection errors -> their last, telling part."""
    for marker in ("Connection refused", "timed out", "Name or service not known"):
        if marker in detail:
            return marker.lower()
    return detail.rsplit(": ", 1)[-1].strip("'\")( ") or detail
