"""Incremental refresh: which records held in the warehouse PubMed has changed since.

A held record younger than `record_max_age_days` is reused without an efetch. PubMed still
revises such records - above all, it marks them retracted - so each online run asks, with one
esearch per batch of held records, which of them PubMed revised after the version held
(`[lr]`, the last-revision date, is DateRevised) or now types as a Retracted Publication.
Only those are fetched again; the new version replaces the held one in `pubmed_records`
and joins the old one in `pubmed_record_versions`.

Records fetched less than `GRADING_REVISION_CHECK_HOURS` ago are not asked about, so a run
repeated soon after another makes no request at all. `revision_query` and `due_for_check`
are pure; `check_held_records` is the one function that asks PubMed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from grading.models import PubmedRecord
from grading.pubmed.source import PubmedSource

REVISION_BATCH = 200  # held records per esearch: keeps the POSTed query a few kB


@dataclass(frozen=True)
class HeldRecord:
    """A stored record being reused, and the day (UTC) it was fetched."""

    record: PubmedRecord
    fetched_on: date | None = None

    @property
    def revised_from(self) -> date | None:
        """The first day a newer revision can carry: the day after the held DateRevised; for a
        record without one, the day before it was fetched (PubMed dates are US Eastern)."""
        if self.record.date_revised:
            return date.fromisoformat(self.record.date_revised) + timedelta(days=1)
        return self.fetched_on - timedelta(days=1) if self.fetched_on else None


@dataclass
class RevisionCheck:
    """What the check found. `revised`: held PMIDs with a newer or retracted version in PubMed
    (fetch again). `unchecked`: held PMIDs whose check failed, with the cause (the held version
    is used this run; the next run asks again). `searches`: esearch requests made."""

    revised: set[int] = field(default_factory=set)
    unchecked: dict[int, str] = field(default_factory=dict)
    searches: int = 0


def revision_query(held: Mapping[int, HeldRecord]) -> str:
    """One esearch term matching exactly the held records PubMed changed since their held version.

    Per first possible revision day d: `((ids) AND d:3000[lr])`; for records not yet
    retracted also `((ids) AND "retracted publication"[pt])`. Clauses are parenthesised
    throughout: PubMed reads Boolean operators left to right, without precedence.
    """
    by_day: dict[date, list[int]] = defaultdict(list)
    for pmid, held_record in sorted(held.items()):
        if held_record.revised_from is not None:
            by_day[held_record.revised_from].append(pmid)
    clauses = [f"({_any_of(pmids)} AND {day:%Y/%m/%d}:3000[lr])" for day, pmids in sorted(by_day.items())]
    not_retracted = sorted(p for p, h in held.items() if not h.record.retracted)
    if not_retracted:
        clauses.append(f'({_any_of(not_retracted)} AND "retracted publication"[pt])')
    return " OR ".join(clauses)


def due_for_check(stored: Mapping[int, tuple[PubmedRecord, str]], rows: Sequence[Mapping[str, object]],
                  now: datetime, age: timedelta) -> dict[int, HeldRecord]:
    """The stored records to ask about: fetched longer than `age` ago (a record fetched minutes
    ago is current). `stored`: PMID -> (record, origin) being reused; `rows`: their
    `pubmed_records` rows (pmid, fetched_at as naive UTC); `now`: naive UTC."""
    fetched_at = {int(r["pmid"]): r["fetched_at"] for r in rows}  # type: ignore[call-overload]
    due = {}
    for pmid, (record, _origin) in stored.items():
        when = fetched_at.get(pmid)
        if isinstance(when, datetime) and when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        if not isinstance(when, datetime):
            due[pmid] = HeldRecord(record)
        elif now - when >= age:
            due[pmid] = HeldRecord(record, when.date())
    return due


def check_held_records(held: Mapping[int, HeldRecord], source: PubmedSource,
                       batch: int = REVISION_BATCH) -> RevisionCheck:
    """Ask PubMed which held records changed. A source that cannot answer for all of PubMed
    (the snapshot) or a failed search leaves those ids `unchecked`, with the cause."""
    check = RevisionCheck()
    pmids = sorted(held)
    for chunk in (pmids[i:i + batch] for i in range(0, len(pmids), batch)):
        answer = source.search(revision_query({p: held[p] for p in chunk}), retmax=len(chunk))
        check.searches += 1
        if answer.error is not None or not answer.authoritative:
            cause = answer.error or f"the {source.name} source cannot say what PubMed revised"
            check.unchecked.update((p, f"revision check failed: {cause}") for p in chunk)
            continue
        check.revised |= set(answer.ids) & set(chunk)
    return check


def refresh_issues(check: RevisionCheck) -> list[tuple[str, str]]:
    """(subject, message) rows for run_issues: one per distinct failure cause."""
    by_cause: dict[str, list[int]] = defaultdict(list)
    for pmid, cause in check.unchecked.items():
        by_cause[cause].append(pmid)
    return [(f"{len(ids)} held record(s)", f"{cause}; the held versions were used")
            for cause, ids in sorted(by_cause.items())]


def _any_of(pmids: Sequence[int]) -> str:
    terms = " OR ".join(f"{p}[uid]" for p in pmids)
    return f"({terms})" if len(pmids) > 1 else terms

