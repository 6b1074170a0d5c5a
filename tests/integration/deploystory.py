"""What the deploy stories share (test_deploy.py, test_deploy_compose.py, test_swarm.py):
the real parts they reach (the registry on 127.0.0.1:5000, the test sshd on
127.0.0.1:18022), the example's probes they rewrite, and the Story that drives one copy
of the example. Not a test module: the stories import it (`from deploystory import ...`);
the `ssh_env` fixture they share lives in conftest.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import docker, dockyard

SSH_PORT = 18022
HOST = f"ssh://root@127.0.0.1:{SSH_PORT}"
REGISTRY = "127.0.0.1:5000"
# the example's probes, as its pyproject.toml spells them (the stories rewrite them)
PARSER_PROBE = '["lol-data-parser", "--health"] }'
API_PROBE = '{ http = "http://127.0.0.1:8000/health" }'
FAST_PROBE = ', interval = "2s", start-period = "300s" }'


def ssh(env: dict[str, str], command: str, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["ssh", "-p", str(SSH_PORT), "root@127.0.0.1", command],
        input=data,
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode()


def commit(root: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message],
        cwd=root,
        check=True,
    )


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


class Story:
    """The example copy, its server and what each step saw."""

    def __init__(self, root: Path, env: dict[str, str], name: str, directory: str) -> None:
        self.root, self.env, self.name, self.directory = root, env, name, directory
        self.versions: list[str] = []

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return dockyard(self.root, *args, check=check, env=self.env)

    def release(self, message: str) -> str:
        """Regenerate, commit, build and push parser + api; the new version tag."""
        self.run("generate")
        commit(self.root, message)
        self.run("build", "parser", "api")
        self.run("push", "parser", "api")
        rev = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=self.root, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return f"0.1.0-{rev}"

    def status(self) -> dict[str, tuple[str, str]]:
        """app -> (version, state) from `dockyard status`."""
        out = self.run("status", "prod").stdout.splitlines()
        rows = [
            line.split()
            for line in out[2:]
            if line and not line.startswith(("release", "last deploy that did not"))
        ]
        return {row[0]: (row[2], " ".join(row[3:5])) for row in rows}

    def log_lines(self) -> list[str]:
        return ssh(self.env, f"cat {self.directory}/logs/lol-data-parser.log").splitlines()


def remove_proxy(name: str) -> None:
    """The run's proxy container, its network and its volume (all named ``name``)."""
    docker("rm", "--force", name, check=False)
    docker("network", "rm", name, check=False)
    docker("volume", "rm", name, check=False)


def tear_down(ssh_env: dict[str, str], name: str, directory: str) -> None:
    """What a compose deploy story left on the server: the `<name>-prod` project and its
    volumes, its deploy lock, its proxy, its directory, and the images named for it."""
    remote = {**ssh_env, "DOCKER_HOST": HOST}
    subprocess.run(
        ["docker", "compose", "-p", f"{name}-prod", "down", "--volumes", "--remove-orphans"],
        env=remote, capture_output=True, check=False,
    )  # fmt: skip
    docker("rm", "--force", f"{name}-prod-dockyard-lock", check=False)
    remove_proxy(f"{name}-proxy")
    ssh(ssh_env, f"rm -rf {directory}")
    tags = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    mine = [t for t in tags if f"/{name}/" in t]
    if mine:
        docker("image", "rm", *mine, check=False)
