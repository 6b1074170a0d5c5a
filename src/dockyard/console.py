"""The one way dockyard speaks to the user: ``show`` for results on stdout (what scripts and
`--json` read), ``say`` for progress and notes on stderr. Errors are raised as
DockyardError and printed once by the CLI."""

from __future__ import annotations

import click


def show(text: str) -> None:
    """A result, on stdout."""
    click.echo(text)


def say(message: str) -> None:
    """Progress or a note about the work, on stderr (stdout stays clean for results)."""
    click.echo(message, err=True)
