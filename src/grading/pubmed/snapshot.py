"""The offline twin of Entrez: PubMed records from a bundled XML snapshot.

It answers fetches and field-tag searches from its own records. Because it holds only a
subset of PubMed, an id or search it cannot answer is `unavailable` (not `not_found`):
absence from the snapshot says nothing about absence from PubMed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grading.models import FetchResult, PubmedRecord
from grading.pubmed.index import PubmedIndex
from grading.pubmed.parser import iter_pubmed_xml
from grading.pubmed.source import CitationMatch, CitationQuery, SearchAnswer


class SnapshotSource:
    name = "snapshot"

    def __init__(self, path: Path):
        self.path = Path(path)
        records = [r for r in iter_pubmed_xml(self.path) if isinstance(r, PubmedRecord)]
        self.index = PubmedIndex(records)

    def fetch(self, pmids: Sequence[int]) -> FetchResult:
        result = FetchResult()
        for pmid in dict.fromkeys(pmids):
            record = self.index.get(pmid)
            if record is None:
                result.unavailable[pmid] = "offline: not in the bundled snapshot"
            else:
                result.records[pmid] = record
                result.origin[pmid] = self.name
        return result

    def search(self, term: str, retmax: int = 20) -> SearchAnswer:
        try:
            ids = self.index.search(term)
        except ValueError as exc:
            return SearchAnswer((), 0, False, f"offline search cannot evaluate {term!r}: {exc}")
        return SearchAnswer(tuple(ids[:retmax]), len(ids), authoritative=False)

    def match_citations(self, queries: Sequence[CitationQuery]) -> list[CitationMatch]:
        out = []
        for q in queries:
            ids = self.index.citation_match(q.journal, q.year, q.volume, q.first_page, q.author)
            if len(ids) == 1:
                out.append(CitationMatch(q.key, ids[0], "found"))
            elif ids:
                out.append(CitationMatch(q.key, None, "ambiguous", f"{len(ids)} snapshot records"))
            else:
                out.append(CitationMatch(q.key, None, "unavailable", "offline: not in the bundled snapshot"))
        return out
