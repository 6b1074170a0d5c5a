from __future__ import annotations

from dockyard.cli import main

if __name__ == "__main__":
    main()
