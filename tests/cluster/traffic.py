"""A bounded client load: GET requests at a fixed rate to this run's own nodes.

It never sends more than ``rate`` requests a second nor runs longer than ``limit``
seconds, and every URL it is given is an address of a container this run created.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request


class Load:
    """``rate`` GETs a second over ``urls`` in turn, until stopped (at most ``limit`` s)."""

    def __init__(self, urls: list[str], rate: float = 20, limit: float = 240) -> None:
        self.urls, self.rate, self.limit = urls, rate, limit
        self.requests = 0
        self.failures: list[tuple[float, str]] = []  # (seconds since start, why)
        self.started = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.started = time.monotonic()
        while not self._stop.is_set() and time.monotonic() - self.started < self.limit:
            begun = time.monotonic()
            url = self.urls[self.requests % len(self.urls)]
            self.requests += 1
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    response.read()
                    why = "" if response.status == 200 else f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                why = f"HTTP {error.code}"
            except OSError as error:
                why = type(error).__name__
            if why:
                self.failures.append((round(begun - self.started, 2), why))
            time.sleep(max(0.0, 1 / self.rate - (time.monotonic() - begun)))

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def failures_begun_after(self, at: float) -> list[tuple[float, str]]:
        """The failures of requests begun after ``at`` (an ``elapsed`` reading), rounded as
        the failures are: a request begun earlier never counts."""
        return [failure for failure in self.failures if failure[0] > round(at, 2)]

    def figures(self) -> dict:
        """Requests, failures and the span from the first failure to the last."""
        first = self.failures[0][0] if self.failures else None
        last = self.failures[-1][0] if self.failures else None
        return {
            "requests": self.requests,
            "failed": len(self.failures),
            "failure_window_s": round(last - first, 2) if self.failures else 0.0,
            "first_failure_at_s": first,
            "kinds": sorted({why for _, why in self.failures}),
        }
