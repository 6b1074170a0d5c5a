"""An app's share image: its Dockerfile stage and the text a colleague follows (pure).

The text is the same in three places: what `dockyard share` prints, the file
/opt/share/README.md in the image, and the image's `io.dockyard.share` label, so a
colleague who only has the image can read it with `docker inspect`.
"""

from __future__ import annotations

import json

from dockyard.names import label
from dockyard.plan import VENV, AppPlan, Plan
from dockyard.share import BUNDLE, NOTEBOOKS, SHARE_HOME, SHARE_UID, SHARE_USER, Share

SHARE_LABEL = label("share")
SHARE_ARG = "DOCKYARD_SHARE"  # the label's text, passed by docker-bake.json
README = f"{BUNDLE}/README.md"
STAMP = "/tmp/.dockyard-stamp"
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


def _ancestors(paths: list[str]) -> list[str]:
    found = {"/"}
    for path in paths:
        parts = path.strip("/").split("/")
        found |= {"/" + "/".join(parts[: i + 1]) for i in range(len(parts))}
    return sorted(found)


def _bytecode() -> str:
    """Compile what the layers below left uncompiled (unchecked-hash pycs, one process,
    sorted files, fixed hash seed: the same bytes every build); mtimes pinned to 0."""
    code = [
        "import importlib.util as u, os, py_compile as c;",
        f"todo = sorted(os.path.join(d, f) for d, _, fs in os.walk('{VENV}')",
        "for f in fs if f.endswith('.py'));",
        "mode = c.PycInvalidationMode.UNCHECKED_HASH;",
        "[c.compile(p, invalidation_mode=mode, quiet=2) for p in todo",
        "if not os.path.exists(u.cache_from_source(p))]",
    ]
    python = " \\\n      ".join(code)
    return (
        f"RUN touch {STAMP} \\\n"
        f' && PYTHONHASHSEED=0 python -c "{python}" \\\n'
        f" && find {VENV} -cnewer {STAMP} -exec touch -h -d @0 {{}} + \\\n"
        f" && rm {STAMP} \\\n"
        " && touch -h -d @0 /tmp"
    )


def _layout(app: AppPlan, share: Share) -> str:
    """The user, its home, /notebooks, and /opt/share (README + the team's files)."""
    mounts = [f"--mount=type=bind,source={readme_path(app)},target=/tmp/share/README.md"]
    member = app.app.member.path
    for folder in share.files:
        source = folder if member == "." else f"{member}/{folder}"
        name = folder.rsplit("/", 1)[-1]
        mounts.append(f"--mount=type=bind,source={source},target=/tmp/share/{name}")
    writable = [SHARE_HOME, NOTEBOOKS, *app.app.config.writable]
    dirs = [*writable, BUNDLE]
    commands = [
        f"groupadd --non-unique --gid {SHARE_UID} {SHARE_USER}",
        f"useradd --non-unique --no-log-init --uid {SHARE_UID} --gid {SHARE_UID} "
        f"--no-create-home --home-dir {SHARE_HOME} --shell /bin/bash {SHARE_USER}",
        f"mkdir -p {' '.join(dirs)}",
        f"chmod 1777 {' '.join(writable)}",
        f"cp -rL /tmp/share/. {BUNDLE}/",
        f"chmod -R a+rX,go-w {BUNDLE}",
        f"find {BUNDLE} -exec touch -h -d @0 {{}} +",
        f"touch -h -d @0 {' '.join(_ancestors(dirs))} /tmp",
        "touch -c -h -d @0 /etc/passwd /etc/group /etc/shadow /etc/gshadow "
        "/etc/passwd- /etc/group- /etc/shadow- /etc/gshadow-",
    ]
    lines = [f"RUN {mounts[0]}", *(f"    {m}" for m in mounts[1:]), f"    {commands[0]}"]
    lines += [f" && {c}" for c in commands[1:]]
    return " \\\n".join(lines)


def share_stage(app: AppPlan) -> str:
    """FROM the app's prod image: + bytecode, a non-root user whose home works for any
    uid, the mount point /notebooks, the team's files, the command, the text as a label."""
    share = _share(app)
    parts = [
        f"# ---- {app.share_stage}: the image a colleague runs with Docker alone "
        f"(`dockyard share {app.name}`) ----",
        f"# the {app.name} prod image + bytecode, a home for whichever uid runs it "
        "(docker run --user),",
        f"# {NOTEBOOKS} to mount, the team's files and this image's instructions in {BUNDLE}",
        f"FROM {app.prod_stage} AS {app.share_stage}",
        "USER 0:0",
        _bytecode(),
        _layout(app, share),
    ]
    env = [("HOME", SHARE_HOME), ("USER", SHARE_USER), *share.environment]
    parts.append("ENV " + " \\\n    ".join(f"{k}={json.dumps(v)}" for k, v in env))
    parts.append(f"WORKDIR {NOTEBOOKS}")
    parts.append(f"USER {SHARE_UID}:{SHARE_UID}")
    if share.port is not None:
        parts.append(f"EXPOSE {share.port}")
    if share.command is not None:
        parts.append(f"CMD {json.dumps(list(share.command))}")
    parts += [
        f"ARG {SHARE_ARG}",
        f'LABEL {SHARE_LABEL}="${SHARE_ARG}"',
    ]
    return "\n".join(parts) + "\n"
