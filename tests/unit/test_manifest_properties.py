"""Property: any [tool.dockyard] table and any member files either load or fail with
dockyard's one error type (one line for the user), never with another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import tomlkit
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dockyard.errors import DockyardError
from dockyard.manifest import Project, load_project

APP_FIELDS = [
    "member", "command", "dev-command", "healthcheck", "environment", "ports", "volumes",
    "writable", "depends-on", "profiles", "restart", "test-needs", "test-command",
]  # fmt: skip
TARGET_FIELDS = ["kind", "routing", "host", "context", "apps", "directory", "keep",
                 "health-timeout", "app"]  # fmt: skip
TOP_FIELDS = ["name", "registry", "base-image", "compression", "apps", "deploy"]
# values that are close to right: where validation has to be careful
NEAR_MISSES = [
    "8000", "8000:8000", "[::1]:8000:8000", "8000-8001:8000-8001", "99999", "0", "a:b:c:d",
    "db", "db:/data", "./x", "./x:/x:ro", "/", "/a/../b", "x.", "mini", "a", "b", "web",
    "http://", "http://127.0.0.1:8000/health", "https://r.example/x", "localhost:5000",
    "10s", "soon", "ssh://root@h", "compose", "swarm", "gateway", "", "$HOME", "é", "\x00",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(NEAR_MISSES),
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
keys = st.one_of(st.sampled_from(APP_FIELDS + TARGET_FIELDS + TOP_FIELDS), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)


def _table(fields: list[str], inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.dictionaries(st.one_of(st.sampled_from(fields), keys), inner, max_size=len(fields))


near = st.sampled_from(NEAR_MISSES)
names = st.sampled_from(["web", "tool", "x", "base"])
strings = st.lists(st.one_of(near, st.text(min_size=1, max_size=6)), max_size=3)
# apps and targets close to valid, so that loading gets past the first field it checks
near_app = st.fixed_dictionaries(
    {"member": st.sampled_from(["a", "b", "c"])},
    optional={
        "command": st.one_of(strings, values),
        "dev-command": strings,
        "ports": st.one_of(st.lists(near, max_size=3), values),
        "volumes": st.one_of(st.lists(near, max_size=3), values),
        "writable": st.one_of(st.lists(near, max_size=2), values),
        "depends-on": st.lists(names, max_size=2),
        "test-needs": st.lists(names, max_size=2),
        "environment": st.one_of(st.dictionaries(st.text(max_size=4), near, max_size=2), values),
        "healthcheck": st.one_of(
            st.fixed_dictionaries({}, optional={"http": near, "command": strings}), values
        ),
        "restart": st.one_of(st.sampled_from(["no", "always"]), values),
    },
)
near_target = st.fixed_dictionaries(
    {"apps": st.lists(names, min_size=1, max_size=2)},
    optional={
        "kind": st.sampled_from(["compose", "swarm", "k8s"]),
        "host": near,
        "directory": near,
        "app": st.dictionaries(
            names,
            st.fixed_dictionaries(
                {}, optional={"ports": st.lists(near), "volumes": st.lists(near)}
            ),
            max_size=2,
        ),
    },
)
good_app = st.fixed_dictionaries(
    {"member": st.sampled_from(["a", "b", "c"])},
    optional={
        "command": st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=2),
        "depends-on": st.lists(names, max_size=2),
        "test-needs": st.lists(names, max_size=1),
        "ports": st.lists(st.sampled_from(["8000", "[::1]:80:80", "1-2:1-2", "99999"]), max_size=2),
    },
)
app = st.one_of(near_app, _table(APP_FIELDS, values), values)
target = st.one_of(near_target, _table(TARGET_FIELDS, values), values)
near_table = st.fixed_dictionaries(
    {"apps": st.dictionaries(names, st.one_of(good_app, good_app, near_app, app), max_size=3)},
    optional={
        "name": st.one_of(st.just("ok"), near, values),
        "registry": st.one_of(st.just("localhost:5000/t"), near, values),
        "deploy": st.dictionaries(
            st.sampled_from(["prod", "t"]), st.one_of(near_target, target), max_size=2
        ),
    },
)
# mostly near-valid tables (one_of draws its branches equally often)
dockyard_table = st.one_of(near_table, near_table, near_table, _table(TOP_FIELDS, values), values)
member_file = st.one_of(
    st.fixed_dictionaries(
        {
            "project": st.fixed_dictionaries(
                {"name": st.sampled_from(["a", "b", "c"]), "version": st.just("1.0")},
                optional={
                    "dependencies": st.one_of(st.lists(st.sampled_from(["a", "b", "idna"])), values)
                },
            )
        }
    ),
    st.dictionaries(keys, values, max_size=3),
    st.binary(max_size=40),
)


def _write(path: Path, content: dict | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(tomlkit.dumps(content))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=dockyard_table,
    members=st.lists(member_file, min_size=0, max_size=1),
    workspace=st.one_of(
        st.just({"members": ["packages/*"]}), st.just({"members": ["packages/*"]}), values
    ),
)
def test_any_manifest_loads_or_raises_one_error_type(
    table: object, members: list[dict | bytes], workspace: object
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(
            root / "pyproject.toml",
            {
                "project": {"name": "p", "version": "0.1.0"},
                "tool": {"uv": {"package": False, "workspace": workspace}, "dockyard": table},
            },
        )
        # two good members (so that many tables load and reach the later checks), then any
        _write(root / "packages/a/pyproject.toml", {"project": {"name": "a", "version": "1"}})
        _write(
            root / "packages/b/pyproject.toml",
            {"project": {"name": "b", "version": "1", "dependencies": ["a"]}},
        )
        for index, content in enumerate(members):
            _write(root / "packages" / f"m{index}" / "pyproject.toml", content)
        try:
            project = load_project(root)
        except DockyardError as exc:
            assert str(exc).strip()
            event(f"refused: {str(exc).split(': ', 2)[-1][:40]}")
        else:
            assert isinstance(project, Project)
            event("loaded")
