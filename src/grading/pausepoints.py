"""Named points where a run can be told to wait (GRADING_PAUSE_AT), so that crash tests can
kill it at exactly that moment. Off by default: with no point named, the hook does nothing.

A paused run says so on stderr (`grading: paused at load …`), waits `PAUSE_SECONDS`, then
carries on as if nothing happened: a forgotten setting slows a run, it never changes one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import TextIO

POINTS = {
    "load": "inside the load transaction: every row inserted, the COMMIT still to come",
    "reports": "while reports are moved into place: the first file replaced, the others not yet",
}
PAUSE_SECONDS = 60.0


def check_points(names: Iterable[str]) -> tuple[str, ...]:
    """The named points, or ValueError (one line) naming the unknown ones."""
    chosen = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in chosen if n not in POINTS]
    if unknown:
        raise ValueError(f"GRADING_PAUSE_AT: unknown point {', '.join(unknown)}; known: {', '.join(POINTS)}")
    return chosen


def pauser(points: Iterable[str], seconds: float | None = None,
           stream: TextIO | None = None) -> Callable[[str], None]:
    """A hook for the stages to call with a point's name; it waits only at the chosen points
    (`seconds`, default PAUSE_SECONDS)."""
    chosen = frozenset(points)

    def pause(point: str) -> None:
        if point in chosen:
            wait = PAUSE_SECONDS if seconds is None else seconds
            print(f"grading: paused at {point} for {wait:g} s (GRADING_PAUSE_AT)", file=stream or sys.stderr,
                  flush=True)
            time.sleep(wait)

    return pause
