"""Parse what a hand-rolled Docker setup is made of: requirements files, a Dockerfile,
compose files and ``run_*.sh`` scripts. Pure: text in, plain data out."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

import yaml

_SHELL_SYNTAX = re.compile(r"[|&;<>`]|\$\(")
_PIP_OPTION_WITH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url"}


@dataclass(frozen=True)
class RequirementLine:
    """A requirement (``text``) and/or a comment, in file order."""

    text: str | None
    comment: str | None = None


def parse_requirements(text: str) -> tuple[list[RequirementLine], list[str]]:
    """Requirement lines with their comments, and the lines that are not plain requirements."""
    lines: list[RequirementLine] = []
    unmapped: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            lines.append(RequirementLine(None, line.lstrip("#").strip()))
            continue
        spec, _, comment = line.partition(" #")
        spec = spec.strip().removesuffix("\\").strip()
        if spec.startswith("--hash"):
            continue  # a pip-compile hash line; uv.lock will hold the hashes
        if spec.startswith("-") or "://" in spec or spec.startswith((".", "/")):
            unmapped.append(line)  # -r/-e/--index-url, URLs and paths need a human
            continue
        lines.append(RequirementLine(spec, comment.strip() or None))
    return lines, unmapped


@dataclass
class Stage:
    """One ``FROM`` of a Dockerfile and what it does."""

    base: str
    name: str | None
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    expose: list[str] = field(default_factory=list)
    cmd: list[str] | None = None


def _logical_lines(text: str) -> list[str]:
    out: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        out.append(current + stripped)
        current = ""
    if current:
        out.append(current)
    return out


def _exec_or_shell(value: str) -> list[str]:
    """Exec form as written; a shell form without shell syntax as the words it runs."""
    if value.startswith("["):
        try:
            return [str(v) for v in json.loads(value)]
        except json.JSONDecodeError:
            pass
    if _SHELL_SYNTAX.search(value) or "$" in value:
        return ["/bin/sh", "-c", value]
    return shlex.split(value)


def _env_pairs(value: str) -> dict[str, str]:
    words = shlex.split(value)
    if len(words) >= 1 and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}  # legacy `ENV KEY value`
    return dict(w.split("=", 1) for w in words if "=" in w)


def parse_dockerfile(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            continue
        elif keyword in ("COPY", "ADD"):
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            if len(words) >= 2:
                stages[-1].copies.append((words[:-1], words[-1]))
        elif keyword == "RUN":
            stages[-1].runs.append(rest)
        elif keyword == "ENV":
            stages[-1].env.update(_env_pairs(rest))
        elif keyword == "EXPOSE":
            stages[-1].expose += rest.split()
        elif keyword == "CMD":
            stages[-1].cmd = _exec_or_shell(rest)
    return stages


def pip_installs(run: str) -> tuple[list[str], list[str]]:
    """(packages, requirement files) of every ``pip install`` in one RUN line."""
    packages: list[str] = []
    files: list[str] = []
    for part in re.split(r"&&|;|\|\|", run):
        words = shlex.split(part)
        if "pip" not in " ".join(words[:4]) or "install" not in words:
            continue
        args = words[words.index("install") + 1 :]
        skip_next = False
        for i, word in enumerate(args):
            if skip_next:
                skip_next = False
                continue
            if word in ("-r", "--requirement"):
                if i + 1 < len(args):
                    files.append(args[i + 1])
                skip_next = True
            elif word in _PIP_OPTION_WITH_VALUE:
                skip_next = True
            elif not word.startswith("-"):
                packages.append(word)
    return packages, files


@dataclass
class Service:
    """A compose service, reduced to what dockyard can carry over."""

    name: str
    image: str | None
    target: str | None  # build target stage
    builds: bool  # has a build section (a local compose file, not a server's)
    env_files: list[str]
    binds: list[tuple[str, str]]  # (host source, container target)
    named: list[str]  # other volume entries, as written
    ports: list[str]
    environment: dict[str, str]


def _volumes(entries: list) -> tuple[list[tuple[str, str]], list[str]]:
    binds: list[tuple[str, str]] = []
    named: list[str] = []
    for entry in entries or []:
        if isinstance(entry, dict):
            source, target = str(entry.get("source", "")), str(entry.get("target", ""))
            if entry.get("type") == "bind" and source and target:
                binds.append((source, target))
            else:
                named.append(f"{source}:{target}")
            continue
        source, _, target = str(entry).partition(":")
        if target and source.startswith((".", "/", "~")):
            binds.append((source, target.split(":")[0]))
        else:
            named.append(str(entry))
    return binds, named


def _environment(value) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    pairs = [str(item).split("=", 1) for item in value or []]
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}


def parse_compose(text: str) -> list[Service]:
    data = yaml.safe_load(text) or {}
    services = []
    for name, spec in (data.get("services") or {}).items():
        spec = spec or {}
        build = spec.get("build")
        env_file = spec.get("env_file") or []
        env_files = [env_file] if isinstance(env_file, str) else [str(e) for e in env_file]
        env_files = [e if isinstance(e, str) else str(e.get("path")) for e in env_files]
        binds, named = _volumes(spec.get("volumes") or [])
        services.append(
            Service(
                name=str(name),
                image=spec.get("image"),
                target=build.get("target") if isinstance(build, dict) else None,
                builds=build is not None,
                env_files=env_files,
                binds=binds,
                named=named,
                ports=[str(p) for p in spec.get("ports") or []],
                environment=_environment(spec.get("environment")),
            )
        )
    return services


@dataclass
class RunScript:
    """What a ``run_*.sh`` does: exported variables, the command it ends with, the rest."""

    command: list[str] | None
    environment: dict[str, str]
    workdir: str | None
    unmapped: list[str]


def parse_run_script(text: str) -> RunScript:
    env: dict[str, str] = {}
    workdir = None
    command = None
    unmapped: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("set ") or line == "set":
            continue
        if line.startswith("cd "):
            workdir = line[3:].strip()
        elif line.startswith("export ") and "=" in line:
            key, _, value = line[7:].partition("=")
            env[key.strip()] = shlex.split(value)[0] if value.strip() else ""
        elif _SHELL_SYNTAX.search(line):
            unmapped.append(line)
        else:
            if command is not None:
                unmapped.append(shlex.join(command))
            words = shlex.split(line)
            command = words[1:] if words[0] == "exec" else words
    return RunScript(command, env, workdir, unmapped)
