"""transfer = "ssh": the manifest key, the server registry's image recipe, the references
the server pulls, the byte count and the one-line errors (pure)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.deploy.target import Target, open_target
from dockyard.deploy.transfer import (
    CONFIG,
    bytes_gained,
    dockerfile,
    human_bytes,
    image_tag,
    sent_line,
    server_reference,
    server_repository,
    swarm_refusal,
    tunnel_error,
)
from dockyard.engine.apt import Deb
from dockyard.engine.portforward import TunnelFailed
from dockyard.errors import DockyardError
from dockyard.manifest import load_project

SSH_TARGET = '\n[tool.dockyard.deploy.prod]\nhost = "ssh://root@server:2222"\napps = ["web"]\n'
DEB = Deb(Path("docker-registry_2.8.2+ds1-1_amd64.deb"), "docker-registry", "2.8.2+ds1-1",
          "amd64", "a9" * 32)  # fmt: skip


def _with_target(root: Path, extra: str) -> Path:
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + extra)
    return root


def _target(root: Path, extra: str = 'transfer = "ssh"\n') -> Target:
    return open_target(load_project(_with_target(root, SSH_TARGET + extra)), "prod")


def test_transfer_is_registry_unless_the_target_says_ssh(mini: Path, tmp_path: Path) -> None:
    assert load_project(_with_target(mini, SSH_TARGET)).deploy["prod"].transfer == "registry"
    other = shutil.copytree(mini, tmp_path / "other")
    (other / "pyproject.toml").write_text(
        (mini / "pyproject.toml").read_text() + 'transfer = "ssh"\n'
    )
    assert load_project(other).deploy["prod"].transfer == "ssh"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ('\n[tool.dockyard.deploy.prod]\napps = ["web"]\ntransfer = "ssh"\n',
         'transfer = "ssh" sends the images over ssh: set host = "ssh://user@server"'),
        ('\n[tool.dockyard.deploy.prod]\nhost = "tcp://server:2375"\napps = ["web"]\n'
         'transfer = "ssh"\n', 'set host = "ssh://user@server"'),
        (SSH_TARGET + 'transfer = "ssh"\nrequire-signature = "cosign.pub"\n',
         'require-signature needs transfer = "registry"'),
        (SSH_TARGET + 'transfer = "scp"\n', "transfer: Input should be 'registry' or 'ssh'"),
    ],
)  # fmt: skip
def test_a_transfer_that_cannot_work_is_refused_at_load(
    mini: Path, target: str, expected: str
) -> None:
    with pytest.raises(DockyardError) as info:
        load_project(_with_target(mini, target))
    assert "tool.dockyard.deploy.prod" in str(info.value) and expected in str(info.value)


def test_the_registry_image_is_debians_binary_on_the_base_with_its_provenance() -> None:
    text = dockerfile("dockyard/python:3.11-bookworm", DEB)
    assert text.splitlines()[3] == "FROM dockyard/python:3.11-bookworm"
    assert "COPY docker-registry /usr/local/bin/docker-registry" in text
    assert 'io.dockyard.registry.package="docker-registry=2.8.2+ds1-1"' in text
    assert f'io.dockyard.registry.package.sha256="{"a9" * 32}"' in text
    assert 'ENTRYPOINT ["/usr/local/bin/docker-registry"]' in text
    assert "http://127.0.0.1:5000/v2/" in text  # the healthcheck, inside the container
    assert "addr: :5000" in CONFIG and "rootdirectory: /var/lib/registry" in CONFIG


def test_the_image_tag_names_the_package_version_and_the_recipe() -> None:
    assert image_tag("2.8.2+ds1-1") == "dockyard-registry:distribution-2.8.2-ds1-1-1"
    assert image_tag("2.8.3~rc1+ds1-2+b8") == "dockyard-registry:distribution-2.8.3-rc1-ds1-2-b8-1"


def test_the_server_pulls_from_its_own_loopback_by_digest(mini: Path) -> None:
    target = _target(mini)
    repository = server_repository(target, "web")
    assert repository == "mini/web"
    digest = "sha256:" + "12" * 32
    assert server_reference(5555, repository, digest) == f"127.0.0.1:5555/mini/web@{digest}"


def test_bytes_sent_are_the_blobs_the_registry_gained() -> None:
    before = {"sha256:a": 50_000_000, "sha256:b": 1_000}
    after = {**before, "sha256:c": 80_000, "sha256:d": 908}
    assert bytes_gained(before, after) == 80_908
    assert bytes_gained(after, after) == 0
    line = sent_line("dockyard-registry", "ssh://root@server", 80_908, 112_020)
    assert line.startswith("sent 80.9 kB to the registry dockyard-registry on ssh://root@server")
    assert "(80908 bytes of blobs; 112020 bytes through ssh)" in line
    assert "; ? bytes through ssh)" in sent_line("r", "s", 0, None)


@pytest.mark.parametrize(
    ("n", "shown"), [(0, "0 B"), (999, "999 B"), (80_908, "80.9 kB"), (137_503_776, "137.5 MB")]
)
def test_human_bytes(n: int, shown: str) -> None:
    assert human_bytes(n) == shown


def test_a_forward_that_does_not_open_says_what_to_check(mini: Path) -> None:
    failure = TunnelFailed("ssh: connect to host server port 2222: Connection refused")
    line = tunnel_error("deploy target 'prod'", _target(mini).engine.address,
                        "dockyard-registry", failure, "")  # fmt: skip
    assert line.startswith("deploy target 'prod': could not open an ssh port forward to ")
    assert "ssh://root@server:2222 (ssh: connect to host server port 2222" in line
    assert "`ssh -l root -p 2222 -- server` works" in line and "AllowTcpForwarding" in line
    assert line.endswith("nothing was changed there") and "\n" not in line


def test_a_registry_that_does_not_answer_names_it_and_its_log(mini: Path) -> None:
    failure = TunnelFailed("nothing answers there (connect failed: refused)", far_end=True)
    line = tunnel_error("deploy target 'prod'", "ssh://root@server:2222", "dockyard-registry",
                        failure, "panic: bad config")  # fmt: skip
    assert line.startswith(
        "deploy target 'prod': the registry dockyard-registry on ssh://root@server:2222 "
        "does not answer through the ssh tunnel (nothing answers there"
    )
    assert "its log: panic: bad config" in line and "`docker logs dockyard-registry`" in line
    assert line.endswith("nothing was changed there")


def test_a_swarm_of_several_nodes_is_refused() -> None:
    line = swarm_refusal("deploy target 'prod'", 3)
    assert "the other 2 node(s) of this swarm cannot reach" in line
    assert line.endswith('use transfer = "registry" (a registry every node reaches)')
