"""The one way dockyard speaks to the user: ``show`` for results on stdout (what scripts and
`--json` read), ``say`` for progress and notes on stderr. Errors are raised as
DockyardError and printed once by the CLI."""

from __future__ import annotations

import click


def show(text: str, nl: bool = True) -> None:
    """A result, on stdout (``nl=False``: ``text`` brings its own line ends)."""
    click.echo(text, nl=nl)


def say(message: str) -> None:
    """Progress or a note about the work, on stderr (stdout stays clean for results)."""
    click.echo(message, err=True)


def note(message: str) -> None:
    """``say`` with dockyard's name in front: a deploy's steps, which interleave on the
    terminal with what the engine and ssh print themselves."""
    say(f"dockyard: {message}")
