"""After a build: can each app's prod image import the module its command runs?

A wheel can build with exit 0 and still lack code (a build hook that found nothing to
map); the app would then die at start with `No module named ...`. Where the module is in
one of the app's members, the member's code stage looks for it among the files it
installs (`install.py code --check`), and the build fails there. The other apps (a module
of another package, a namespace split over members) get one short container each, no
network, after the build, before anyone deploys the image.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dockyard import cache
from dockyard.engine.pyrun import run_python
from dockyard.errors import DockyardError
from dockyard.manifest import Project
from dockyard.modules import app_module, build_checked

# find_spec imports the parent packages, not the module: no app code runs
PROBE = """\
import importlib.util, sys
try:
    found = importlib.util.find_spec(sys.argv[1]) is not None
except ImportError as exc:
    print(exc)
    found = False
if not found:
    print(f"No module named {sys.argv[1]!r}")
sys.exit(0 if found else 3)
"""


def _probe(image: str, module: str) -> str | None:
    proc = run_python(image, PROBE, module)
    if proc.returncode == 0:
        return None
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[0] if lines else f"exit code {proc.returncode}"


def _checked(image_id: str, module: str) -> str:
    """The cache key of an image ID whose module was found: a no-op build checks nothing
    again."""
    return f"{image_id.removeprefix('sha256:')}-{module}"


def _was_checked(image_id: str, module: str) -> bool:
    return cache.recall("import-checked", _checked(image_id, module)) is not None


def check_imports(
    project: Project, images: dict[str, str], ids: dict[str, str] | None = None
) -> None:
    """``images``: app name -> its prod image (``ids``: their image IDs, to remember what
    was checked). Raise naming the first app that cannot start."""
    ids = ids or {}
    jobs = {
        name: module
        for name, module in ((n, app_module(project.root, project.app(n))) for n in images)
        if module
        and build_checked(project.root, project.app(name)) is None
        and not (ids.get(name) and _was_checked(ids[name], module))
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = pool.map(_probe, [images[n] for n in jobs], jobs.values())
        results = dict(zip(jobs, found, strict=True))
    for name, why in results.items():
        if not why and ids.get(name):
            cache.remember("import-checked", _checked(ids[name], jobs[name]))
        if why:
            members = ", ".join(m.name for m in project.app(name).first_party)
            raise DockyardError(
                f"{images[name]} was built, but app {name} cannot start: its command runs "
                f"{jobs[name]}, which the image cannot import ({why}). The wheels of "
                f"{members} lack it: when a build hook maps code from outside the member, "
                "name those folders with ../ paths in the member's pyproject.toml [tool] "
                "settings so dockyard mounts them into the build"
            )
