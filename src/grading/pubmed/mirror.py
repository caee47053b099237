"""The local PubMed mirror as a PubMed source: the fetch stage asks it before Entrez.

`grading ingest-baseline` (grading.warehouse.baseline) loads NLM's baseline and update files into the
warehouse. `MirrorSource` answers fetches from it: a PMID the mirror holds comes back with
origin `baseline` and is not requested from Entrez; a PMID an update file deleted is
`not_found` (PubMed withdrew it); everything else goes to the source behind it. Searches and
citation matching go to that source unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb

from grading.models import FetchResult, PubmedRecord
from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from grading.pubmed.source import CitationMatch, CitationQuery, PubmedSource, SearchAnswer


class MirrorSource:
    """Records from the warehouse's mirror first, the rest from `behind` (Entrez, the snapshot)."""

    name = "baseline"

    def __init__(self, con: duckdb.DuckDBPyConnection | None, behind: PubmedSource,
                 read: Callable[[Sequence[int]], tuple[dict[int, PubmedRecord], set[int]]] | None = None):
        self.read = read or (lambda pmids: read_mirror(con, pmids))
        self.behind = behind

    def fetch(self, pmids: Sequence[int]) -> FetchResult:
        """Every requested id ends in records / not_found / unavailable, as the interface says."""
        wanted = list(dict.fromkeys(pmids))
        records, deleted = self.read(wanted)
        rest = [p for p in wanted if p not in records and p not in deleted]
        result = self.behind.fetch(rest) if rest else FetchResult()
        for pmid, record in records.items():
            result.records[pmid] = record
            result.origin[pmid] = self.name
        result.not_found |= deleted
        return result

    def search(self, term: str, retmax: int = 20) -> SearchAnswer:
        return self.behind.search(term, retmax)

    def match_citations(self, queries: Sequence[CitationQuery]) -> list[CitationMatch]:
        return self.behind.match_citations(queries)


def mirror_first(con: duckdb.DuckDBPyConnection, source: PubmedSource) -> PubmedSource:
    """`source` behind the mirror when the warehouse holds one; `source` itself otherwise."""
    return MirrorSource(con, source) if has_mirror(con) else source


def held_mirror(con: duckdb.DuckDBPyConnection, pmids: Sequence[int], source: PubmedSource) -> PubmedSource:
    """Like mirror_first, with the mirror's answers for `pmids` read now: the run reads the
    warehouse at its start and closes it, so the fetch later needs no connection."""
    if not has_mirror(con):
        return source
    records, deleted = read_mirror(con, pmids)
    return MirrorSource(None, source, read=lambda wanted: ({p: records[p] for p in wanted if p in records},
                                                            {p for p in wanted if p in deleted}))


def has_mirror(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT EXISTS (SELECT 1 FROM mirror_records)").fetchone()[0]


def read_mirror(con: duckdb.DuckDBPyConnection, pmids: Sequence[int]) -> tuple[dict[int, PubmedRecord], set[int]]:
    """(records the mirror holds, PMIDs it knows were deleted) among `pmids`.

    The record is the mirror's version, parsed back from its raw XML in pubmed_records. A PMID
    whose pubmed_records row is another version (a newer one a run fetched) or whose XML no
    longer parses is left to the next source."""
    if not pmids:
        return {}, set()
    cur = con.cursor()  # the caller may be a task on another thread: a cursor of its own
    try:
        rows = cur.execute("""
            SELECT m.pmid, m.deleted, r.raw_xml FROM mirror_records m
            LEFT JOIN pubmed_records r ON r.pmid = m.pmid AND r.xml_sha = m.xml_sha
            WHERE m.pmid IN (SELECT unnest(?))""", [list(pmids)]).fetchall()
    finally:
        cur.close()
    deleted = {int(pmid) for pmid, gone, _ in rows if gone}
    raw = [xml for _, gone, xml in rows if not gone and xml]
    records: dict[int, PubmedRecord] = {}
    if raw:
        try:
            parsed = parse_efetch_reply(("<PubmedArticleSet>" + "".join(raw) + "</PubmedArticleSet>").encode())
        except PubmedXmlError:  # one bad row must not hide the others: go one by one
            parsed = [r for xml in raw for r in _parse_one(xml)]
        records = {r.pmid: r for r in parsed}
    return records, deleted


def _parse_one(xml: str) -> list[PubmedRecord]:
    try:
        return parse_efetch_reply(f"<PubmedArticleSet>{xml}</PubmedArticleSet>".encode())
    except PubmedXmlError:
        return []
