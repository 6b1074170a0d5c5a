"""One short Python run in a throwaway container of a local image: no network, removed
after. What basepython (the image's Python version) and importcheck (can the image import
its app's module) ask an image; what the answer means stays with them."""

from __future__ import annotations

import subprocess

from dockyard.engine.run import run


def run_python(
    image: str, code: str, *args: str, python: str = "python", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -c code args`` in ``image`` (its own entrypoint bypassed); the finished
    process, whatever its exit code."""
    argv = ["docker", "run", "--rm", "--network", "none", "--entrypoint", python, image]
    return run([*argv, "-c", code, *args], check=False, timeout=timeout)
