"""The one error type for failures a user can cause or fix."""

from __future__ import annotations


class DockyardError(Exception):
    """A failure with a message meant for the user: what went wrong and what to do.

    The CLI prints it as one line (no traceback) and exits with ``exit_code``.
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
