"""A bounded HTTP load loop on loopback, and waiting for an endpoint to answer."""

from __future__ import annotations

import threading
import time
import urllib.request
from urllib.parse import urlsplit

from bench.deploy_plan import Tally
from bench.engine import BenchError

RATE = 20  # requests per second (one client, sequential)
MAX_SECONDS = 60.0  # the loop stops by itself after this long ...
MAX_REQUESTS = int(RATE * MAX_SECONDS)  # ... or this many requests
TIMEOUT = 2.0  # a request without an answer after this long counts as failed


def answers(url: str, timeout: float = TIMEOUT) -> bool:
    """True when ``url`` answers HTTP 200 within ``timeout``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
            return response.status == 200
    except OSError:
        return False


def _loopback(url: str) -> str:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise BenchError(f"load loops run on loopback only, not {url}")
    return url


def wait_answer(url: str, bound: float = 120.0) -> float:
    """Poll ``url`` (every 0.1 s, at most ``bound`` s) until it answers; the seconds taken."""
    _loopback(url)
    started = time.perf_counter()
    while not answers(url, timeout=1.0):
        if time.perf_counter() - started > bound:
            raise BenchError(f"{url} did not answer within {bound:.0f} s")
        time.sleep(0.1)
    return time.perf_counter() - started


class Load:
    """About RATE requests/s to ``url`` from a thread, bounded in time and count.

    Use as a context manager around the update; the tally is in ``.tally``.
    """

    def __init__(self, url: str) -> None:
        self.url, self.tally = _loopback(url), Tally()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set() and self.tally.requests < MAX_REQUESTS:
            sent = time.monotonic()
            if sent - started > MAX_SECONDS:
                break
            self.tally.add(answers(self.url), sent - started)
            time.sleep(max(0.0, 1 / RATE - (time.monotonic() - sent)))

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
