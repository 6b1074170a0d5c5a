"""The example on a multi-node swarm of real engines (nested on this machine), as one
story in file order: the cluster -> deploy -> faults. See tests/cluster/harness.py.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from harness import Cluster, sh


def test_nodes_form_one_swarm(cluster: Cluster) -> None:
    rows = cluster.swarm_nodes(cluster.first)
    assert sorted(rows) == [n.short for n in cluster.nodes]
    assert all(row["Status"] == "Ready" for row in rows.values())
    assert [h for h, row in rows.items() if row["ManagerStatus"]] == ["n1"]
    for node in cluster.nodes:  # each its own engine, on its own volume, not vfs
        info = node.docker("info", "--format", "{{.Name}} {{.Driver}} {{.Swarm.LocalNodeState}}")
        assert info.stdout.split() == [node.short, "overlay2", "active"]


def test_every_node_pulls_from_the_registry(cluster: Cluster) -> None:
    """The registry answers each node on the bridge, and under the loopback name too."""
    assert cluster.registry is not None
    ref = f"{cluster.registry.alias}/{cluster.run}/base:probe"
    sh(["docker", "tag", cluster.base_image, ref])
    try:
        sh(["docker", "push", "-q", ref])
        digests = sh(["docker", "image", "inspect", ref, "--format", "{{json .RepoDigests}}"])
        repo = ref.rsplit(":", 1)[0]
        pinned = next(d for d in json.loads(digests.stdout) if d.startswith(repo + "@sha256:"))
        direct = pinned.replace(cluster.registry.alias, cluster.registry.bridge)

        def pull(node):
            node.docker("pull", "-q", pinned, timeout=600)
            node.docker("pull", "-q", direct, timeout=600)
            return node.docker("run", "--rm", pinned, "python3", "-c", "print('ok')").stdout

        with ThreadPoolExecutor(len(cluster.nodes)) as pool:
            assert list(pool.map(pull, cluster.nodes)) == ["ok\n"] * len(cluster.nodes)
    finally:
        sh(["docker", "image", "rm", ref], check=False)
