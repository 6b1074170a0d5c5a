"""The AST scan that tells apps from libraries."""

from __future__ import annotations

from pathlib import Path

from dockyard.adopt.pyscan import find_app_objects, import_packages, imported_roots, scan_package


def test_app_objects_of_each_framework() -> None:
    fastapi = (
        'from fastapi import FastAPI\napp = FastAPI(title="x")\n@app.get("/health")\ndef h(): ...\n'
    )
    [app] = find_app_objects(fastapi, "pkg.main")
    assert (app.module, app.variable, app.kind, app.port, app.health) == (
        "pkg.main",
        "app",
        "asgi",
        8000,
        "/health",
    )
    [flask] = find_app_objects("import flask\nserver: flask.Flask = flask.Flask(__name__)\n", "w")
    assert (flask.variable, flask.framework, flask.kind, flask.port) == (
        "server",
        "Flask",
        "wsgi",
        5000,
    )
    starlette = "from starlette.applications import Starlette\napplication = Starlette(routes=[])\n"
    assert find_app_objects(starlette, "s")[0].framework == "Starlette"


def test_not_app_objects() -> None:
    assert find_app_objects("def make():\n    app = FastAPI()\n    return app\n", "m") == []
    assert find_app_objects("app = create_app()\n", "m") == []
    assert find_app_objects("def broken(:\n", "m") == []


def test_imports_are_absolute_top_level_names() -> None:
    source = "import os.path\nfrom lol_data.models import Game\nfrom . import sibling\n"
    assert imported_roots(source) == {"os", "lol_data"}


def test_scan_skips_tests_and_finds_src_packages(tmp_path: Path) -> None:
    pkg = tmp_path / "src" / "svc"
    (pkg / "tests").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "web.py").write_text("from fastapi import FastAPI\napi = FastAPI()\n")
    (pkg / "tests" / "test_web.py").write_text("from fastapi import FastAPI\nfake = FastAPI()\n")
    assert import_packages(tmp_path) == [pkg]
    apps, imports = scan_package(pkg)
    assert [(a.module, a.variable) for a in apps] == [("svc.web", "api")]
    assert "fastapi" in imports
