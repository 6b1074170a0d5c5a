"""The swarm stack file: placement constraints of a target's apps (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dockyard.errors import DockyardError
from dockyard.manifest import load_project
from dockyard.render.server import DeployImage
from dockyard.render.stack import render_stack

TARGET = """
[tool.dockyard.deploy.cluster]
kind = "swarm"
apps = ["web"]

[tool.dockyard.deploy.cluster.app.web]
volumes = ["state:/state"]
placement = [{constraints}]
"""

IMAGE = DeployImage("web", "reg.example/mini/web@sha256:" + "ab" * 32, "0.2.0-abc")


def _project(mini: Path, constraints: str):
    with (mini / "pyproject.toml").open("a") as handle:
        handle.write(TARGET.format(constraints=constraints))
    return load_project(mini)


def test_placement_pins_an_app_to_the_node_of_its_volume(mini: Path) -> None:
    project = _project(mini, '"node.labels.mini.state == true", "node.role!=manager"')
    text = render_stack(project, "cluster", project.deploy["cluster"], {"web": IMAGE})
    deploy = yaml.safe_load(text)["services"]["web"]["deploy"]
    assert deploy["placement"] == {
        "constraints": ["node.labels.mini.state == true", "node.role!=manager"]
    }
    assert deploy["replicas"] == 1


def test_no_placement_leaves_it_to_swarm(mini: Path) -> None:
    project = _project(mini, "")
    text = render_stack(project, "cluster", project.deploy["cluster"], {"web": IMAGE})
    assert "placement" not in yaml.safe_load(text)["services"]["web"]["deploy"]


def test_a_malformed_constraint_names_the_field(mini: Path) -> None:
    with pytest.raises(DockyardError, match=r"app\.web\.placement.*'labels\.db = 1'"):
        _project(mini, '"labels.db = 1"')
