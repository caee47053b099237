"""Run time and run ids, one definition for the run, the re-grade and the baseline ingest."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def now_utc() -> datetime:
    """The warehouse stores naive UTC timestamps: DuckDB would shift aware ones to local time."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id(now: datetime | None = None) -> str:
    now = now or now_utc()
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
