"""render/steps.py: how a RUN step is laid out (mounts, then one install.py command)."""

from __future__ import annotations

from dockyard import buildstep
from dockyard.render import steps
from dockyard.render.steps import INDEX, TOOLS, WIDTH, bind, install, run


def test_a_command_that_fits_ends_the_last_mount_line() -> None:
    text = install(
        [bind(".dockyard/requirements/a.txt", steps.REQUIREMENTS), *INDEX], "requirements"
    )
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0] == (
        "RUN --mount=type=bind,source=.dockyard/requirements/a.txt,target=/tmp/requirements.txt \\"
    )
    assert lines[-1].endswith(
        "--mount=type=secret,id=ca_bundle /opt/dockyard/install.py requirements"
    )
    assert all(len(line) <= WIDTH for line in lines)


def test_a_longer_command_gets_a_line_of_its_own_then_wraps_keeping_flags_whole() -> None:
    source = [bind(f"packages/member_{i}", f"/workspace/packages/member_{i}") for i in range(2)]
    members = [f"/workspace/packages/member_{i}" for i in range(2)]
    lines = install(source + INDEX, "dev", *members).splitlines()
    assert lines[-1] == "    /opt/dockyard/install.py dev " + " ".join(members)
    flags = ["--workdir /workspace/packages/a_long_member_name_here", "--writable /data", "/logs"]
    lines = install([TOOLS], "user", "dev", "1000", "/home/dev", *flags).splitlines()
    assert lines[0].startswith("RUN --mount=from=tools,dst=/opt/dockyard /opt/dockyard/install.py")
    assert lines[1].startswith("      --workdir /workspace/")  # the flag beside its value
    assert all(len(line) <= WIDTH for line in lines)


def test_a_mount_longer_than_a_line_stays_whole() -> None:
    long = bind(".dockyard/requirements/" + "x" * WIDTH + ".txt", steps.REQUIREMENTS)
    assert run([long, TOOLS], "true").splitlines()[0] == f"RUN {long} \\"


def test_the_script_and_the_renderer_agree_on_paths() -> None:
    assert steps.REQUIREMENTS == buildstep.REQUIREMENTS
    assert steps.INSTALL == "/opt/dockyard/install.py"
    assert TOOLS.endswith("dst=" + steps.INSTALL.rsplit("/", 1)[0])
