"""Command line: parse arguments, call one command function, turn its result into an exit code."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from dockyard import __version__, crash
from dockyard.errors import DockyardError
from dockyard.manifest import load_project

PROJECT = click.option(
    "--project",
    "-C",
    "project_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The project root (the folder with pyproject.toml).",
)


# Set by the group once click has parsed dockyard's own options; read by main().
_OPTIONS = {"debug": False}

NO_GENERATE = click.option(
    "--no-generate",
    "no_generate",
    is_flag=True,
    help="Build from the generated files as they are, even if stale or edited by hand.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dockyard")
@click.option("--debug", is_flag=True, help="Log every command dockyard runs; show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """dockyard: one manifest ([tool.dockyard] in pyproject.toml) -> locked, layered
    Docker images, dev containers and deploys for a Python monorepo.

    \b
    Typical flow:
      dockyard lock          pin packages (uv.lock) and the base image (dockyard.lock)
      dockyard generate      write Dockerfile, compose files, bake file
      dockyard build --all   build every prod and dev image in one bake
      dockyard test          run each app's tests in its dev container
      dockyard dev api       the API with live reload; `dockyard notebook` for Jupyter
      dockyard share         a colleague's Jupyter: an image + the commands to run it
    """
    ctx.obj = {"debug": debug}
    _OPTIONS["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="dockyard: %(message)s"
    )


@cli.command()
@PROJECT
@click.option(
    "--write",
    is_flag=True,
    help="Apply what was found: write [tool.dockyard] (and, for requirements files, a "
    "pyproject.toml per package); every replaced file is kept as <file>.dockyard-backup.",
)
@click.option(
    "--example",
    "example",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the bundled example monorepo (examples/lol_data) into this folder.",
)
def init(project_dir: Path, write: bool, example: Path | None) -> int:
    """Adopt an existing project: detect its apps and print what was found.

    \b
    Detected layouts:
      uv workspace     members with their own Dockerfile CMD, a console
                       script, __main__.py or a FastAPI/Starlette/Flask app
                       object are apps (command, port, /health); the others
                       are libraries (the report says why, for each)
      single project   one pyproject.toml ([project], PEP 621): one app
      requirements     top-level package folders + requirements_<app>.txt
                       (+ Dockerfile, docker-compose*.yml, run_*.sh): with
                       --write, converted to a uv workspace
    A Dockerfile's `uv run X` becomes X; `fastapi dev`, `flask run --debug`
    and `--reload` become the dev-command, with a production command derived.
    The base image is one whose Python satisfies requires-python.
    Without --write nothing is changed. A Poetry-only, setup.py-only or
    non-Python repository gets a message saying how to proceed (exit 2).
    """
    from dockyard.commands import init as command

    if example is not None:
        return command.write_example(example)
    return command.init(project_dir.resolve(), write=write)


@cli.command()
@PROJECT
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a lock is stale (CI).")
def lock(project_dir: Path, check: bool) -> int:
    """Lock packages (uv lock) and pin the base image and uv in dockyard.lock."""
    from dockyard.commands.lock import lock as command

    return command(load_project(project_dir), check=check)


@cli.command()
@PROJECT
@click.option(
    "--check", is_flag=True, help="Change nothing; exit 1 when a generated file is stale (CI)."
)
def generate(project_dir: Path, check: bool) -> int:
    """Render Dockerfile, compose.yaml, compose.dev.yaml, docker-bake.json, .dockerignore.

    Also .devcontainer/<app>/devcontainer.json: one VS Code Dev Containers config per app.
    """
    from dockyard.commands.generate import generate as command

    return command(load_project(project_dir), check=check)


@cli.command()
@PROJECT
@click.argument("apps", nargs=-1)
@click.option("--dev", "dev", is_flag=True, help="Build the dev images instead of prod.")
@click.option("--all", "everything", is_flag=True, help="Build prod and dev images.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the built images as JSON (app, target, image, tags, id).",
)
@click.option(
    "--ca-bundle",
    type=click.Path(dir_okay=False),
    default=None,
    help="CA bundle for the build's index traffic, passed as a BuildKit secret "
    "[default: $SSL_CERT_FILE, $PIP_CERT or $REQUESTS_CA_BUNDLE].",
)
@click.option(
    "--sbom",
    "with_sbom",
    is_flag=True,
    help="Then write a CycloneDX 1.6 SBOM of each prod image built (see `dockyard sbom`).",
)
@NO_GENERATE
def build(
    project_dir: Path,
    apps: tuple[str, ...],
    dev: bool,
    everything: bool,
    as_json: bool,
    ca_bundle: str | None,
    no_generate: bool,
    with_sbom: bool,
) -> int:
    """Build the images of APPS (default: all) with one `docker buildx bake`.

    Prod images are tagged <registry or name>/<app>:<version> and
    <version>-<git revision>; dev images <registry or name>/<app>:dev.
    """
    from dockyard.commands.build import build as command

    kinds = ("prod", "dev") if everything else ("dev",) if dev else ("prod",)
    project = load_project(project_dir)
    code = command(
        project, apps, kinds=kinds, as_json=as_json, ca_bundle=ca_bundle, generate=not no_generate
    )
    if with_sbom and code == 0 and "prod" in kinds:
        from dockyard.supply.sboms import write_sboms

        write_sboms(project, apps)
    return code


@cli.command()
@PROJECT
@click.argument("apps", nargs=-1)
def sbom(project_dir: Path, apps: tuple[str, ...]) -> int:
    """Write a CycloneDX 1.6 SBOM of the prod image of APPS (default: all).

    \b
    What the image really holds: cyclonedx-py reads the image's venv in a throwaway
    container (no network, read-only, the tool mounted read-only), and the base
    image's Debian packages come from its dpkg status. Every Python package is
    checked against `uv export --format cyclonedx1.5` of the lock, and the document
    against the CycloneDX 1.6 schema. Same image, same bytes: no wall-clock time
    (the timestamp is SOURCE_DATE_EPOCH) and a serial number derived from the image ID.
    Written to .dockyard/supply/<app>-<version>-<revision>.cdx.json (git-ignored);
    `dockyard push` attaches it next to the pushed image (`dockyard sign`: signed).
    """
    from dockyard.commands.sbom import sbom_command

    return sbom_command(load_project(project_dir), apps)


BUILD_FIRST = click.option(
    "--build",
    "build",
    is_flag=True,
    help="(Re)build the app's dev image(s) first; needed when they are stale "
    "(lock exports or Dockerfile changed since they were built).",
)


@cli.command()
@PROJECT
@BUILD_FIRST
@click.argument("app")
def shell(project_dir: Path, app: str, build: bool) -> int:
    """An interactive shell in APP's dev container, the source mounted at /workspace."""
    from dockyard.commands.devrun import shell as command

    return command(load_project(project_dir), app, build=build)


@cli.command(context_settings={"ignore_unknown_options": True})
@PROJECT
@BUILD_FIRST
@click.argument("app")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(project_dir: Path, app: str, command: tuple[str, ...], build: bool) -> int:
    """Run COMMAND in a one-off dev container of APP (removed afterwards).

    It runs as your uid (DOCKYARD_UID/DOCKYARD_GID override it), so files it writes
    in the source are yours. Example: dockyard run api -- python -c 'import lol_data_api'
    """
    from dockyard.commands.devrun import run_in_dev

    return run_in_dev(load_project(project_dir), app, list(command), build=build)


@cli.command(context_settings={"ignore_unknown_options": True})
@PROJECT
@click.argument("apps", nargs=-1)
@click.option(
    "--pytest-args",
    "pytest_args",
    multiple=True,
    help="Extra argument for pytest (repeatable), e.g. --pytest-args=-x",
)
def test(project_dir: Path, apps: tuple[str, ...], pytest_args: tuple[str, ...]) -> int:
    """Run each app's tests (default: all apps) inside its dev container.

    Apps named in an app's test-needs run beside it in a throwaway Compose project.
    Exit code 0 only when every app's tests pass.
    """
    from dockyard.commands.devrun import test as command

    return command(load_project(project_dir), apps, pytest_args)


@cli.command()
@PROJECT
@click.argument("apps", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@NO_GENERATE
def verify(project_dir: Path, apps: tuple[str, ...], as_json: bool, no_generate: bool) -> int:
    """Prove the prod images of APPS (default: all) are reproducible.

    Builds each twice with no build cache (uv's download cache may stay) and
    compares the image digests; when they differ, names the first differing
    layer and the files that differ in it. Exit 0 only when all are identical.
    """
    from dockyard.commands.verify import verify as command

    return command(load_project(project_dir), apps, as_json=as_json, generate=not no_generate)


KEY = click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The private key [default: $DOCKYARD_SIGNING_KEY, else "
    "~/.config/dockyard/keys/<project name>.key].",
)


@cli.command()
@PROJECT
@click.argument("apps", nargs=-1)
@KEY
def sign(project_dir: Path, apps: tuple[str, ...], key: Path | None) -> int:
    """Sign the pushed prod image of APPS (default: all) with your cosign key.

    \b
    For each app, this revision's image is signed by the digest the registry
    serves, and its SBOM (CycloneDX, `dockyard sbom`) and provenance (in-toto,
    SLSA v1: commit, lock hashes, base image digest, builder) are attached as
    signed attestations next to it in the registry. The key's password comes
    from COSIGN_PASSWORD or is asked for; it never reaches a command line or a
    log. Nothing goes to a public transparency log. Deploy targets with
    `require-signature` accept only images signed this way.
    """
    from dockyard.commands.sign import sign as command

    return command(load_project(project_dir), apps, key)


@cli.command()
@PROJECT
@click.argument("app")
@click.option("--sbom", is_flag=True, help="Print the attached SBOM instead.")
def provenance(project_dir: Path, app: str, sbom: bool) -> int:
    """Print the provenance statement attached to APP's pushed image, from the registry.

    \b
    `dockyard push` attaches to this revision's prod image (by digest) its in-toto
    provenance statement (SLSA v1: commit, lock hashes, base image digest, builder)
    and its CycloneDX SBOM, as OCI 1.1 referrers: artifact manifests whose subject is
    the image (listed by the registry's referrers API, or by a `sha256-<digest>` index
    tag where it has none). This reads them back and prints the JSON on stdout.
    Unsigned: `dockyard sign` adds signed attestations of the same documents.
    """
    from dockyard.commands.provenance import provenance as command

    return command(load_project(project_dir), app, sbom=sbom)


@cli.command()
@PROJECT
@KEY
def keygen(project_dir: Path, key: Path | None) -> int:
    """Make a cosign key pair for `dockyard sign`: KEY (encrypted) and KEY.pub.

    The private key is written outside the project (mode 600), encrypted with the
    password from COSIGN_PASSWORD or asked twice; the public key goes next to it:
    copy it into the project for `require-signature`.
    """
    from dockyard.commands.sign import keygen as command

    return command(load_project(project_dir), key)


@cli.command()
@PROJECT
@click.argument("apps", nargs=-1)
@click.option("--dev", is_flag=True, help="Push the dev images (:dev) too.")
def push(project_dir: Path, apps: tuple[str, ...], dev: bool) -> int:
    """Push the prod images of APPS (default: all) to the manifest's `registry`.

    Pushes <registry>/<app>:<version> and :<version>-<revision>; layers the registry
    already has are not sent again. Then attaches each prod image's provenance
    statement and SBOM next to it in the registry (OCI referrers; read them back
    with `dockyard provenance APP`).
    """
    from dockyard.commands.ship import push as command

    return command(load_project(project_dir), apps, dev=dev)


@cli.command()
@PROJECT
@BUILD_FIRST
@click.argument("app", required=False)
def dev(project_dir: Path, app: str | None, build: bool) -> int:
    """Run APP's dev service with live reload (default: the one app that has a reload command).

    `docker compose -f compose.dev.yaml up APP` with the source mounted: the app's
    `dev-command` (e.g. uvicorn --reload) restarts it on every edit, no rebuild.
    Ctrl-C stops and removes the services it started.
    """
    from dockyard.commands.dev import dev as command

    return command(load_project(project_dir), app, build=build)


@cli.command()
@PROJECT
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor(project_dir: Path, as_json: bool) -> int:
    """Check the machine (engine, BuildKit, Compose, CA, registry) and the project
    (base image pinning, locks, stale generated files, secrets), with a fix for each.

    Exit 1 when anything is a failure.
    """
    from dockyard.commands.doctor import doctor as command

    return command(project_dir.resolve(), as_json=as_json)


@cli.command()
@PROJECT
@BUILD_FIRST
@click.argument("app", required=False)
@click.option(
    "--port",
    default=8888,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Host port (on 127.0.0.1) for Jupyter Lab.",
)
def notebook(project_dir: Path, app: str | None, port: int, build: bool) -> int:
    """Jupyter Lab in APP's dev environment (default: the app that has jupyterlab).

    The repository is mounted at /workspace and the app's volumes (its database) are
    attached; the URL with its token is printed. Ctrl-C stops it and removes its container.
    """
    from dockyard.commands.notebook import notebook as command

    return command(load_project(project_dir), app, port=port, build=build)


@cli.command()
@PROJECT
@click.argument("apps", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write, e.g. lol-data.tar.gz.",
)
@click.option("--dev", is_flag=True, help="Include the dev images (:dev).")
def save(project_dir: Path, apps: tuple[str, ...], output: Path, dev: bool) -> int:
    """Save the images of APPS into one .tar.gz, for a machine with no registry."""
    from dockyard.commands.ship import save as command

    return command(load_project(project_dir), apps, output, dev=dev)


@cli.command()
@PROJECT
@click.argument("app", required=False)
@click.option(
    "--save",
    is_flag=True,
    help="Write a .tar.gz instead of pushing (the default when no `registry` is set).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The archive to write (implies --save) [default: <name>-<app>-share.tar.gz].",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="The host port in the printed commands [default: the app's, Jupyter 8888].",
)
def share(
    project_dir: Path, app: str | None, save: bool, output: Path | None, port: int | None
) -> int:
    """Share APP's environment with a colleague who has Docker and nothing else.

    Builds APP's share image (default: the one app that has one; apps with no command,
    such as a Jupyter environment, have one), pushes it to `registry` (or saves a
    .tar.gz) and prints the commands to type: docker pull / docker load, then one
    docker run that opens Jupyter on the current folder (Linux, macOS, PowerShell).
    """
    from dockyard.commands.share import share as command

    return command(load_project(project_dir), app, save=save, output=output, port=port)


@cli.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def load(archive: Path) -> int:
    """Load images from a `dockyard save` archive into the engine (DOCKER_HOST)."""
    from dockyard.commands.ship import load as command

    return command(archive)


@cli.command()
@PROJECT
@click.option("--volumes", is_flag=True, help="Also remove the dev volumes (the dev database).")
def down(project_dir: Path, volumes: bool) -> int:
    """Stop and remove the dev containers: VS Code's, `dockyard dev`'s and notebooks'.

    The Dev Containers CLI has no `down`; this is `docker compose -f compose.dev.yaml down`.
    """
    from dockyard.commands.down import down as command

    return command(load_project(project_dir), volumes=volumes)


BREAK_LOCK = click.option(
    "--break-lock",
    is_flag=True,
    help="Remove the target's deploy lock first (only when the deploy holding it was "
    "interrupted and no other one runs; compose targets).",
)


@cli.command()
@PROJECT
@click.argument("target")
@BREAK_LOCK
def deploy(project_dir: Path, target: str, break_lock: bool) -> int:
    """Deploy this revision's images to TARGET ([tool.dockyard.deploy.TARGET]).

    \b
    compose: only the apps whose image content or settings changed are replaced, one
             by one. An app with ports is replaced blue/green behind the server's
             dockyard-proxy (Caddy): the new container starts beside the old, is
             health-checked, the proxy switches, in-flight requests drain
             (drain-timeout), the old one stops. A release that fails is removed and
             the running one keeps serving; the exit code is non-zero.
    swarm:   `docker stack deploy` with start-first, auto-rollback rolling updates.
    The images must be in the registry: `dockyard build && dockyard push` first.
    """
    from dockyard.commands.deploy import deploy as command

    return command(load_project(project_dir), target, break_lock)


@cli.command()
@PROJECT
@click.argument("target")
@click.option("--release", "release_id", type=int, default=None, help="Go back to this release.")
@BREAK_LOCK
def rollback(project_dir: Path, target: str, release_id: int | None, break_lock: bool) -> int:
    """Run TARGET's previous release again (the server keeps `keep` of them), through
    the same health-gated switch as a deploy."""
    from dockyard.commands.deploy import rollback as command

    return command(load_project(project_dir), target, release_id, break_lock)


@cli.group()
def proxy() -> None:
    """The server's dockyard-proxy (Caddy), which serves the apps' ports."""


@proxy.command("upgrade")
@PROJECT
@click.argument("target")
def proxy_upgrade(project_dir: Path, target: str) -> int:
    """Run TARGET's proxy on the Caddy version this dockyard pins (routes kept).

    A deploy never upgrades the proxy: this is the one explicit step that does, and
    the served ports pause for a second or two while the container is replaced.
    """
    from dockyard.commands.proxy import upgrade as command

    return command(load_project(project_dir), target)


@cli.command()
@PROJECT
@click.argument("target")
def status(project_dir: Path, target: str) -> int:
    """What runs on TARGET: app, image, version, state/health, since; kept releases."""
    from dockyard.commands.status import status as command

    return command(load_project(project_dir), target)


@cli.command()
@PROJECT
@click.argument("target")
@click.argument("apps", nargs=-1)
@click.option("-f", "--follow", is_flag=True, help="Keep following new output.")
@click.option("--tail", default="200", show_default=True, help="Lines per app ('all' for all).")
def logs(project_dir: Path, target: str, apps: tuple[str, ...], follow: bool, tail: str) -> int:
    """The logs of TARGET's apps (default: all of them)."""
    from dockyard.commands.status import logs as command

    return command(load_project(project_dir), target, apps, follow, tail)


@cli.command()
@PROJECT
@click.argument("target")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the manifests [default: k8s/TARGET].",
)
@click.option(
    "--tags", "tags_only", is_flag=True, help="Name images by tag; do not ask the registry."
)
def k8s(project_dir: Path, target: str, output: Path | None, tags_only: bool) -> int:
    """Render Kubernetes manifests for TARGET's apps (Deployment, Service, probes,
    ConfigMap/Secret env, PVCs, non-root) and a kustomization.yaml."""
    from dockyard.commands.k8s import k8s as command

    return command(load_project(project_dir), target, output, tags_only)


@cli.group()
def base() -> None:
    """Base images for hosts with no registry."""


@base.command("bootstrap")
@click.option("--suite", default="bookworm", show_default=True, help="Debian release.")
@click.option("--tag", default=None, help="Image tag [default: dockyard/python:<ver>-<suite>].")
@click.option("--mirror", default=None, help="Debian mirror [default: the one apt uses].")
def bootstrap(suite: str, tag: str | None, mirror: str | None) -> int:
    """Build a Python base image with debootstrap + `docker import` (root, ~1 minute)."""
    from dockyard.commands.base_image import bootstrap as command

    return command(suite, tag, mirror)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turn every outcome into one line and an exit code.

    0 success, 1 a check that failed, 2 a user error (usage, manifest, environment),
    3 an unexpected error (traceback in a log file), 130 Ctrl-C.
    """
    try:
        code = cli.main(args=argv, standalone_mode=False)
    except DockyardError as exc:
        if _debug():
            raise
        click.echo(f"dockyard: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("dockyard: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the last net: one line, the rest in a log
        if _debug():
            raise
        click.echo(f"dockyard: unexpected error: {crash.summary(exc)}", err=True)
        click.echo(f"dockyard: {crash.write_log(exc, argv)}", err=True)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)


def _debug() -> bool:
    """Whether dockyard's own --debug was given (not an argument after the command)."""
    return _OPTIONS["debug"]
