"""dockyard: locked, layered Docker images and dev containers for Python monorepos."""

from __future__ import annotations

__version__ = "0.1.0"
