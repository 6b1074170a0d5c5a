"""Adopt an existing repository: detect its layout, apps and settings (pure), and convert.

Detection reads files but never runs anything; `dockyard init` prints what it found
and, with ``--write``, applies it.
"""
