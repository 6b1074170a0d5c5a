"""The docker command lines behind `dockyard sbom`: cyclonedx-py in a throwaway
container of the image, and files read out of an image without running it."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from dockyard.engine.run import run, why_failed
from dockyard.errors import DockyardError

TOOL_MOUNT = "/opt/dockyard-sbom"
VENV_PYTHON = "/opt/venv/bin/python"

# Run with -I (isolated: no PYTHONPATH, no user site) so the tool's own packages,
# appended to sys.path here, are never seen by the interpreter it asks for its path:
# the SBOM lists the image's venv and nothing else.
_RUN_TOOL = (
    "import runpy, sys; sys.path.append({mount!r}); sys.argv = {argv!r}; "
    "runpy.run_module('cyclonedx_py', run_name='__main__', alter_sys=True)"
)


def cyclonedx_environment(image: str, tool_dir: Path, epoch: int) -> dict:
    """`cyclonedx-py environment` for the venv of ``image``: a CycloneDX 1.6 document.

    The container has no network, a read-only root, and the tool mounted read-only;
    ``--output-reproducible`` leaves out the serial number and takes the timestamp from
    SOURCE_DATE_EPOCH, so the same image gives the same bytes.
    """
    argv = [
        "cyclonedx-py", "environment", "--of", "JSON", "--sv", "1.6",
        "--output-reproducible", "--no-validate", "--output-file", "-", VENV_PYTHON,
    ]  # fmt: skip
    proc = run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--read-only",
            "--volume",
            f"{tool_dir}:{TOOL_MOUNT}:ro",
            "--env",
            f"SOURCE_DATE_EPOCH={epoch}",
            "--entrypoint",
            VENV_PYTHON,
            image,
            "-I",
            "-c",
            _RUN_TOOL.format(mount=TOOL_MOUNT, argv=argv),
        ],  # fmt: skip
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        raise DockyardError(
            f"cyclonedx-py could not read the venv of {image} "
            f"({why_failed(proc)}); is it a dockyard "
            f"prod image with its venv at /opt/venv?"
        )
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise DockyardError(f"cyclonedx-py wrote no JSON for {image} ({exc})") from None


def read_files(image: str, paths: list[str]) -> dict[str, bytes]:
    """The files of ``image`` at ``paths`` that exist (read with `docker cp`, nothing runs)."""
    proc = run(["docker", "create", image], check=False, timeout=60)
    if proc.returncode != 0:
        raise DockyardError(f"docker create {image} failed: {proc.stderr.strip()}")
    container = proc.stdout.strip()
    found: dict[str, bytes] = {}
    try:
        for path in paths:
            data = run_bytes(["docker", "cp", "--follow-link", f"{container}:{path}", "-"])
            if data is None:
                continue
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                for member in archive:
                    if member.isfile():
                        handle = archive.extractfile(member)
                        if handle is not None:
                            found[path] = handle.read()
                        break
    finally:
        run(["docker", "rm", "--force", container], check=False, timeout=60)
    return found


def run_bytes(args: list[str]) -> bytes | None:
    """stdout of ``args`` as bytes, or None when it fails (a path the image lacks)."""
    import subprocess

    from dockyard.engine.run import log

    log.debug("run: %s", " ".join(args))
    proc = subprocess.run(args, capture_output=True, timeout=120, check=False)
    return proc.stdout if proc.returncode == 0 else None
