"""dockyard.devuser: which uid:gid dev containers run as."""

from __future__ import annotations

import pytest

from dockyard.devuser import dev_ids
from dockyard.errors import DockyardError

# ---- which uid:gid ----


@pytest.mark.parametrize(
    ("environ", "user", "owner", "expected"),
    [
        ({}, (1234, 1235), (1000, 1000), (1234, 1235)),  # a user: their own ids
        ({}, (0, 0), (1000, 1001), (1000, 1001)),  # root (sudo, CI): the tree's owner
        ({}, (0, 0), (0, 0), (0, 0)),  # root's own tree stays root's
        ({"DOCKYARD_UID": "42"}, (1234, 1235), (0, 0), (42, 1235)),
        ({"DOCKYARD_UID": "42", "DOCKYARD_GID": " 43 "}, (0, 0), (7, 7), (42, 43)),
    ],
)
def test_dev_ids(environ: dict, user: tuple, owner: tuple, expected: tuple) -> None:
    assert dev_ids(environ, user, owner) == expected


def test_dev_ids_reject_a_name() -> None:
    with pytest.raises(DockyardError, match="DOCKYARD_UID='alice' is not a numeric id"):
        dev_ids({"DOCKYARD_UID": "alice"}, (1000, 1000), (1000, 1000))
