"""``lol-data-parser`` command line: run the worker, one scan, or a health check."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lol_data_parser.config import Settings
from lol_data_parser.health import clear_heartbeat, heartbeat_age
from lol_data_parser.logs import configure_logging

PROG = "lol-data-parser"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ingest match files from INCOMING_DIR into DATABASE_URL, classifying roles.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="scan once, then exit")
    mode.add_argument(
        "--health", action="store_true", help="exit 0 if a scan completed recently, else 1 (container health check)"
    )
    return parser.parse_args(argv)


def check_health(settings: Settings) -> int:
    age = heartbeat_age(settings.health_file)
    if age is None:
        print(f"unhealthy: no completed scan yet ({settings.health_file} missing)")
        return 1
    if age >= settings.health_max_age:
        print(f"unhealthy: last completed scan {age:.0f}s ago (limit {settings.health_max_age:.0f}s)")
        return 1
    print(f"healthy: last completed scan {age:.0f}s ago")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    if args.health:
        return check_health(settings)
    clear_heartbeat(settings.health_file)  # health now waits for this run's first scan
    configure_logging(settings.log_dir)
    # Imported here so that `--health`, run often by the container engine, stays cheap
    # (no SQLAlchemy engine, no scikit-learn import).
    from lol_data_parser.worker import run

    return run(settings, once=args.once)


if __name__ == "__main__":
    sys.exit(main())
