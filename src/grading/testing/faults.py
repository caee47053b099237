"""The faults NCBI E-utilities are known for, as a plan the stand-in draws from.

`FaultPlan.script(...)` spoils the next replies in order; `FaultPlan.set_rate(...)` spoils a
seeded share of all replies. The stand-in (grading.testing.standin) acts each `Fault` out;
docs/entrez.md lists what each kind looks like to a client.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

FAULT_KINDS = ("error", "expired", "truncated", "html", "reset", "server_error", "slow", "rate_limit",
               "wrong_record")
# Drawn by the random fault mode unless told otherwise; slow and wrong_record only on request.
RANDOM_FAULT_KINDS = ("error", "truncated", "html", "reset", "server_error", "rate_limit")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. `endpoint` None: whichever request comes next."""

    kind: str
    endpoint: str | None = None
    delay: float = 2.0  # slow: seconds before replying
    status: int = 503  # server_error: the HTTP status


class FaultPlan:
    """Which replies go wrong: a scripted queue first, then a seeded random draw.

    `script("reset", "html", endpoint="efetch")` spoils the next two efetch replies;
    `set_rate(0.3, seed=1)` spoils about 30% of replies, reproducibly.
    """

    def __init__(self, rate: float = 0.0, seed: int = 0, kinds: Iterable[str] = RANDOM_FAULT_KINDS,
                 endpoints: Iterable[str] | None = None, delay: float = 2.0):
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self.set_rate(rate, seed, kinds, endpoints, delay)

    def set_rate(self, rate: float, seed: int = 0, kinds: Iterable[str] = RANDOM_FAULT_KINDS,
                 endpoints: Iterable[str] | None = None, delay: float = 2.0) -> None:
        kinds = tuple(kinds)
        _check_kinds(kinds)
        with self._lock:
            self.rate, self.kinds, self.delay = rate, kinds, delay
            self.endpoints = set(endpoints) if endpoints is not None else None
            self._random = random.Random(seed)

    def script(self, *kinds: str, endpoint: str | None = None, times: int = 1, delay: float = 2.0,
               status: int = 503) -> None:
        """Queue faults for the next replies (of `endpoint`, or of any endpoint)."""
        _check_kinds(kinds)
        with self._lock:
            for kind in kinds:
                self._queue.extend(Fault(kind, endpoint, delay, status) for _ in range(times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.rate = 0.0

    def draw(self, endpoint: str, has_webenv: bool) -> Fault | None:
        """The fault for this request, if any (consumes a scripted one)."""
        with self._lock:
            for fault in self._queue:
                if fault.endpoint in (None, endpoint):
                    self._queue.remove(fault)
                    return fault
            if self.rate <= 0 or (self.endpoints is not None and endpoint not in self.endpoints):
                return None
            if self._random.random() >= self.rate:
                return None
            kinds = [k for k in self.kinds if k != "expired" or has_webenv]
            return Fault(self._random.choice(kinds), endpoint, self.delay) if kinds else None


def _check_kinds(kinds: Iterable[str]) -> None:
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
