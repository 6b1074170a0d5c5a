"""`dockyard deploy` on compose targets: the order running apps are replaced in (pure)."""

from __future__ import annotations


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
