"""What a swarm deploy says about a service that did not come up in time (pure)."""

from __future__ import annotations

from dockyard.deploy.swarm import task_summary


def test_a_late_service_is_explained_by_its_newest_task_error() -> None:
    error = "failed to bind host port 0.0.0.0:18081/tcp: address already in use"
    listing = f"Rejected 3 seconds ago\t{error}\nRejected 9 seconds ago\tan older error\n"
    assert task_summary(listing) == f"Rejected 3 seconds ago: {error}"


def test_without_an_error_the_newest_state_is_said() -> None:
    assert task_summary("Preparing 2 minutes ago\t\nShutdown 3 minutes ago\t\n") == (
        "Preparing 2 minutes ago"
    )
    assert task_summary("") == ""
