"""The three ways to build the example's prod images: dockyard and the two baselines.

Each variant works on its own copy of examples/lol_data with a unique name, on a base
image with a run-unique nonce layer, and builds all its images in one `buildx bake`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bench.engine import BenchError, run

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lol_data"
BASELINES = Path(__file__).resolve().parent / "baselines"
LIB_FILE = "packages/lol_data/src/lol_data/queries.py"
LIB_ANCHOR = "def count_games(session: Session) -> int:\n"
IGNORE = shutil.ignore_patterns(".venv", "__pycache__", ".pytest_cache", "*.db", ".work")


@dataclass(frozen=True)
class Context:
    """What every variant needs: tools, the CA secret, the apps under test."""

    dockyard: str  # the dockyard CLI
    uv: str  # uv 0.13.9 on the host (for `uv export` / `uv add`)
    ca_bundle: str | None
    apps: dict[str, str]  # app -> workspace member (package name)


def example_apps() -> dict[str, str]:
    data = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    return {name: app["member"] for name, app in data["tool"]["dockyard"]["apps"].items()}


def member_dir(member: str) -> str:
    return "packages/" + member.replace("-", "_")


def copy_example(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=IGNORE)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    run(["git", "init", "-q"], cwd=target)
    run([*git, "add", "-A"], cwd=target)
    run([*git, "commit", "-qm", "bench copy"], cwd=target)
    return target


def edit_library(root: Path, token: str) -> None:
    """Edit one function of the shared library (a new statement in its body)."""
    path = root / LIB_FILE
    text = path.read_text()
    if LIB_ANCHOR not in text:
        raise BenchError(f"{path}: cannot find {LIB_ANCHOR.strip()!r} to edit")
    line = f'    _bench_edit = "{token}"  # noqa: F841\n'
    path.write_text(text.replace(LIB_ANCHOR, LIB_ANCHOR + line, 1))


def edit_app(root: Path, member: str, token: str) -> None:
    """Edit one app's own code only."""
    package = member.replace("-", "_")
    path = root / member_dir(member) / "src" / package / "__init__.py"
    path.write_text(path.read_text() + f'\n_BENCH_EDIT = "{token}"\n')


class Variant:
    key = ""

    def __init__(self, ctx: Context, root: Path, nonce: str, base: str) -> None:
        self.ctx, self.root, self.nonce, self.base = ctx, root, nonce, base
        self.name = f"bench-{self.key}-{nonce}"

    def prepare(self) -> None:
        raise NotImplementedError

    def build(self) -> None:
        raise NotImplementedError

    def add_dependency(self, app: str, requirement: str) -> None:
        """Declare ``requirement`` for ``app`` the variant's own way, then rebuild all."""
        raise NotImplementedError

    def images(self) -> dict[str, str]:
        return {app: f"{self.name}/{app}:latest" for app in self.ctx.apps}

    def uv_add(self, app: str, requirement: str) -> None:
        member = self.ctx.apps[app]
        run([self.ctx.uv, "add", "--no-sync", "--package", member, requirement], cwd=self.root)

    def secrets(self) -> list[str]:
        return [f"id=ca_bundle,src={self.ctx.ca_bundle}"] if self.ctx.ca_bundle else []

    def bake(self, targets: dict[str, dict]) -> None:
        """One `docker buildx bake --load` of ``targets`` (stage -> bake target fields)."""
        spec = {"group": {"default": {"targets": list(targets)}}, "target": targets}
        path = self.root / ".bench" / "bake.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(spec, indent=2))
        run(
            ["docker", "buildx", "bake", "--load", "--progress", "plain", "-f", str(path)],
            cwd=self.root,
        )


class Dockyard(Variant):
    key = "dockyard"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "DOCKYARD_BASE_IMAGE": self.base}

    def _dockyard(self, *args: str) -> None:
        run([self.ctx.dockyard, *args], cwd=self.root, env=self._env())

    def prepare(self) -> None:
        pyproject = self.root / "pyproject.toml"
        text, n = re.subn(r'(?m)^name = "lol-data"', f'name = "{self.name}"', pyproject.read_text())
        if n != 1:
            raise BenchError(f"{pyproject}: cannot find [tool.dockyard] name to make unique")
        pyproject.write_text(text)
        self._dockyard("lock")
        self._dockyard("generate")

    def build(self) -> None:
        self._dockyard("build", *self.ctx.apps)

    def add_dependency(self, app: str, requirement: str) -> None:
        # README: `uv add`, then the build records the new uv.lock in dockyard.lock
        self.uv_add(app, requirement)
        self.build()

    def images(self) -> dict[str, str]:
        return {app: f"{self.name}/{app}:0.1.0" for app in self.ctx.apps}

    def bake_again(self) -> None:
        """`docker buildx bake` of dockyard's bake file for the images just built, with
        the labels and tags they carry: BuildKit's own cost of a build with nothing to do."""
        stages = list(self.ctx.apps)
        epoch = run(["git", "log", "-1", "--format=%ct"], cwd=self.root).strip()
        override: dict = {"target": {}}
        for app, ref in self.images().items():
            labels = json.loads(
                run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", ref])
            )
            override["target"][app] = {
                "tags": [ref],
                "labels": labels,
                "secret": self.secrets(),
                "args": {"SOURCE_DATE_EPOCH": epoch},
            }
        path = self.root.with_name(self.root.name + "-override.json")  # the tree stays clean
        path.write_text(json.dumps(override))
        run(
            [
                "docker",
                "buildx",
                "bake",
                "--provenance=false",
                "--progress",
                "plain",
                "-f",
                "docker-bake.json",
                "-f",
                str(path),
                *stages,
            ],
            cwd=self.root,
        )


class Seed(Variant):
    """The seed article's Dockerfile layout (bench/baselines/seed/Dockerfile)."""

    key = "seed"

    def _export(self, member: str) -> list[str]:
        out = run(
            [
                self.ctx.uv,
                "export",
                "--frozen",
                "--package",
                member,
                "--no-dev",
                "--no-emit-workspace",
                "--no-hashes",
                "--no-header",
                "--no-annotate",
            ],
            cwd=self.root,
        )
        return [line for line in out.splitlines() if line.strip() and not line.startswith("#")]

    def prepare(self) -> None:
        shutil.copy(BASELINES / "seed" / "Dockerfile", self.root / "Dockerfile")
        shutil.copy(BASELINES / "seed" / "dockerignore", self.root / ".dockerignore")
        base = self._export("lol-data")
        (self.root / "requirements_base.txt").write_text("\n".join(base) + "\n")
        for app, member in example_apps().items():
            own = [line for line in self._export(member) if line not in base]
            (self.root / f"requirements_{app}.txt").write_text("\n".join(own) + "\n")

    def build(self) -> None:
        targets = {
            member_dir(member).split("/")[1] + "_prod": {
                "context": ".",
                "dockerfile": "Dockerfile",
                "target": member_dir(member).split("/")[1] + "_prod",
                "args": {"BASE_IMAGE": self.base},
                "secret": self.secrets(),
                "tags": [self.images()[app]],
            }
            for app, member in self.ctx.apps.items()
        }
        self.bake(targets)

    def add_dependency(self, app: str, requirement: str) -> None:
        path = self.root / f"requirements_{app}.txt"
        if requirement not in path.read_text().splitlines():
            path.write_text(path.read_text() + requirement + "\n")
        self.build()


class UvRecommended(Variant):
    """uv's Docker integration guide, one Dockerfile per app (baselines/uv-recommended)."""

    key = "uvrec"
    # The same cache mount as dockyard's, so both uv-based variants see one warm
    # download cache (see "What cold means" in BENCHMARKS.md).
    cache_id = "dockyard-uv"

    def _dockerfile(self, app: str, member: str, command: list[str] | None) -> str:
        template = (BASELINES / "uv-recommended" / "Dockerfile.in").read_text()
        mounts = "".join(
            f"    --mount=type=bind,source={member_dir(m)}/pyproject.toml,"
            f"target={member_dir(m)}/pyproject.toml \\\n"
            for m in sorted(set(example_apps().values()) | {"lol-data"})
        )
        return template.format(
            app=app,
            package=member,
            cache_id=self.cache_id,
            member_mounts=mounts.rstrip("\n"),
            cmd=f"CMD {json.dumps(command)}" if command else "",
        )

    def prepare(self) -> None:
        shutil.copy(BASELINES / "uv-recommended" / "dockerignore", self.root / ".dockerignore")
        data = tomllib.loads((self.root / "pyproject.toml").read_text())
        (self.root / ".bench").mkdir(exist_ok=True)
        for app, member in example_apps().items():
            command = data["tool"]["dockyard"]["apps"][app].get("command")
            text = self._dockerfile(app, member, command)
            (self.root / ".bench" / f"Dockerfile.{app}").write_text(text)

    def build(self) -> None:
        targets = {
            app: {
                "context": ".",
                "dockerfile": f".bench/Dockerfile.{app}",
                "args": {"BASE_IMAGE": self.base},
                "secret": self.secrets(),
                "tags": [self.images()[app]],
            }
            for app in self.ctx.apps
        }
        self.bake(targets)

    def add_dependency(self, app: str, requirement: str) -> None:
        self.uv_add(app, requirement)
        self.build()


VARIANTS: dict[str, type[Variant]] = {v.key: v for v in (Dockyard, Seed, UvRecommended)}


def tool_version(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else "?"
