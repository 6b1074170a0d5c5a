"""Container start: how long each prod image takes to import its app's entry point, and
how many bytes of bytecode it carries (the price of a fast start)."""

from __future__ import annotations

import statistics

from bench.engine import docker

# What each app imports on start (the parser's stack as the issue measured it).
IMPORTS = {
    "parser": "sklearn.ensemble, sqlalchemy, lol_data_parser",
    "api": "lol_data_api.app",
    "scripts": "pandas, lol_data_scripts",
    "bot": "lol_data_bot",
}
_PROBE = (
    "import time; t = time.perf_counter(); import {modules}; "
    "print(round(time.perf_counter() - t, 4))"
)
# Every .pyc outside the base image's own interpreter, uncompressed.
_PYC_BYTES = (
    "find / -xdev -name '*.pyc' -not -path '/usr/lib/python3*' -printf '%s\\n' 2>/dev/null"
    " | awk '{s += $1} END {print s + 0}'"
)


# Fresh containers per app and image, the median kept: one import of the parser's stack
# varied from 1.1 s to 1.5 s between two runs of the same image on this shared machine.
SAMPLES = 3


def import_seconds(image: str, app: str) -> float:
    """Seconds to import ``app``'s entry point in a fresh container of ``image`` (the
    median of SAMPLES containers)."""
    modules = IMPORTS.get(app, app)
    times = []
    for _ in range(SAMPLES):
        out = docker(
            "run", "--rm", "--entrypoint", "python3", image, "-c", _PROBE.format(modules=modules)
        )
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


def pyc_bytes(image: str) -> int:
    out = docker("run", "--rm", "--entrypoint", "sh", image, "-c", _PYC_BYTES)
    return int(out.strip().splitlines()[-1])


def start_scenario(images: dict[str, str]) -> dict:
    """Sum over the apps of the import time; per app too; bytecode bytes of all images."""
    per_app = {app: import_seconds(ref, app) for app, ref in images.items()}
    pyc = {app: pyc_bytes(ref) for app, ref in images.items()}
    return {
        "start": sum(per_app.values()),
        "start_apps": per_app,
        "pyc_bytes": sum(pyc.values()),
        "pyc_apps": pyc,
    }
