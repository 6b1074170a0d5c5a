"""`dockyard sign` and `dockyard keygen`: the work is in supply/sign.py."""

from __future__ import annotations

from dockyard.supply.sign import keygen, sign

__all__ = ["keygen", "sign"]
