"""A cheap AST scan of Python sources: app objects, health routes, imports, ``__main__``."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# constructor name -> (kind, default port)
APP_CLASSES = {
    "FastAPI": ("asgi", 8000),
    "Starlette": ("asgi", 8000),
    "Quart": ("asgi", 8000),
    "Flask": ("wsgi", 5000),
}
HEALTH_PATHS = ("/health", "/healthz", "/up", "/ping", "/status")
SKIP_DIRS = {"tests", "test", "__pycache__", ".venv", "venv", "node_modules", ".git"}


@dataclass(frozen=True)
class AppObject:
    """``module:variable`` holds a web app built by ``framework``."""

    module: str
    variable: str
    framework: str
    kind: str  # "asgi" or "wsgi"
    port: int
    health: str | None  # a health-looking route, when one is declared


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def _health_route(tree: ast.Module) -> str | None:
    """The first string literal argument that looks like a health path."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in HEALTH_PATHS:
            return node.value
    return None


def find_app_objects(source: str, module: str) -> list[AppObject]:
    """Module-level ``name = FastAPI(...)`` (or Starlette/Quart/Flask) assignments."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        name = _call_name(node.value) if node.value is not None else None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if name in APP_CLASSES and isinstance(targets[0], ast.Name):
            kind, port = APP_CLASSES[name]
            found.append(AppObject(module, targets[0].id, name, kind, port, _health_route(tree)))
    return found


def imported_roots(source: str) -> set[str]:
    """Top-level names of every module ``source`` imports (absolute imports only)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def python_files(package_dir: Path) -> list[Path]:
    """The package's .py files, tests and virtualenvs left out, in a stable order."""
    files = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).parts
        if not any(part in SKIP_DIRS or part.startswith(".") for part in parts[:-1]):
            files.append(path)
    return files


def module_name(package_dir: Path, path: Path) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod`` (package_dir is the folder named ``pkg``)."""
    rel = path.relative_to(package_dir.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def scan_package(package_dir: Path) -> tuple[list[AppObject], set[str]]:
    """App objects and imported top-level names across one import package."""
    apps: list[AppObject] = []
    imports: set[str] = set()
    for path in python_files(package_dir):
        source = path.read_text(encoding="utf-8", errors="replace")
        apps += find_app_objects(source, module_name(package_dir, path))
        imports |= imported_roots(source)
    return apps, imports


def is_package(folder: Path) -> bool:
    """A regular package (``__init__.py``), or a PEP 420 namespace package that runs with
    ``python -m`` (``__main__.py`` and no ``__init__.py``)."""
    return (folder / "__init__.py").is_file() or (folder / "__main__.py").is_file()


def import_packages(project_dir: Path) -> list[Path]:
    """Import packages of a project: ``src/<pkg>`` or ``<pkg>`` folders (see is_package)."""
    base = project_dir / "src" if (project_dir / "src").is_dir() else project_dir
    return [
        d
        for d in sorted(base.iterdir())
        if d.is_dir() and d.name.isidentifier() and is_package(d) and d.name not in SKIP_DIRS
    ]
