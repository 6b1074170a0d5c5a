"""ssh's command line for a port forward, and what dockyard reads from its output (pure,
on text OpenSSH 9.2 printed here)."""

from __future__ import annotations

import socket

import pytest

from dockyard.engine.portforward import (
    bytes_sent,
    destination,
    far_end_refused,
    forward_command,
    free_port,
    reason,
)
from dockyard.errors import DockyardError

# what `ssh -v -N -L ...` wrote to stderr for a forward that carried one request and was
# stopped with SIGTERM (the -v chatter shortened)
CLOSED = """\
OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026
debug1: Reading configuration data /var/tmp/dockyard-sshd-18022/ssh_config
debug1: Connecting to 127.0.0.1 [127.0.0.1] port 18022.
Authenticated to 127.0.0.1 ([127.0.0.1]:18022) using "publickey".
debug1: Local connections to 127.0.0.1:18690 forwarded to remote address 127.0.0.1:5000
debug1: channel 2: free: direct-tcpip: listening port 18690 for 127.0.0.1 port 5000
Transferred: sent 58039408, received 18876 bytes, in 1.5 seconds
Bytes per second: sent 38692938.7, received 12584.0
debug1: Exit status 0
"""
REFUSED = """\
debug1: Connection to port 18691 forwarding to 127.0.0.1 port 18688 requested.
debug1: channel 2: new [direct-tcpip]
channel 2: open failed: connect failed: Connection refused
debug1: channel 2: free: direct-tcpip: listening port 18691 for 127.0.0.1 port 18688
"""
UNREACHABLE = """\
OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026
debug1: Connecting to 127.0.0.1 [127.0.0.1] port 18689.
debug1: connect to address 127.0.0.1 port 18689: Connection refused
ssh: connect to host 127.0.0.1 port 18689: Connection refused
"""
PORT_TAKEN = """\
debug1: Local connections to 127.0.0.1:18690 forwarded to remote address 127.0.0.1:5555
bind [127.0.0.1]:18690: Address already in use
channel_setup_fwd_listener_tcpip: cannot listen to port: 18690
Could not request local forwarding.
"""


@pytest.mark.parametrize(
    ("host", "args"),
    [
        ("ssh://root@127.0.0.1:18022", ["-l", "root", "-p", "18022", "--", "127.0.0.1"]),
        ("ssh://deploy@server.example.com", ["-l", "deploy", "--", "server.example.com"]),
        ("ssh://server", ["--", "server"]),
        ("ssh://me@[::1]:2222", ["-l", "me", "-p", "2222", "--", "::1"]),
    ],
)
def test_the_server_is_reached_as_the_docker_cli_reaches_it(host: str, args: list[str]) -> None:
    assert destination(host) == args


@pytest.mark.parametrize("host", ["tcp://server:2375", "ssh://", "ssh://server/path"])
def test_an_address_that_is_no_ssh_server_is_refused(host: str) -> None:
    with pytest.raises(DockyardError, match="is not an ssh address"):
        destination(host)


def test_the_forward_binds_loopback_on_both_ends_and_fails_when_it_cannot_forward() -> None:
    argv = forward_command("ssh://root@127.0.0.1:18022", 40001, 5555)
    assert argv[0] == "ssh" and "-N" in argv and "-v" in argv
    assert argv[argv.index("-L") + 1] == "127.0.0.1:40001:127.0.0.1:5555"
    assert "ExitOnForwardFailure=yes" in argv
    assert argv[-6:] == ["-l", "root", "-p", "18022", "--", "127.0.0.1"]


def test_bytes_sent_is_sshs_own_count_when_it_closed() -> None:
    assert bytes_sent(CLOSED) == 58039408
    assert bytes_sent(REFUSED) is None


def test_why_ssh_failed_is_its_last_line_that_is_not_debug_chatter() -> None:
    assert (
        reason(UNREACHABLE, 255) == "ssh: connect to host 127.0.0.1 port 18689: Connection refused"
    )
    assert reason(PORT_TAKEN, 255) == "Could not request local forwarding."
    assert reason(CLOSED, 0) == "ssh exited with code 0"  # statistics are no reason


def test_a_far_end_that_refuses_is_told_apart() -> None:
    assert far_end_refused(REFUSED) == "connect failed: Connection refused"
    assert far_end_refused(CLOSED) is None


def test_a_free_port_is_on_loopback_and_free() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nothing holds it
