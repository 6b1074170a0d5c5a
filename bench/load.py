"""Bounded HTTP load on loopback during a deploy, and waiting for an endpoint to answer.

Two kinds of load, as the issue words them: one sequential client at 25 requests/s, and
8 concurrent clients (5 requests/s each, so their requests overlap a switch). Each stops
by itself after MAX_SECONDS or its share of requests, whichever comes first.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from urllib.parse import urlsplit

from bench.deploy_plan import Tally
from bench.engine import BenchError

RATE = 25  # requests per second of the one sequential client
CLIENTS, CLIENT_RATE = 8, 5  # the concurrent kind: 8 clients, each this many per second
MAX_SECONDS = 180.0  # a load stops by itself after this long (a Swarm update: ~1 min) ...
TIMEOUT = 2.0  # a request without an answer after this long counts as failed
# load kind -> (clients, requests per second per client)
KINDS = {"seq": (1, RATE), "conc": (CLIENTS, CLIENT_RATE)}
LABELS = {
    "seq": f"1 client at {RATE} req/s",
    "conc": f"{CLIENTS} concurrent clients at {CLIENT_RATE} req/s each",
}


def max_requests(kind: str) -> int:
    """... or after this many requests (all its clients together)."""
    clients, rate = KINDS[kind]
    return int(clients * rate * MAX_SECONDS)


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
    """``kind`` of load ("seq" or "conc") on ``url`` from threads, bounded in time and
    count. Use as a context manager around the update; the tally is in ``.tally``."""

    def __init__(self, url: str, kind: str = "seq") -> None:
        self.url, self.kind, self.tally = _loopback(url), kind, Tally()
        clients, self.rate = KINDS[kind]
        self.limit = max_requests(kind)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started = 0.0
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            if sent - self._started > MAX_SECONDS:
                break
            ok = answers(self.url)
            with self._lock:
                if self.tally.requests >= self.limit:
                    break
                self.tally.add(ok, sent - self._started)
            time.sleep(max(0.0, 1 / self.rate - (time.monotonic() - sent)))

    def __enter__(self) -> Load:
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
