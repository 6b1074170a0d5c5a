"""Heavy packages get layers of their own, copied into each app below its other packages."""

from __future__ import annotations

from types import SimpleNamespace

from dockyard.plan import HEAVY_BYTES, AppPlan, Plan, Requirement, shared_layers


def _req(name: str, version: str, digest: str) -> Requirement:
    return Requirement(name, version, f"{name}=={version} \\\n    --hash=sha256:{digest * 64}")


def _app_plan(name: str, *reqs: Requirement) -> AppPlan:
    app = SimpleNamespace(name=name)  # only its name matters to the layer tree
    return AppPlan(app, f"x/{name}", "1", reqs, ())  # type: ignore[arg-type]


def _layers(wheel_sizes: dict, heavy: tuple[str, ...] = ()):
    pyd, sqla, numpy = (
        _req("pydantic", "2", "a"),
        _req("sqlalchemy", "2", "b"),
        _req("numpy", "2", "c"),
    )
    scipy, sklearn, joblib = (
        _req("scipy", "1", "d"),
        _req("scikit-learn", "1", "e"),
        _req("joblib", "1", "f"),
    )
    pandas, discord = _req("pandas", "1", "g"), _req("discord", "1", "h")
    apps = [
        _app_plan("parser", pyd, sqla, numpy, scipy, sklearn, joblib),
        _app_plan("api", pyd, sqla),
        _app_plan("scripts", pyd, sqla, numpy, pandas),
        _app_plan("bot", pyd, discord),
    ]
    sizes = {
        ("numpy", "2"): 16_000_000,
        ("sqlalchemy", "2"): 3_000_000,
        ("pydantic", "2"): 2_000_000,
    }
    return apps, shared_layers(apps, sizes, heavy, wheel_sizes)


def test_heavy_packages_sit_below_the_small_ones_and_are_shared() -> None:
    big = {(n, v): HEAVY_BYTES for n, v in (("numpy", "2"), ("scipy", "1"), ("scikit-learn", "1"))}
    apps, layers = _layers(big)
    assert [(g.stage, g.apps, [r.name for r in g.requirements]) for g in layers] == [
        ("deps-common", ("parser", "api", "scripts", "bot"), ["pydantic"]),
        ("deps.parser.api.scripts", ("parser", "api", "scripts"), ["sqlalchemy"]),
        # numpy alone in the parser+scripts group: no light layer for that group
        ("heavy.numpy", ("parser", "scripts"), ["numpy"]),
        ("heavy.scikit-learn", ("parser",), ["scikit-learn"]),
        ("heavy.scipy", ("parser",), ["scipy"]),
    ]
    assert [g.heavy for g in layers] == [False, False, True, True, True]
    assert layers[3].file == ".dockyard/requirements/heavy.scikit-learn.txt"
    plan = Plan(None, "b", "uv", layers, tuple(apps))  # type: ignore[arg-type]
    # each app copies its heavy layers first, then its groups; its own layer (joblib for
    # the parser) installs none of them
    assert [[g.stage for g in plan.app_layers(a)] for a in ("parser", "scripts", "bot")] == [
        [
            "heavy.numpy",
            "heavy.scikit-learn",
            "heavy.scipy",
            "deps-common",
            "deps.parser.api.scripts",
        ],
        ["heavy.numpy", "deps-common", "deps.parser.api.scripts"],
        ["deps-common"],
    ]
    assert [r.name for r in plan.own_requirements(apps[0])] == ["joblib"]
    assert [r.name for r in plan.own_requirements(apps[2])] == ["pandas"]


def test_a_package_named_heavy_in_the_manifest_gets_a_layer_below_small_sizes() -> None:
    _, layers = _layers({}, heavy=("pandas",))
    assert [g.stage for g in layers if g.heavy] == ["heavy.pandas"]
    assert [g.apps for g in layers if g.heavy] == [("scripts",)]


def test_a_heavy_package_every_app_shares_needs_no_light_layer() -> None:
    apps = [_app_plan("one", _req("torch", "2", "a")), _app_plan("two", _req("torch", "2", "a"))]
    layers = shared_layers(apps, {}, ("torch",))
    assert [(g.stage, g.apps, g.heavy) for g in layers] == [("heavy.torch", ("one", "two"), True)]
    plan = Plan(None, "b", "uv", layers, tuple(apps))  # type: ignore[arg-type]
    assert plan.own_requirements(apps[0]) == ()
