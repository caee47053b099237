"""The process-wide request pacer for E-utilities.

NCBI counts requests per IP (or per API key), not per thread, so every thread and task in
the process that talks to one service must draw from one budget. `shared_pacer` hands out
that one `Pacer` per budget; a 429's `Retry-After` pauses everyone drawing from it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Spacing requests 15% wider than 1/rate keeps any 1-s window at or under the limit even
# when loopback or scheduler jitter shifts an arrival by a few tens of milliseconds.
SAFETY_MARGIN = 0.15


class Pacer:
    """Grants at most `rate` requests per second, one after another, across threads.

    `wait()` blocks until the caller's turn and returns the seconds it slept.
    `pause(seconds)` holds every caller back (a 429 with Retry-After).
    """

    def __init__(self, rate: float, margin: float = SAFETY_MARGIN,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep
        self.rate = rate
        self.margin = margin
        self._next_slot = 0.0  # the earliest time the next request may go
        self._paused_until = 0.0

    @property
    def interval(self) -> float:
        """Seconds between two granted requests."""
        return (1.0 + self.margin) / self.rate

    def wait(self) -> float:
        # Reserve the slot under the lock, sleep outside it, so waiters queue in order
        # without holding the lock while asleep.
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)

    def pause(self, seconds: float) -> None:
        """Hold back every request (granted later than now) for `seconds`."""
        with self._lock:
            until = self._clock() + max(seconds, 0.0)
            self._paused_until = max(self._paused_until, until)
            self._next_slot = max(self._next_slot, until)


_registry: dict[str, Pacer] = {}
_registry_lock = threading.Lock()


def shared_pacer(budget: str, rate: float) -> Pacer:
    """The one pacer for a budget (a service plus the key it is counted under).

    Asked again for the same budget with another rate, the slower rate wins: one budget,
    one limit.
    """
    with _registry_lock:
        pacer = _registry.get(budget)
        if pacer is None:
            pacer = _registry[budget] = Pacer(rate)
        elif rate < pacer.rate:
            pacer.rate = rate
        return pacer
