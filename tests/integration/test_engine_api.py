"""dockyard.engine.api against the real engine: what it answers over the socket is what
the docker CLI answers, so a build that asks it instead of the CLI sees the same images."""

from __future__ import annotations

import json

import pytest

from dockyard.engine import api, docker
from helpers import docker as cli
from helpers import inspect


def test_an_images_inspect_is_the_clis_and_a_missing_one_is_left_out(base_image: str) -> None:
    missing = "dockyard-test/no-such-image:0"
    answers = api.inspect_images([base_image, missing])
    assert answers == [inspect(base_image)]
    found = docker.inspect_images([missing, base_image])
    assert list(found) == [base_image] and found[base_image].id == inspect(base_image)["Id"]
    assert docker.inspect_image(missing) is None and not docker.has_image(missing)


def test_a_tag_given_over_the_socket_names_the_same_image(base_image: str) -> None:
    names = ["dockyard-test/api-tag:1", "127.0.0.1:5999/dockyard-test/api-tag"]
    try:
        docker.tag(base_image, names)
        for name in names:
            assert inspect(name)["Id"] == inspect(base_image)["Id"]
        assert not api.tag(base_image, "Not A Name")  # refused: the CLI then says why
    finally:
        cli("image", "rm", *names, check=False)


def test_the_engine_version_is_the_clis(engine: str) -> None:
    assert api.engine_version() == engine


def test_an_engine_elsewhere_is_left_to_the_cli(
    base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same engine, named the way the CLI reads it but not by a unix socket
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert api.inspect_images([base_image]) is None
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert json.dumps(api.inspect_images([base_image])) == json.dumps([inspect(base_image)])
