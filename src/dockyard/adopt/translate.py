"""A hand-written Dockerfile's CMD -> what a dockyard image runs (pure).

dockyard images have the venv on PATH and no uv, so ``uv run X`` is ``X``; a server
started for development (``fastapi dev``, ``flask run --debug``, ``--reload``) becomes
the app's ``dev-command`` and its production command is derived from it; a script run by
its path becomes ``python -m pkg.mod``, since images install members as packages.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.adopt import pyscan
from dockyard.workspace import normalize, requirement_name

HOST = "0.0.0.0"
# uv run options that take a value (uv 0.13 `uv run --help`)
_UV_RUN_VALUES = {
    "--package", "--with", "--with-editable", "--with-requirements", "--python", "-p",
    "--group", "--extra", "--env-file", "--directory", "--project", "--index",
    "--default-index", "--no-group", "--only-group", "--no-extra",
}  # fmt: skip
_RELOAD_VALUES = {"--reload-dir", "--reload-include", "--reload-exclude", "--reload-delay"}
# variables that configure uv or the interpreter, not the app
_NOT_THE_APPS = ("UV_", "PIP_", "PYTHON")
_NOT_THE_APPS_EXACT = {"PATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "DEBIAN_FRONTEND", "HOME"}
# an extra that brings a server with it: fastapi[standard] has uvicorn and fastapi-cli
_EXTRAS_BRING = {
    ("fastapi", "standard"): {"uvicorn", "fastapi-cli"},
    ("fastapi", "all"): {"uvicorn", "fastapi-cli"},
    ("fastapi-slim", "standard"): {"uvicorn", "fastapi-cli"},
}


def provided(requirements: list[str]) -> set[str]:
    """Distribution names a requirement list installs directly, extras' servers included."""
    names: set[str] = set()
    for req in requirements:
        name = requirement_name(req)
        names.add(name)
        head = req.split(";")[0]
        if "[" in head and "]" in head:
            extras = head[head.index("[") + 1 : head.index("]")].split(",")
            for extra in extras:
                names |= _EXTRAS_BRING.get((name, normalize(extra.strip())), set())
    return names


def app_environment(env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Dockerfile ENV split into the app's variables and those of uv/pip/the interpreter."""
    mine, theirs = {}, []
    for key, value in env.items():
        if key.startswith(_NOT_THE_APPS) or key in _NOT_THE_APPS_EXACT:
            theirs.append(key)
        else:
            mine[key] = value
    return mine, theirs


def strip_uv_run(argv: list[str]) -> list[str]:
    """``uv run [options] X ...`` -> ``X ...``; ``python3`` -> ``python`` (the venv's)."""
    if argv[:2] == ["uv", "run"]:
        rest, i = argv[2:], 0
        while i < len(rest) and rest[i].startswith("-"):
            if rest[i] == "--":
                i += 1
                break
            i += 2 if rest[i] in _UV_RUN_VALUES else 1
        argv = rest[i:]
    if argv and argv[0] in ("python3", "/usr/local/bin/python", "/usr/bin/python3"):
        argv = ["python", *argv[1:]]
    return argv


def option(argv: list[str], *names: str) -> str | None:
    """The value of ``--name value`` or ``--name=value``."""
    for i, word in enumerate(argv):
        for name in names:
            if word == name and i + 1 < len(argv):
                return argv[i + 1]
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return None


def port_of(argv: list[str]) -> str | None:
    value = option(argv, "--port", "-p", "--bind", "-b")
    return value.rsplit(":", 1)[-1] if value else None


def _without(argv: list[str], flags: set[str], valued: set[str]) -> list[str]:
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in valued:
            skip = True
        elif word not in flags and word.split("=", 1)[0] not in valued:
            out.append(word)
    return out


@dataclass
class Translated:
    """What the app runs in its prod image, in its dev container, and what to tell the user."""

    command: list[str]
    dev_command: list[str] | None = None
    notes: list[str] = field(default_factory=list)


def _uvicorn(target: str, port: str, provides: AbstractSet[str]) -> Translated:
    result = Translated(["uvicorn", target, "--host", HOST, "--port", port])
    if "uvicorn" not in provides:
        result.notes.append("add uvicorn to its dependencies (it serves the app in production)")
    return result


def _fastapi(
    argv: list[str], app: pyscan.AppObject | None, provides: AbstractSet[str]
) -> Translated:
    """``fastapi dev|run [PATH]``: the path names source files, which prod images do not
    hold; the app object it finds is what uvicorn (which fastapi[standard] brings) serves."""
    port = port_of(argv) or "8000"
    dev = None
    if argv[1] == "dev":
        dev = argv if option(argv, "--host") else [*argv[:2], "--host", HOST, *argv[2:]]
    entry = option(argv, "--entrypoint", "-e")
    target = entry or (f"{app.module}:{app.variable}" if app else None)
    if target:
        result = _uvicorn(target, port, provides)
    else:
        result = Translated(["fastapi", "run", *argv[2:]])
        result.notes.append(
            "fastapi run looks for the app in a source path the prod image does not have; "
            "set command to uvicorn <module>:<app>"
        )
    result.dev_command = dev
    return result


def _flask(argv: list[str], app: pyscan.AppObject | None, provides: AbstractSet[str]) -> Translated:
    target = option(argv, "--app", "-A") or (f"{app.module}:{app.variable}" if app else None)
    port = port_of(argv) or "5000"
    debug = {"--debug", "--reload", "--debugger"} & set(argv)
    dev = argv if debug else None
    if target and "gunicorn" in provides:
        return Translated(["gunicorn", "--bind", f"{HOST}:{port}", target], dev)
    prod = _without(argv, {"--debug", "--reload", "--debugger"}, set())
    result = Translated(prod, dev)
    result.notes.append(
        "Flask's own server runs it; add gunicorn for production and change the command"
    )
    return result


def translate(
    argv: list[str], app: pyscan.AppObject | None = None, provides: AbstractSet[str] = frozenset()
) -> Translated:
    """A Dockerfile CMD (exec form, as words) -> the app's command and dev-command."""
    argv = strip_uv_run(argv)
    if not argv:
        return Translated(argv)
    if argv[0] == "python" and argv[1:3] == ["-m", "uvicorn"]:
        argv = ["uvicorn", *argv[3:]]
    if argv[0] == "fastapi" and len(argv) > 1 and argv[1] in ("dev", "run"):
        return _fastapi(argv, app, provides)
    if argv[0] == "flask" and "run" in argv:
        return _flask(argv, app, provides)
    if argv[0] in ("uvicorn", "gunicorn", "hypercorn") and any(
        w == "--reload" or w.startswith("--reload") for w in argv
    ):
        return Translated(_without(argv, {"--reload"}, _RELOAD_VALUES), argv)
    return Translated(argv)


def script_module(argv: list[str], member_dir: Path) -> list[str] | None:
    """``python /any/prefix/pkg/run.py ARGS`` -> ``python -m pkg.run ARGS`` when the file
    is in one of the member's packages (its path's tail matches); else None."""
    if len(argv) < 2 or argv[0] != "python" or not argv[1].endswith(".py"):
        return None
    tail = Path(argv[1]).parts
    for package in pyscan.import_packages(member_dir):
        for path in pyscan.python_files(package):
            parts = path.relative_to(package.parent).parts
            if len(parts) >= 2 and tail[-len(parts) :] == parts:
                return ["python", "-m", pyscan.module_name(package, path), *argv[2:]]
    return None
