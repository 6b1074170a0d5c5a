"""The reason a failed command gives, read from its output (pure)."""

from __future__ import annotations

from dockyard.engine.run import last_line


def test_the_reason_is_the_last_line_not_dockers_help_hint() -> None:
    stderr = (
        "docker: Error response from daemon: driver failed programming external connectivity"
        ": Bind for 127.0.0.1:18082 failed: port is already allocated.\n"
        "Run 'docker run --help' for more information\n"
    )
    assert last_line(stderr, 125).endswith("port is already allocated.")
    assert last_line("first\nsecond\n\n", 1) == "second"
    assert last_line("", 3) == last_line(None, 3) == "exit code 3"
