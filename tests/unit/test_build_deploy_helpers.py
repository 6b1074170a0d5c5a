"""Small pure helpers of build, verify and deploy: layer blobs, retries, rollout order."""

from __future__ import annotations


def test_open_layer_reads_plain_gzip_and_zstd_tars() -> None:
    import gzip
    import io
    import tarfile

    import zstandard

    from dockyard.layerfile import open_layer

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("opt/venv/x.py")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"x = 1"))
    plain = buffer.getvalue()
    for blob in (plain, gzip.compress(plain), zstandard.ZstdCompressor().compress(plain)):
        with open_layer(io.BytesIO(blob)) as tar:
            assert [(m.name, tar.extractfile(m).read()) for m in tar] == [
                ("opt/venv/x.py", b"x = 1")
            ]


def test_only_buildkits_lost_graph_state_is_worth_a_second_try() -> None:
    from dockyard.engine.docker import is_transient

    lost = "ERROR: failed to solve: failed to get edge: inconsistent graph state"
    assert is_transient(["#12 [api deps-api 1/1] RUN ...", lost])
    assert not is_transient(["ERROR: failed to solve: process did not complete: exit code: 1"])
    assert not is_transient([])


def test_a_compose_update_replaces_running_apps_dependencies_first() -> None:
    from types import SimpleNamespace

    from dockyard.deploy.compose import rollout_order

    def app(*needs: str) -> SimpleNamespace:
        return SimpleNamespace(config=SimpleNamespace(depends_on=list(needs)))

    project = SimpleNamespace(apps={"api": app("parser"), "parser": app(), "bot": app("api")})
    running = {"api", "parser", "bot"}
    assert rollout_order(project, ["api", "parser", "bot"], running) == ["parser", "api", "bot"]
    # an app not running yet (first deploy, or a new app) is left to the final `up`
    assert rollout_order(project, ["api", "parser", "bot"], {"api"}) == ["api"]
    assert rollout_order(project, ["bot"], running) == ["bot"]
