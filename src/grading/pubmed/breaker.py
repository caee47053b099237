"""A circuit breaker for E-utilities: after N requests in a row given up for the same kind of
failure (HTTP 503, timed out, reset, ...), the rest of the run's requests are not tried; each is
`unavailable` at once with that cause. A persistent outage then costs one request's retries
N times, not every search's (a run of 50 searches took 15 minutes and held the warehouse).
After `cooldown` seconds one request is let through again; a success closes the breaker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, after: int = 3, cooldown: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.after, self.cooldown, self._clock = max(0, after), cooldown, clock
        self._lock = threading.Lock()
        self._kind: str | None = None
        self._cause = ""
        self._in_a_row = 0
        self._opened_at: float | None = None
        self.skipped = 0  # requests not tried while open

    def refusal(self) -> str | None:
        """Why the next request is not to be tried, or None to go ahead (a probe after the cooldown)."""
        with self._lock:
            if self._opened_at is None:
                return None
            if self._clock() - self._opened_at >= self.cooldown:
                self._opened_at = self._clock()  # one probe; the next ones wait another cooldown
                return None
            self.skipped += 1
            return (f"{self._cause}; not tried: {self._in_a_row} requests in a row failed this way "
                    "(circuit breaker)")

    def failed(self, kind: str, cause: str) -> None:
        with self._lock:
            self._in_a_row = self._in_a_row + 1 if kind == self._kind else 1
            self._kind, self._cause = kind, cause
            if self.after and self._in_a_row >= self.after:
                self._opened_at = self._clock()

    def succeeded(self) -> None:
        with self._lock:
            self._kind, self._in_a_row, self._opened_at = None, 0, None

    @property
    def open(self) -> bool:
        return self._opened_at is not None
