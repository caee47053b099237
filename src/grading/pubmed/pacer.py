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

    Callers pass a turnstile one at a time, and each grant is spaced from the previous one's
    actual time, not from its planned slot: a caller the OS wakes late pushes the next grant
    back instead of leaving two requests closer together than the interval.
    """

    def __init__(self, rate: float, margin: float = SAFETY_MARGIN,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._turnstile = threading.Lock()  # held while waiting: waiters queue behind it
        self._state = threading.Lock()  # guards the two times below; never held while asleep
        self._clock, self._sleep = clock, sleep
        self.rate = rate
        self.margin = margin
        self._last_grant = float("-inf")
        self._paused_until = float("-inf")

    @property
    def interval(self) -> float:
        """Seconds between two granted requests."""
        return (1.0 + self.margin) / self.rate

    def wait(self) -> float:
        slept = 0.0
        with self._turnstile:
            while True:
                with self._state:
                    now = self._clock()
                    ready = max(self._last_grant + self.interval, self._paused_until)
                    if now >= ready:
                        self._last_grant = now
                        return slept
                # Re-check after sleeping: a 429 elsewhere may have paused everyone meanwhile.
                self._sleep(ready - now)
                slept += ready - now

    def pause(self, seconds: float) -> None:
        """Hold back every request not yet granted for `seconds` from now."""
        with self._state:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))


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
