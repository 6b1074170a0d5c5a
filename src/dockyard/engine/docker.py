"""docker, buildx bake and compose: the engine seam."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from dockyard.console import say
from dockyard.engine import api
from dockyard.engine.models import Image
from dockyard.engine.run import last_line, run
from dockyard.errors import DockyardError
from dockyard.layerfile import open_layer


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"


# What dockyard asks the engine about itself (require_engine, `dockyard doctor`).
PROBES = {
    "engine": ["docker", "version", "--format", "{{.Server.Version}}"],
    "buildx": ["docker", "buildx", "version"],
    "compose": ["docker", "compose", "version", "--short"],
    "drivers": ["docker", "info", "--format", "{{json .DriverStatus}}"],
}


def probe(*names: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the named ``PROBES`` side by side (every command pays for them)."""
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        jobs = {n: pool.submit(run, PROBES[n], check=False, timeout=30) for n in names}
        return {n: job.result() for n, job in jobs.items()}


def tool_versions() -> dict[str, str | None]:
    """Each probe's answer (engine version, buildx version, Compose version, storage
    drivers), or None where the engine or plugin did not answer."""
    procs = probe(*PROBES)
    return {
        n: p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None
        for n, p in procs.items()
    }


def require_engine(*, plugins: bool = True) -> str:
    """The engine's version; a clear error when no engine, buildx or Compose v2 answers
    (``plugins=False``: the engine only, for a command that may not need the plugins;
    then the local socket is asked first, and the CLI only when that gives no answer)."""
    if not plugins:
        version = api.engine_version()
        if version is not None:
            return version
    procs = probe("engine", "buildx", "compose") if plugins else probe("engine")
    proc = procs["engine"]
    if proc.returncode != 0 or not proc.stdout.strip():
        reason = (proc.stderr or "").strip()
        raise DockyardError(
            f"no Docker engine answers at {engine_address()}"
            + (f" ({last_line(reason, proc.returncode)})" if reason else "")
            + "; start dockerd or Docker Desktop (check with `docker info`), "
            "or set DOCKER_HOST to a running engine"
        )
    _refuse_missing_plugins(procs)
    return proc.stdout.strip()


def require_buildx() -> None:
    """A clear error when `docker buildx` does not answer; a build asks once its bake
    failed (the engine was checked before, and Compose is not needed)."""
    _refuse_missing_plugins(probe("buildx"))


def _refuse_missing_plugins(procs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    for plugin, name in (("buildx", "BuildKit's buildx"), ("compose", "Compose v2")):
        if plugin in procs and procs[plugin].returncode != 0:
            raise DockyardError(
                f"`docker {plugin}` is missing: dockyard needs {name}; install the "
                f"docker-{plugin} plugin (Debian: docker-{plugin}; Docker Desktop has it)"
            )


def inspect_images(refs: list[str]) -> dict[str, Image]:
    """ref -> the image it names, for the refs that exist (one engine call for all)."""
    if not refs:
        return {}
    answers = api.inspect_images(refs)
    if answers is None:
        proc = run(["docker", "image", "inspect", *refs], check=False, timeout=60)
        try:
            answers = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            return {}
    found = [Image.model_validate(info) for info in answers]
    by_tag = {tag: image for image in found for tag in image.repo_tags}
    return {ref: by_tag[ref] for ref in refs if ref in by_tag}


def _only_missing(stderr: str | None) -> bool:
    """Did `docker image inspect` fail only because some of the images do not exist?"""
    lines = [line for line in (stderr or "").splitlines() if line.strip()]
    return bool(lines) and all("No such image" in line for line in lines)


def inspect_image(ref: str, *, require: bool = False) -> Image | None:
    """The image ``ref`` names, None when the engine has none. ``require``: the call also
    stands in for require_engine(plugins=False) (a build asks for its base first; a probe
    before it costs 0.03 s): failing for any reason but a missing image, the engine is
    probed for its one clear error."""
    answers = api.inspect_images([ref])
    if answers is not None:
        return Image.model_validate(answers[0]) if answers else None
    proc = run(["docker", "image", "inspect", ref], check=False, timeout=60)
    if require and proc.returncode != 0 and not _only_missing(proc.stderr):
        require_engine(plugins=False)
    if proc.returncode != 0:
        return None
    return Image.model_validate(json.loads(proc.stdout)[0])


def has_image(ref: str) -> bool:
    """Whether the engine has the image ``ref`` (no pull)."""
    return inspect_image(ref) is not None


def local_tags() -> list[str]:
    """repository:tag of every tagged image on the engine (none when no engine answers)."""
    proc = run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], check=False, timeout=30
    )
    return [ref for ref in proc.stdout.split() if not ref.endswith(":<none>")]


def remote_digest(ref: str) -> str | None:
    """The digest a registry serves for ``ref`` now, or None when none answers."""
    proc = run(
        ["docker", "buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest}}"],
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout).get("digest")
    except json.JSONDecodeError:
        return None


def pull(ref: str, *, timeout: float = 180) -> str | None:
    """Pull ``ref``; None on success, else the engine's reason."""
    proc = run(["docker", "pull", "--quiet", ref], check=False, timeout=timeout)
    if proc.returncode == 0:
        return None
    return last_line(proc.stderr or proc.stdout, proc.returncode)


# moby/buildkit#2303: on a busy builder BuildKit can lose track of a step that several
# targets share; the same bake run again succeeds. Retried once, never hidden.
# moby/buildkit#2303; and a client session that timed out while a long export ran on a
# loaded machine (moby/buildkit#2691): the same build again finds its steps cached.
TRANSIENT_BUILD_ERRORS = ("inconsistent graph state", "DeadlineExceeded: context deadline exceeded")


def is_transient(tail: list[str]) -> bool:
    """Did a failed build end with an error that the same build run again gets past?"""
    return any(error in line for line in tail for error in TRANSIENT_BUILD_ERRORS)


def bake(
    root: Path, files: list[Path], targets: list[str], *, quiet: bool, no_cache: bool = False
) -> None:
    """One ``docker buildx bake`` for all targets; BuildKit's progress goes to stderr.

    No provenance attestation: it records the build's wall-clock time, so an image
    index with one would never be the same bytes twice. On a terminal the progress is
    BuildKit's own display; elsewhere (CI, scripts) it is plain text that dockyard
    reads too, and a known transient BuildKit error gets one more try.
    """
    # The bake file names each target's output: the engine's image store (no --load).
    args = [*buildx_command(), "bake", "--provenance=false"]
    interactive = not quiet and sys.stderr.isatty()
    args += ["--progress", "auto" if interactive else "plain"]
    if no_cache:
        args.append("--no-cache")
    for file in files:
        args += ["-f", str(file)]
    args += targets
    what = f"docker buildx bake failed for {', '.join(targets)}"
    if interactive:
        if subprocess.run(args, cwd=root, stdout=sys.stderr, env=_bake_env()).returncode != 0:
            require_buildx()
            raise DockyardError(f"{what} (see the build output above)")
        return
    for attempt in (1, 2):
        code, tail = _bake_plain(args, root, echo=not quiet)
        if code == 0:
            return
        require_buildx()  # asked only now: a probe before every bake costs 0.05-0.15 s
        if attempt == 1 and is_transient(tail):
            say(
                "dockyard: BuildKit lost track of a shared build step (moby/buildkit#2303); "
                "building once more"
            )
            continue
        reason = install_error(tail)
        if reason:  # install.py said what is wrong, in one line: say it last
            raise DockyardError(f"{what}: {reason}")
        detail = "\n" + "\n".join(tail[-15:]) if quiet and tail else " (see the build output above)"
        raise DockyardError(what + detail)


# Where the docker CLI looks for its plugins on Linux, after the user's own directory
# and any extra ones the config names (docker/cli, cli-plugins/manager/manager_unix.go).
SYSTEM_PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)


def buildx_command() -> list[str]:
    """How to run buildx: its plugin binary itself when it is where the docker CLI would
    find it, else `docker buildx`. The CLI first asks every plugin it finds for its
    metadata, a process each, before it runs buildx (0.03-0.04 s on every build here);
    run on its own, buildx reads the same config, contexts and builders."""
    config_dir, config = api.cli_config()
    if os.environ.get("DOCKER_CLI_PLUGIN_EXTRA_DIRS") or config.get("cliPluginsExtraDirs"):
        return ["docker", "buildx"]  # a search path of the user's own: the CLI knows it
    for directory in (config_dir / "cli-plugins", *map(Path, SYSTEM_PLUGIN_DIRS)):
        candidate = directory / "docker-buildx"
        if os.access(candidate, os.X_OK) and candidate.is_file():
            return [str(candidate)]
    return ["docker", "buildx"]


def _bake_env() -> dict[str, str]:
    """The environment of a bake: buildx's own git lookup off (BUILDX_GIT_INFO=0, unless
    the user set it). buildx runs seven git commands per target to fill in provenance,
    which dockyard turns off and whose revision it labels itself: a tenth of a second on
    every build of the example's four apps, for nothing in the image."""
    env = dict(os.environ)
    env.setdefault("BUILDX_GIT_INFO", "0")
    return env


def install_error(tail: list[str]) -> str | None:
    """The last reason an install step gave (``install.py: ...``) in a plain bake's output."""
    for line in reversed(tail):
        if "install.py: " in line:
            return line.split("install.py: ", 1)[1].strip()
    return None


def _bake_plain(args: list[str], root: Path, *, echo: bool) -> tuple[int, list[str]]:
    """Run a plain-progress bake, echoing its output when asked; (exit code, last lines)."""
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        args,
        cwd=root,
        stdout=sys.stderr,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=_bake_env(),
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if echo:
                sys.stderr.write(line)
            tail.append(line.rstrip("\n"))
    return proc.returncode, list(tail)


def compose_argv(
    file: str | list[str], args: list[str], project_name: str | None = None
) -> list[str]:
    """``docker compose -f FILE... [-p NAME] ARGS``."""
    argv = ["docker", "compose"]
    for name in [file] if isinstance(file, str) else file:
        argv += ["-f", name]
    if project_name:
        argv += ["-p", project_name]
    return argv + args


def compose(
    root: Path,
    file: str | list[str],
    args: list[str],
    *,
    project_name: str | None = None,
    capture: bool = False,
    check: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run docker compose in ``root``; like the remote engine's compose, the caller reads the
    exit code unless it asks for ``check``."""
    return run(
        compose_argv(file, args, project_name),
        cwd=root,
        env=env,
        capture=capture,
        check=check,
        what=f"docker compose {' '.join(args[:1])}",
    )


def _member(archive: tarfile.TarFile, member: str | tarfile.TarInfo) -> IO[bytes]:
    """A regular file of ``archive`` (``docker save`` writes them; anything else is corrupt)."""
    handle = archive.extractfile(member)
    if handle is None:
        raise DockyardError(f"{member} in a `docker save` archive is not a regular file")
    return handle


def save_layer_files(ref: str, index: int) -> dict[str, tuple]:
    """Path -> (type, mode, uid, gid, mtime, size, sha256) of layer ``index`` of ``ref``."""
    with tempfile.TemporaryDirectory(prefix="dockyard-save-") as tmp:
        archive = Path(tmp) / "image.tar"
        run(["docker", "save", "-o", str(archive), ref], what=f"docker save {ref}")
        with tarfile.open(archive) as outer:
            manifest = json.load(_member(outer, "manifest.json"))
            layer = manifest[0]["Layers"][index]
            files = {}
            with open_layer(_member(outer, layer)) as inner:
                for member in inner:
                    digest = ""
                    if member.isfile():
                        digest = hashlib.sha256(_member(inner, member).read()).hexdigest()
                    files[member.name] = (
                        member.type,
                        member.mode,
                        member.uid,
                        member.gid,
                        int(member.mtime),
                        member.size,
                        digest,
                    )
    return files


def volume_names() -> list[str]:
    """The names of every volume on the engine."""
    return run(["docker", "volume", "ls", "-q"], what="docker volume ls").stdout.split()


def remove_volumes(names: list[str]) -> None:
    run(["docker", "volume", "rm", *names], what="docker volume rm")


def tag(image_id: str, tags: list[str]) -> None:
    """More names for an image the engine has (the CLI says why when the API refuses)."""
    for name in tags:
        if not api.tag(image_id, name):
            run(["docker", "image", "tag", image_id, name], timeout=60)


def remove_tags(refs: list[str]) -> None:
    if refs:
        run(["docker", "image", "rm", *refs], check=False)


def import_rootfs(rootfs: Path, tag: str, changes: list[str]) -> str:
    """``tar -C rootfs -c . | docker import`` -> the new image ID."""
    args = ["docker", "import"]
    for change in changes:
        args += ["--change", change]
    args += ["-", tag]
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
    )
    proc = subprocess.run(args, stdin=tar.stdout, capture_output=True, text=True)
    tar.wait()
    if tar.returncode != 0 or proc.returncode != 0:
        raise DockyardError(f"docker import of {rootfs} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()
