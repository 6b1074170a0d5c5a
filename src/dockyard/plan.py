"""Project + lock data -> the image graph: stages, requirement sets, tags (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508
from packaging.version import InvalidVersion

from dockyard.errors import DockyardError
from dockyard.graph import dependencies_first
from dockyard.layers import Group, choose_groups, placement
from dockyard.manifest import App, Project
from dockyard.names import release_tag
from dockyard.share import Share, resolve_share
from dockyard.workspace import Member, normalize

VENV = "/opt/venv"
WORKSPACE = "/workspace"  # where the repository is mounted in dev containers
APP_DIR = "/app"
APP_USER = "app"
APP_HOME = "/home/app"  # the prod user's own home: tools that write to ~ (Jupyter) work
DEV_USER = "dev"  # a named user in dev images, for IDEs that need one (Dev Containers)
DEV_UID = 1000  # its uid; dev services run as DOCKYARD_UID:DOCKYARD_GID (default this)
DEV_HOME = "/home/dev"  # writable by any uid, so tools that want a home work for every user
REQUIREMENTS_DIR = ".dockyard/requirements"
UV_REQUIREMENTS = ".dockyard/uv.txt"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def needed_apps(project: Project, app: App) -> list[App]:
    """The app and every app its dev service starts first (depends-on, test-needs), deps first."""

    def needs(name: str) -> tuple[str, ...]:
        config = project.app(name).config
        return (*config.depends_on, *config.test_needs)

    return [project.app(name) for name in dependencies_first([app.name], needs)]


@dataclass(frozen=True)
class Requirement:
    """One pinned requirement block of a uv export: name, version and its text with hashes."""

    name: str
    version: str
    text: str


def parse_requirements(text: str) -> tuple[Requirement, ...]:
    """Split ``uv export`` output into pinned requirement blocks (continuation lines kept)."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    reqs = []
    for block in blocks:
        match = _PIN.match(block[0])
        if not match:
            raise DockyardError(
                f"uv.lock: {block[0].strip()!r} is not an exact pin from an index; dockyard "
                "builds only index packages with hashes (no git, URL or path sources)"
            )
        reqs.append(Requirement(normalize(match.group(1)), match.group(3), "\n".join(block)))
    return tuple(sorted(reqs, key=lambda r: r.name))


def requirements_text(reqs: tuple[Requirement, ...]) -> str:
    return "".join(r.text + "\n" for r in reqs)


def image_repository(project: Project, app: str) -> str:
    """The repository of an app's images (a reference without tag): <registry or name>/<app>."""
    return f"{project.registry or project.name}/{app}"


# The old name, still imported by target.py until the deploy/ package lands; remove then.
image_name = image_repository


@dataclass(frozen=True)
class AppPlan:
    app: App
    image: str  # repository without tag, e.g. lol-data/api
    version: str
    requirements: tuple[Requirement, ...]  # prod third-party pins (full set)
    dev_requirements: tuple[Requirement, ...]  # prod + dev group pins (full set)
    share: Share | None = None  # the image a colleague runs (`dockyard share`), if any

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def deps_stage(self) -> str:
        return f"deps-{self.name}"

    @property
    def dev_stage(self) -> str:
        return f"{self.name}-dev"

    @property
    def prod_stage(self) -> str:
        return self.name

    @property
    def first_party(self) -> tuple[Member, ...]:
        return self.app.first_party

    @property
    def requirements_file(self) -> str:
        return f"{REQUIREMENTS_DIR}/{self.name}.txt"

    @property
    def dev_requirements_file(self) -> str:
        return f"{REQUIREMENTS_DIR}/{self.name}-dev.txt"

    @property
    def dev_workdir(self) -> str:
        path = self.app.member.path
        return WORKSPACE if path == "." else f"{WORKSPACE}/{path}"

    @property
    def prod_tag(self) -> str:
        return f"{self.image}:{self.version}"

    @property
    def dev_tag(self) -> str:
        return f"{self.image}:dev"

    @property
    def share_stage(self) -> str:
        return f"{self.name}-share"

    @property
    def share_tag(self) -> str:
        return f"{self.image}:share"

    def revision_tags(self, revision: str | None) -> tuple[str, ...]:
        """Prod tags: the version, plus version-revision when the revision is known."""
        if not revision:
            return (self.prod_tag,)
        return (self.prod_tag, f"{self.image}:{release_tag(self.version, revision)}")


def builds_inline(member: Member) -> bool:
    """uv builds a uv_build member itself, in milliseconds and offline: its code stage
    mounts no uv cache (another backend's build environment comes from the cache)."""
    return member.build_backend == "uv_build"


_UPPER_BOUNDS = {"<", "<=", "==", "===", "~="}


def builds_offline(member: Member, uv_version: str | None) -> bool:
    """Does uv ``uv_version`` build the member with its own uv_build, in-process, so that
    its code stage needs no network at all? uv's own rule for that direct build: the
    backend is uv_build, [build-system] requires is one uv_build requirement, and its
    versions are bounded above and admit this uv. Otherwise uv fetches the uv_build
    release the member asks for (its code stage keeps the network and the secrets)."""
    if uv_version is None or not builds_inline(member) or len(member.build_requires) != 1:
        return False
    try:
        requirement = Pep508(member.build_requires[0])
        admits = requirement.specifier.contains(uv_version, prereleases=True)
    except (InvalidRequirement, InvalidVersion):
        return False
    bounded = any(spec.operator in _UPPER_BOUNDS for spec in requirement.specifier)
    return normalize(requirement.name) == "uv-build" and bounded and admits


@dataclass(frozen=True)
class SharedLayer:
    """Third-party pins installed once for a group of apps: one layer all their images share.

    Every layer is installed alone on the base, below /stage, and copied into its apps'
    images with `COPY --link` (heavy packages first, then the groups from the widest to
    the narrowest, then the app's own packages), so a change to one group installs that
    group again and no other. A heavy package (see ``is_heavy``) gets a layer of its own.
    """

    stage: str  # deps-common, deps.<app>.<app>... for a narrower group, heavy.<package>
    apps: tuple[str, ...]  # in plan order
    requirements: tuple[Requirement, ...]
    heavy: bool = False

    @property
    def file(self) -> str:
        name = "common" if self.stage == "deps-common" else self.stage
        return f"{REQUIREMENTS_DIR}/{name}.txt"


@dataclass(frozen=True)
class Plan:
    project: Project
    base_reference: str  # what FROM names: repo@digest, or a local-only tag
    uv_requirements: str  # pinned uv with hashes, from dockyard.lock
    layers: tuple[SharedLayer, ...]  # shared dependency layers, the widest groups first
    apps: tuple[AppPlan, ...]

    def app(self, name: str) -> AppPlan:
        return next(a for a in self.apps if a.name == name)

    @property
    def uv_version(self) -> str | None:
        """The version of the uv the images' install steps run (None: not pinned)."""
        pin = _PIN.match(self.uv_requirements.strip())
        return pin.group(3) if pin and normalize(pin.group(1)) == "uv" else None

    def app_layers(self, app: str) -> tuple[SharedLayer, ...]:
        """The shared layers an app's images copy, bottom up: heavy packages (they change
        least), then its groups from the widest to the narrowest."""
        mine = [g for g in self.layers if app in g.apps]
        return tuple([g for g in mine if g.heavy] + [g for g in mine if not g.heavy])

    def own_requirements(self, app: AppPlan) -> tuple[Requirement, ...]:
        """What the app's own deps layer installs: its pins that no shared layer has."""
        shared = {r for g in self.app_layers(app.name) for r in g.requirements}
        return tuple(r for r in app.requirements if r not in shared)

    @property
    def code_members(self) -> tuple[Member, ...]:
        """First-party members in any prod image, each installed once in a code stage of
        its own that every app using it copies (dependencies first, as the apps list them)."""
        seen: dict[str, Member] = {}
        for app in self.apps:
            for member in app.first_party:
                seen.setdefault(member.name, member)
        return tuple(seen.values())


UNKNOWN_SIZE = 100_000  # a package the lock gives no size for
# A package whose largest file in the lock passes this gets a layer of its own
# (scipy, numpy, pandas, torch... not the small packages an app adds every week).
HEAVY_BYTES = 8_000_000


_LOCK_NAME = re.compile(r'^name = "([^"]+)"$', re.M)
_LOCK_VERSION = re.compile(r'^version = "([^"]+)"$', re.M)
_LOCK_SIZE = re.compile(r"\bsize = (\d+)")
_LOCK_WHEEL_SIZE = re.compile(r'\.whl", hash = "[^"]*", size = (\d+)')


def lock_wheel_sizes(uv_lock: str) -> dict[tuple[str, str], int]:
    """(name, version) -> bytes of its largest wheel (what is installed, not the sdist)."""
    sizes = {}
    for block in uv_lock.split("\n[[package]]\n")[1:]:
        name, version = _LOCK_NAME.search(block), _LOCK_VERSION.search(block)
        if name and version:
            found = [int(n) for n in _LOCK_WHEEL_SIZE.findall(block)]
            sizes[normalize(name.group(1)), version.group(1)] = max(found, default=0)
    return sizes


def lock_sizes(uv_lock: str) -> dict[tuple[str, str], int]:
    """(name, version) -> bytes of its largest file (wheel or sdist), from uv.lock's text.

    A scan, not a TOML parse: a big lock takes tomllib a fifth of a second, and every
    build reads it.
    """
    sizes = {}
    for block in uv_lock.split("\n[[package]]\n")[1:]:
        name, version = _LOCK_NAME.search(block), _LOCK_VERSION.search(block)
        if name and version:
            found = [int(n) for n in _LOCK_SIZE.findall(block)]
            sizes[normalize(name.group(1)), version.group(1)] = max(found, default=0)
    return sizes


def _group_stage(group: Group, order: list[str], index: int) -> str:
    names = [a for a in order if a in group]
    return "deps." + ".".join(names) if len(names) <= 4 else f"deps.shared-{index}"


def is_heavy(
    req: Requirement, sizes: Mapping[tuple[str, str], int], named: Collection[str]
) -> bool:
    return req.name in named or sizes.get((req.name, req.version), 0) >= HEAVY_BYTES


def _heavy_layers(
    reqs: list[Requirement], apps: tuple[str, ...], taken: set[str]
) -> list[SharedLayer]:
    """One layer per heavy package (all its pinned versions: markers pick one), in name
    order."""
    layers = []
    for name in sorted({r.name for r in reqs}):
        stage = f"heavy.{name}"
        if stage in taken:  # the same package placed for another group of apps too
            stage = f"heavy.{name}." + ".".join(apps)
        taken.add(stage)
        pins = tuple(r for r in reqs if r.name == name)
        layers.append(SharedLayer(stage, apps, pins, heavy=True))
    return layers


def shared_layers(
    apps: list[AppPlan],
    sizes: Mapping[tuple[str, str], int],
    heavy: Collection[str] = (),
    wheel_sizes: Mapping[tuple[str, str], int] | None = None,
) -> tuple[SharedLayer, ...]:
    """The shared dependency layers: deps-common, then narrower app groups, each group's
    (and then each app's) heavy packages in layers of their own."""
    order = [a.name for a in apps]
    users: dict[Requirement, set[str]] = {}
    for app in apps:
        for req in app.requirements:
            users.setdefault(req, set()).add(app.name)
    frozen = {req: frozenset(names) for req, names in users.items()}
    family = choose_groups(frozen, lambda r: sizes.get((r.name, r.version), UNKNOWN_SIZE), order)
    # parents before children: wider groups first, then by the apps' order
    family = [family[0]] + sorted(
        family[1:], key=lambda g: (-len(g), [order.index(a) for a in sorted(g, key=order.index)])
    )
    stages = {
        g: "deps-common" if i == 0 else _group_stage(g, order, i) for i, g in enumerate(family)
    }
    wheels = sizes if wheel_sizes is None else wheel_sizes

    def heavy_pin(req: Requirement) -> bool:
        return is_heavy(req, wheels, heavy)

    layers: list[SharedLayer] = []
    taken: set[str] = set()
    for group in family:
        reqs = sorted(
            (r for r, u in frozen.items() if group in placement(u, family)), key=lambda r: r.name
        )
        in_order = tuple(a for a in order if a in group)
        light = tuple(r for r in reqs if not heavy_pin(r))
        if light:
            layers.append(SharedLayer(stages[group], in_order, light))
        layers += _heavy_layers([r for r in reqs if heavy_pin(r)], in_order, taken)
    for app in apps:  # each app's own heavy packages
        shared = {r for layer in layers if app.name in layer.apps for r in layer.requirements}
        own = [r for r in app.requirements if r not in shared and heavy_pin(r)]
        layers += _heavy_layers(own, (app.name,), taken)
    return tuple(layers)


def make_plan(
    project: Project,
    *,
    base_reference: str,
    uv_requirements: str,
    exports: dict[str, tuple[str, str]],
    sizes: Mapping[tuple[str, str], int] | None = None,
    workspace_dev: str = "",
    wheel_sizes: Mapping[tuple[str, str], int] | None = None,
) -> Plan:
    """Build the plan.

    ``exports`` maps each member name -> (prod export, prod+dev export) from uv;
    ``sizes`` (name, version) -> bytes of the package's wheel, to choose shared layers. An
    app's dev image carries the dev groups of every first-party member it contains,
    so the tests of a shared library run in the dev container of an app that uses it;
    ``workspace_dev``, the export of the workspace root's dev group, goes into every one.
    """
    apps = []
    for app in project.apps.values():
        dev: set[Requirement] = set(parse_requirements(workspace_dev))
        for member in app.first_party:
            dev.update(parse_requirements(exports[member.name][1]))
        requirements = parse_requirements(exports[app.member.name][0])
        apps.append(
            AppPlan(
                app=app,
                image=image_repository(project, app.name),
                version=app.member.version,
                requirements=requirements,
                dev_requirements=tuple(sorted(dev, key=lambda r: (r.name, r.version))),
                share=resolve_share(app, {r.name for r in requirements}),
            )
        )
    layers = shared_layers(apps, sizes or {}, project.heavy, wheel_sizes)
    return Plan(project, base_reference, uv_requirements, layers, tuple(apps))
