"""What the fetch stage hands on: the records for a run's PMIDs and the fate of every id."""

from __future__ import annotations

from dataclasses import dataclass, field

from grading.models import FetchResult


@dataclass
class Retrieval:
    """Records for the resolved PMIDs, and the fate of every requested id."""

    result: FetchResult
    reused: set[int] = field(default_factory=set)  # taken from the warehouse, not fetched
    stale: dict[int, str] = field(default_factory=dict)  # reused although PubMed has newer: why
    read: dict[int, object] = field(default_factory=dict)  # readings made while the fetch waited (grading.run)
