"""A claim's body of evidence: its links, what each resolved and fetched to, and what each
record says. This is the value the rubric's rules read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from grading.engine.claim_reading import ClaimReading
from grading.models import CERTAINTY_LEVELS, CitationMention, Claim, PubmedRecord, Reason, Resolution


class Rubric(Protocol):
    """What the body needs of grading.engine.rubric.Rubric (which imports the rules, which import
    this module: a protocol here keeps the import graph one-way)."""

    version: str
    rules: dict[str, tuple[str, ...]]

    def start_level(self, design: str) -> int: ...

    def threshold(self, name: str) -> float: ...


@dataclass(frozen=True)
class LinkedEvidence:
    """One citation linked to a claim, with everything known about it."""

    mention: CitationMention
    link: str  # inline | inferred
    resolution: Resolution
    fetch_outcome: str | None  # fetched | not_found | unavailable; None when nothing was fetched
    fetch_cause: str | None
    record: PubmedRecord | None
    evidence: Any | None  # grading.engine.record_reading.RecordEvidence
    link_reason: str | None = None  # why an inferred link was made

    @property
    def pmid(self) -> int | None:
        return self.record.pmid if self.record is not None else self.resolution.pmid


def start_design(evidence: Any) -> str:
    """The design the body starts from (RecordEvidence.start_design; a stand-in may have only `design`)."""
    return getattr(evidence, "start_design", evidence.design)


@dataclass
class Body:
    """The claim and its usable records; rules append reasons, the engine sums changes."""

    claim: Claim
    claim_population: str  # human | animal | cells | unspecified: the population the claim is judged against
    subjects: frozenset[str]  # the document's subject terms (see grading.engine.topic)
    links: list[LinkedEvidence]
    rubric: Rubric
    reading: ClaimReading  # the claim's substance, population, outcome and figures
    excluded: set[int] = field(default_factory=set)  # pmids screened out (retracted, off-topic, …)
    ceiling: int | None = None  # a level the body cannot exceed (a review's own stated certainty)
    findings: dict[int, list] = field(default_factory=dict)  # pmid -> [(rule id, findings.Finding)] that set it aside
    labels: dict[int, list] = field(default_factory=dict)  # pmid -> [(rule id, findings.Finding)] kept in the body
    reasons: list[Reason] = field(default_factory=list)

    @property
    def usable(self) -> list[LinkedEvidence]:
        """Fetched records that survived screening, one per PMID."""
        seen: set[int] = set()
        out = []
        for link in self.links:
            if link.record is None or link.evidence is None or link.record.pmid in self.excluded:
                continue
            if link.record.pmid not in seen:
                seen.add(link.record.pmid)
                out.append(link)
        return out

    @property
    def best_level(self) -> int:
        levels = [self.rubric.start_level(start_design(link.evidence)) for link in self.usable]
        return max(levels) if levels else 0

    @property
    def best(self) -> list[LinkedEvidence]:
        """The usable records at the best starting level: GRADE starts the body from them."""
        level = self.best_level
        return [link for link in self.usable if self.rubric.start_level(start_design(link.evidence)) == level]

    @property
    def total_participants(self) -> tuple[int, int]:
        """(people or animals counted across usable records, records whose size is unknown)."""
        sizes = [link.evidence.sample_size for link in self.usable]
        return sum(s for s in sizes if s), sum(1 for s in sizes if not s)

    @property
    def down_so_far(self) -> int:
        return sum(r.change for r in self.reasons if r.change < 0)

    @property
    def level(self) -> int:
        """The start level plus every change so far (unbounded), capped by the ceiling if one is set."""
        level = self.best_level + sum(r.change for r in self.reasons if r.domain != "start")
        return min(level, self.ceiling) if self.ceiling is not None else level

    def certainty(self) -> str:
        return CERTAINTY_LEVELS[max(0, min(self.level, len(CERTAINTY_LEVELS) - 1))]
