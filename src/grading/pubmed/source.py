"""The one interface behind which PubMed sits.

Two implementations share it: `grading.pubmed.entrez.EntrezSource` (live E-utilities through
Bio.Entrez, or any mirror/stand-in at `GRADING_EUTILS_URL`) and
`grading.pubmed.snapshot.SnapshotSource` (the bundled offline records). The pipeline runs on either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from grading.models import FetchResult, PubmedRecord

# Who hears, during a long fetch, each batch as it arrives: (its records, how many PMIDs it
# answered). grading.run shows progress and reads the records while the next batch is awaited.
# A source that fetches in batches calls it after each; others need not.
FETCH_PROGRESS: ContextVar[Callable[[Sequence[PubmedRecord], int], None] | None] = ContextVar(
    "fetch_progress", default=None)


class PubmedUnreachable(Exception):
    """The service could not be reached at all (no route, refused, DNS): callers may fall back."""


@dataclass(frozen=True)
class SearchAnswer:
    """An esearch answer.

    `ids`: PMIDs matched (at most the requested retmax). `count`: total matches reported.
    `authoritative`: True when an empty answer means "PubMed has no such record";
    False when the source only holds a subset (the snapshot) or the search failed.
    `error`: why the search failed (then ids is empty and authoritative False).
    """

    ids: tuple[int, ...]
    count: int
    authoritative: bool
    error: str | None = None


@dataclass(frozen=True)
class CitationQuery:
    """One ECitMatch line: journal|year|volume|first_page|author|key|."""

    key: str
    journal: str = ""
    year: str = ""
    volume: str = ""
    first_page: str = ""
    author: str = ""  # "Dolotov OV"


@dataclass(frozen=True)
class CitationMatch:
    key: str
    pmid: int | None
    status: str  # found | not_found | ambiguous | invalid_journal | unavailable
    detail: str | None = None


@dataclass
class SourceStats:
    requests: dict[str, int] = field(default_factory=dict)  # endpoint -> count

    def count(self, endpoint: str) -> None:
        self.requests[endpoint] = self.requests.get(endpoint, 0) + 1


class PubmedSource(Protocol):
    """Fetch records by PMID, search with field tags, match citations."""

    name: str  # "entrez" | "snapshot" | "baseline": stored as pubmed_records.origin

    def fetch(self, pmids: Sequence[int]) -> FetchResult:
        """Every requested id ends up in exactly one of records / not_found / unavailable."""
        ...

    def search(self, term: str, retmax: int = 20) -> SearchAnswer:
        """esearch db=pubmed with NCBI field tags ([au], [dp], [doi], [aid], [ta], [tiab], [ti])."""
        ...

    def match_citations(self, queries: Sequence[CitationQuery]) -> list[CitationMatch]:
        """ECitMatch; one answer per query, in order."""
        ...


class FallbackSource:
    """Entrez first; if the service cannot be reached at all, the snapshot for the rest of the run.

    `fell_back` tells the run to say so (mode `offline-fallback`)."""

    def __init__(self, primary: PubmedSource, make_fallback: Callable[[], PubmedSource]):
        self.primary = primary
        self._make_fallback = make_fallback
        self.active: PubmedSource = primary
        self.fell_back: str | None = None  # why, when it did

    @property
    def name(self) -> str:
        return self.active.name

    def _call(self, method: str, *args: object) -> object:
        try:
            return getattr(self.active, method)(*args)
        except PubmedUnreachable as exc:
            if self.active is not self.primary:
                raise
            self.fell_back = str(exc)
            self.active = self._make_fallback()
            return getattr(self.active, method)(*args)

    def fetch(self, pmids: Sequence[int]) -> FetchResult:
        return self._call("fetch", pmids)  # type: ignore[return-value]

    def search(self, term: str, retmax: int = 20) -> SearchAnswer:
        return self._call("search", term, retmax)  # type: ignore[return-value]

    def match_citations(self, queries: Sequence[CitationQuery]) -> list[CitationMatch]:
        return self._call("match_citations", queries)  # type: ignore[return-value]
