"""An app's share image: its Dockerfile stage and the text a colleague follows (pure).

The text is the same in three places: what `dockyard share` prints, the file
/opt/share/README.md in the image, and the image's `io.dockyard.share` label, so a
colleague who only has the image can read it with `docker inspect`.
"""

from __future__ import annotations

import json

from dockyard.buildstep import SHARE_FROM
from dockyard.names import label
from dockyard.plan import AppPlan, Plan
from dockyard.render.steps import OFFLINE, TOOLS, bind, install, wrap
from dockyard.share import BUNDLE, NOTEBOOKS, SHARE_HOME, SHARE_UID, SHARE_USER, Share

SHARE_LABEL = label("share")
SHARE_ARG = "DOCKYARD_SHARE"  # the label's text, passed by docker-bake.json
README = f"{BUNDLE}/README.md"
POSIX_USER = '--user "$(id -u):$(id -g)"'
POSIX_MOUNT = f'-v "$PWD:{NOTEBOOKS}"'
POWERSHELL_MOUNT = f'-v "${{PWD}}:{NOTEBOOKS}"'
ARCHIVE = "FILE.tar.gz"  # in the label: the file name is only known when one is saved


def readme_path(app: AppPlan) -> str:
    """Where `dockyard generate` writes the app's share text (bind-mounted into the build)."""
    return f".dockyard/share/{app.name}.md"


def archive_name(plan: Plan, app: AppPlan) -> str:
    """The default file `dockyard share --save` writes."""
    return f"{plan.project.name}-{app.name}-share.tar.gz"


def _share(app: AppPlan) -> Share:
    if app.share is None:
        raise ValueError(f"app {app.name} has no share image")
    return app.share


def run_args(app: AppPlan, host_port: int | None = None) -> list[str]:
    """`docker run` options both shells share: ports, and the port Jupyter listens on."""
    share = _share(app)
    args = ["--rm"] if share.jupyter else ["--rm", "-it"]
    if share.port is not None:
        host = host_port or share.port
        inner = host if share.jupyter else share.port  # Jupyter's URL names its own port
        args += ["-p", f"127.0.0.1:{host}:{inner}"]
        if share.jupyter and host != share.port:
            args += ["-e", f"JUPYTER_PORT={host}"]
    return args


def run_commands(app: AppPlan, ref: str, host_port: int | None = None) -> tuple[str, str]:
    """The one `docker run` a colleague types: (Linux/macOS shells, Windows PowerShell)."""
    args = " ".join(run_args(app, host_port))
    posix = f"docker run {args} {POSIX_USER} {POSIX_MOUNT} {ref}"
    powershell = f"docker run {args} {POWERSHELL_MOUNT} {ref}"
    return posix, powershell


def url(app: AppPlan, host_port: int | None = None) -> str | None:
    share = _share(app)
    if share.port is None:
        return None
    base = f"http://127.0.0.1:{host_port or share.port}/"
    return base + "lab?token=" if share.jupyter else base


def _data_lines(share: Share) -> list[str]:
    settings = [(k, v) for k, v in share.environment if not (share.jupyter and k == "JUPYTER_PORT")]
    if not settings:
        return []
    lines = [
        "Settings: the image runs with these; change any of them by adding",
        "-e NAME=value before the image name in the docker run command:",
    ]
    lines += [f"    {name}={value}" for name, value in settings]
    for name, value in settings:
        if f"{NOTEBOOKS}/" in value:
            file = value.split(f"{NOTEBOOKS}/", 1)[1]
            lines.append(
                f"  {name} names {file} in your folder: put a copy of that file there (e.g. the "
                "team's SQLite database),"
            )
            lines.append(f"  or point it elsewhere, e.g. -e {name}=<the team's database URL>.")
    return lines


def share_text(
    plan: Plan,
    app: AppPlan,
    *,
    pull: bool | None = None,
    archive: str | None = ARCHIVE,
    host_port: int | None = None,
) -> str:
    """The colleague's instructions. ``pull``: name the registry (default: when the
    manifest has one); ``archive``: the .tar.gz to load (None: not offered)."""
    share = _share(app)
    ref = app.share_tag
    pull = plan.project.registry is not None if pull is None else pull
    posix, powershell = run_commands(app, ref, host_port)
    what = "Jupyter Lab" if share.jupyter else "the app"
    lines = [
        f"{ref}: {plan.project.name}'s {app.name} {app.version}, ready to run with Docker",
        f"(nothing else needed). The folder you start it in becomes {NOTEBOOKS}.",
        "",
        "1. Get the image:",
    ]
    if pull:
        lines.append(f"     docker pull {ref}")
    if pull and archive:
        lines.append("   or, from the file you were given:")
    if archive:
        lines.append(f"     docker load -i {archive}")
    lines += [
        "",
        f"2. In the folder with your notebooks and data, start {what}:",
        "   Linux, macOS (bash, zsh):",
        f"     {posix}",
        "   Windows PowerShell (Docker Desktop):",
        f"     {powershell}",
        "",
    ]
    link = url(app, host_port)
    if share.jupyter:
        lines += [
            f"3. Jupyter prints a link starting with {link}…  (a new token on",
            "   every start): open it in your browser. What you save lands in your folder and",
            "   stays yours. Ctrl-C stops Jupyter and removes the container.",
            f"   Port {host_port or share.port} taken? Use another in both places, e.g.",
            "     -p 127.0.0.1:8899:8899 -e JUPYTER_PORT=8899",
        ]
    elif link:
        lines.append(f"3. It answers on {link}; Ctrl-C stops it and removes the container.")
    else:
        lines.append("3. Ctrl-C (or exiting it) stops it and removes the container.")
    data = _data_lines(share)
    if data:
        lines += ["", *data]
    if share.files:
        folders = ", ".join(f"{BUNDLE}/{f.rsplit('/', 1)[-1]}" for f in share.files)
        first = share.files[0].rsplit("/", 1)[-1]
        lines += [
            "",
            f"The team's files are in the image ({folders}); a copy in your folder:",
            f"     docker run --rm {POSIX_USER} {POSIX_MOUNT} {ref} cp -r {BUNDLE}/{first} .",
            f"     docker run --rm {POWERSHELL_MOUNT} {ref} cp -r {BUNDLE}/{first} .",
        ]
    lines += [
        "",
        f"This text is in the image: docker run --rm {ref} cat {README}",
        f"(and in its label {SHARE_LABEL}: docker inspect {ref})",
    ]
    return "\n".join(lines) + "\n"


def share_stage(app: AppPlan) -> str:
    """FROM the app's prod image: + bytecode, a non-root user whose home works for any
    uid, the mount point /notebooks, the team's files, the command, the text as a label."""
    share = _share(app)
    mounts = [OFFLINE, bind(readme_path(app), f"{SHARE_FROM}/README.md")]
    member = app.app.member.path
    for folder in share.files:
        source = folder if member == "." else f"{member}/{folder}"
        mounts.append(bind(source, f"{SHARE_FROM}/{folder.rsplit('/', 1)[-1]}"))
    mounts.append(TOOLS)
    writable = [f"--writable {NOTEBOOKS}", *app.app.config.writable]
    user = [SHARE_USER, str(SHARE_UID), SHARE_HOME, *writable]
    env = [("HOME", SHARE_HOME), ("USER", SHARE_USER), *share.environment]
    parts = [
        f"# ---- {app.share_stage} (`dockyard share {app.name}`): + bytecode, a home for any uid, "
        f"{NOTEBOOKS}, {BUNDLE}",
        f"FROM {app.prod_stage} AS {app.share_stage}",
        "USER 0:0",
        install(mounts, "share", *user),
        " \\\n".join(wrap("ENV", [f"{k}={json.dumps(v)}" for k, v in env])),
        f"WORKDIR {NOTEBOOKS}",
        f"USER {SHARE_UID}:{SHARE_UID}",
    ]
    if share.port is not None:
        parts.append(f"EXPOSE {share.port}")
    if share.command is not None:
        parts.append(f"CMD {json.dumps(list(share.command))}")
    parts += [
        f"ARG {SHARE_ARG}",
        f'LABEL {SHARE_LABEL}="${SHARE_ARG}"',
    ]
    return "\n".join(parts) + "\n"
