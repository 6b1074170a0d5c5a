"""A deploy target's releases: what runs now and what `rollback` can go back to (pure).

The state lives on the server, in ``<directory>/dockyard-state.json``, so any machine
that deploys sees the same history. Releases are kept newest first.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from dockyard.errors import DockyardError

STATE_FILE = "dockyard-state.json"


@dataclass(frozen=True)
class Release:
    id: int
    deployed_at: str  # UTC, ISO 8601
    images: dict[str, str]  # app -> image reference (by digest)
    versions: dict[str, str]  # app -> the tag it came from
    compose: str  # the compose (or stack) file that ran it

    def summary(self) -> str:
        apps = ", ".join(f"{app} {version}" for app, version in self.versions.items())
        return f"release {self.id} ({apps})"


@dataclass(frozen=True)
class State:
    current: int | None = None
    releases: tuple[Release, ...] = field(default_factory=tuple)
    # what the last deploy or rollback that did not finish left behind, for `status`
    note: str | None = None

    def release(self, release_id: int | None) -> Release | None:
        return next((r for r in self.releases if r.id == release_id), None)

    @property
    def running(self) -> Release | None:
        return self.release(self.current)

    def previous(self) -> Release | None:
        """The newest release older than the current one: what `rollback` goes back to."""
        older = [r for r in self.releases if self.current is not None and r.id < self.current]
        return max(older, key=lambda r: r.id, default=None)


def parse_state(text: str | None, where: str) -> State:
    if not text or not text.strip():
        return State()
    try:
        data = json.loads(text)
        releases = tuple(Release(**r) for r in data["releases"])
        return State(current=data.get("current"), releases=releases, note=data.get("note"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DockyardError(
            f"{where} is damaged ({type(exc).__name__}: {exc}); dockyard changed nothing on "
            "the server. It holds the release history that `rollback` needs, so repair it "
            "by hand (its previous version is next to it, in "
            f"{STATE_FILE}.previous), then run the command again"
        ) from None


def dump_state(state: State) -> str:
    data: dict = {"current": state.current, "releases": [asdict(r) for r in state.releases]}
    if state.note:
        data["note"] = state.note
    return json.dumps(data, indent=2) + "\n"


def with_note(state: State, note: str | None) -> State:
    return State(current=state.current, releases=state.releases, note=note)


def add_release(
    state: State,
    *,
    images: dict[str, str],
    versions: dict[str, str],
    compose: str,
    deployed_at: str,
    keep: int,
) -> tuple[State, Release]:
    """A new current release; the ``keep`` newest earlier ones stay for rollback."""
    new_id = max((r.id for r in state.releases), default=0) + 1
    release = Release(new_id, deployed_at, dict(images), dict(versions), compose)
    earlier = sorted(state.releases, key=lambda r: r.id, reverse=True)[:keep]
    return State(current=new_id, releases=(release, *earlier)), release


def make_current(state: State, release_id: int) -> State:
    if state.release(release_id) is None:
        raise DockyardError(f"release {release_id} is not kept on the server")
    return State(current=release_id, releases=state.releases)


def dropped_images(before: State, after: State) -> set[str]:
    """Images no kept release uses any more (safe to remove from the server)."""
    kept = {ref for r in after.releases for ref in r.images.values()}
    return {ref for r in before.releases for ref in r.images.values()} - kept


def pick_release(state: State, release_id: int | None, target_name: str) -> Release:
    """The release `rollback` runs: the one asked for, or the one before the running one."""
    if release_id is not None:
        chosen = state.release(release_id)
        if chosen is None:
            kept = ", ".join(str(r.id) for r in state.releases) or "none"
            raise DockyardError(f"release {release_id} is not kept on '{target_name}' ({kept})")
        return chosen
    previous = state.previous()
    if previous is None:
        raise DockyardError(
            f"deploy target '{target_name}' keeps no release older than the running one; "
            "nothing to roll back to"
        )
    return previous
