"""The ssh connection of a deploy target: its command line and how a drop is told apart
from a server that never answered (pure parts; tests/integration/test_deploy_compose.py
drops a real connection in the middle of a deploy)."""

from __future__ import annotations

from dockyard.engine import ssh
from dockyard.engine.remote import _command

DIAL_FAILED = (
    'error during connect: Get "http://docker.example.com/v1.45/containers/json": command '
    "[ssh -o ConnectTimeout=30 -T -l root -p 18022 -- 127.0.0.1 docker system dial-stdio] "
    "has exited with exit status 255, make sure the URL is valid, and Docker 18.09 or later "
    "is installed on the remote host: stderr=Connection closed by 127.0.0.1 port 18022"
)


def test_ssh_options_for_a_docker_host_url() -> None:
    assert ssh.ssh_argv("ssh://deploy@server.example.com:2222") == [
        "-o", "ConnectTimeout=30", "-T", "-l", "deploy", "-p", "2222", "--", "server.example.com"
    ]  # fmt: skip
    assert ssh.ssh_argv("ssh://server") == ["-o", "ConnectTimeout=30", "-T", "--", "server"]


def test_a_failed_ssh_dial_is_a_drop_only_after_the_server_answered() -> None:
    host = "ssh://root@127.0.0.1:18022#test-drop"
    assert not ssh.dropped(host, DIAL_FAILED)  # never reached: "cannot reach", not "lost"
    ssh.answered(host)
    assert ssh.dropped(host, DIAL_FAILED)
    assert not ssh.dropped(host, "Error response from daemon: No such container: x")


def test_messages_name_the_docker_command() -> None:
    assert _command(["container", "inspect", "abc"]) == "container inspect"
    assert _command(["ps", "-aq", "--filter", "label=x"]) == "ps"
    assert _command(["image", "inspect", "ref"]) == "image inspect"
    assert _command(["stop", "--time", "20", "abc"]) == "stop"
