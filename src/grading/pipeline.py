"""The stages in order, as plain functions the Prefect flow wraps one-to-one.

read sources -> extract claims and citations -> resolve -> fetch (warehouse, Entrez or
snapshot) -> read records -> link (inline + inferred) -> grade -> tables (validated)
-> load (one transaction) -> reports. Nothing here needs Prefect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from grading.clock import new_run_id, now_utc
from grading.documents.citations import extract_citations
from grading.documents.claims import extract_claims
from grading.documents.document import Document, LinkRow, citation_id
from grading.documents.links import attach_inline
from grading.documents.page_paper import page_paper
from grading.documents.scope import CONFIDENCE, scope_links
from grading.documents.structure import page_structure
from grading.engine.body import LinkedEvidence
from grading.engine.grade import grade_claim
from grading.engine.record_reading import read_record
from grading.engine.rubric import Rubric
from grading.engine.topic import document_subjects, inferred_link, record_topic
from grading.models import CitationMention, FetchResult, Grade, PubmedRecord, Resolution, Source
from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from grading.pubmed.resolve import QueryRecord, mention_key, resolve_mentions
from grading.pubmed.retrieval import Retrieval
from grading.pubmed.source import PubmedSource

# The values the stages pass on live with their stage (documents, pubmed); named here too.
__all__ = ["Document", "LinkRow", "Retrieval", "citation_id", "new_run_id", "now_utc"]


def extract_document(source: Source) -> Document:
    # The saved page's header line is neither claim nor citation; its address may name the paper.
    mentions = extract_citations(source.text, source.body_start)
    claims = extract_claims(source, mentions)
    attached = attach_inline(source.text, claims, mentions)
    paper = page_paper(source)
    index = None
    if paper is not None:
        index = len(mentions)
        mentions.append(paper)
        attached.append(None)
    subjects = document_subjects([c.text for c in claims])
    return Document(source, claims, mentions, attached, subjects, page_structure(source.text, source.body_start),
                    index)


def resolve_documents(docs: Sequence[Document], pubmed: PubmedSource,
                      known: dict[tuple[str, str], Resolution] | None = None,
                      log: list[QueryRecord] | None = None) -> dict[tuple[str, str], Resolution]:
    """Resolve every mention; `known` answers (by kind and value) from recent runs need no search.
    `log` receives every query made, with its answer (warehouse resolution_queries)."""
    known = known or {}
    mentions = [m for d in docs for m in d.mentions]
    out = {mention_key(m): known[(m.kind, m.value)] for m in mentions if (m.kind, m.value) in known}
    out.update(resolve_mentions([m for m in mentions if mention_key(m) not in out], pubmed, log))
    return out


def known_resolutions(rows: Sequence[dict]) -> dict[tuple[str, str], Resolution]:
    """Warehouse rows (warehouse.recent_resolutions) back into Resolution values."""
    out = {}
    for r in rows:
        pmid = None if r["pmid"] is None or r["pmid"] != r["pmid"] else int(r["pmid"])
        candidates = tuple(int(c) for c in (r["candidates"] if r["candidates"] is not None else ()))
        detail = r["detail"] if isinstance(r["detail"], str) else None
        out[(r["kind"], r["value"])] = Resolution(r["kind"], r["value"], r["resolution"], pmid, r["method"],
                                                  candidates, detail)
    return out


def reuse_stored(stored_rows: list[dict], max_age: timedelta, now: datetime, offline: bool
                 ) -> dict[int, tuple[PubmedRecord, str]]:
    """Stored records young enough to skip a fetch (offline: any age beats the snapshot)."""
    out: dict[int, tuple[PubmedRecord, str]] = {}
    for row in stored_rows:
        if row["origin"] == "snapshot" and not offline:
            continue  # an online run replaces snapshot copies with the live record
        if row["origin"] == "baseline":
            continue  # the mirror serves these (grading.pubmed.mirror), and the run records their reading
        fetched_at = row["fetched_at"]
        if fetched_at.tzinfo is not None:
            fetched_at = fetched_at.astimezone(UTC).replace(tzinfo=None)
        if not offline and now - fetched_at > max_age:
            continue
        try:
            records = parse_efetch_reply(f"<PubmedArticleSet>{row['raw_xml']}</PubmedArticleSet>".encode())
        except PubmedXmlError:
            continue
        if records:
            out[int(row["pmid"])] = (records[0], row["origin"])
    return out


def fetch_records(pmids: Sequence[int], pubmed: PubmedSource, stored: dict[int, tuple[PubmedRecord, str]],
                  absent: set[int] = frozenset(), revised: set[int] = frozenset()) -> Retrieval:
    """Fetch what the warehouse cannot answer: stored records and recent clean absences
    (`absent`, PubMed said "no such id" lately) need no request, except stored records PubMed
    has `revised` since (grading.pubmed.refresh). If a revised one cannot be fetched, the stored
    version stands in (`stale` says why); if PubMed no longer has it, it is not_found."""
    wanted = list(dict.fromkeys(pmids))
    missing = [p for p in wanted if (p not in stored and p not in absent) or (p in stored and p in revised)]
    result = pubmed.fetch(missing) if missing else FetchResult()
    fresh = set(result.records)
    stale = {p: f"PubMed has a newer version that could not be fetched ({result.unavailable.pop(p)}); "
                "the stored version was used" for p in missing if p in stored and p in result.unavailable}
    result.not_found |= {p for p in wanted if p in absent and p not in stored}
    for pmid in wanted:
        if pmid in stored and pmid not in result.records and pmid not in result.not_found:
            record, origin = stored[pmid]
            result.records[pmid] = record
            result.origin[pmid] = origin
    reused = {p for p in wanted if p in stored and p not in fresh and p not in result.not_found}
    return Retrieval(result=result, reused=reused, stale=stale)


def read_records(records: dict[int, PubmedRecord]) -> dict[int, object]:
    out = {}
    for pmid, r in records.items():
        out[pmid] = read_record(r)
        record_topic(r)  # what it is about, kept for grading (cached): read here, while the fetch waits
    return out


def evidence_for(doc: Document, resolutions: dict[tuple[str, str], Resolution], retrieval: Retrieval,
                 evidence: dict[int, object]) -> tuple[dict, Retrieval, dict]:
    """The part of a run's resolutions, records and record readings one document needs,
    so grading a document ships only its own evidence to a worker."""
    res = {mention_key(m): resolutions[mention_key(m)] for m in doc.mentions}
    pmids = {r.pmid for r in res.values() if r.pmid is not None}
    full = retrieval.result
    part = FetchResult(records={p: full.records[p] for p in pmids if p in full.records},
                       not_found={p for p in pmids if p in full.not_found},
                       unavailable={p: c for p, c in full.unavailable.items() if p in pmids},
                       origin={p: o for p, o in full.origin.items() if p in pmids})
    return res, Retrieval(part, {p for p in retrieval.reused if p in pmids}), \
        {p: e for p, e in evidence.items() if p in pmids}


def link_documents(docs: Sequence[Document], resolutions: dict[tuple[str, str], Resolution],
                   retrieval: Retrieval, evidence: dict[int, object]
                   ) -> tuple[list[LinkRow], dict[str, list[LinkedEvidence]]]:
    """Attach every mention to its claim(s): inline as found, reference lists by subject."""
    result = retrieval.result
    rows: list[LinkRow] = []
    by_claim: dict[str, list[LinkedEvidence]] = {}

    def outcome(res: Resolution) -> tuple[str | None, str | None]:
        if res.status != "resolved" or res.pmid is None:
            return None, None
        o = result.outcome(res.pmid)
        return o, result.unavailable.get(res.pmid)

    def add(doc: Document, m: CitationMention, claim_id: str | None, link: str, reason: str | None = None,
            method: str | None = None) -> None:
        res = resolutions[mention_key(m)]
        o, cause = outcome(res)
        rows.append(LinkRow(doc, m, claim_id, link, res, o, cause, reason, method,
                            CONFIDENCE.get(method) if method else None))
        if claim_id is not None:
            record = result.records.get(res.pmid) if res.pmid is not None else None
            by_claim.setdefault(claim_id, []).append(LinkedEvidence(
                m, link, res, o, cause, record, evidence.get(res.pmid) if res.pmid else None, reason))

    for doc in docs:
        links = scope_links(doc.page or page_structure(doc.source.text, doc.source.body_start), doc.claims,
                            doc.mentions, doc.attached, work_key(doc, resolutions), doc.page_paper, doc.subjects)
        by_mention: dict[int, list] = {}
        for lk in links:
            by_mention.setdefault(lk.mention, []).append(lk)
        ruled = {lk.claim_id for lk in links}
        for n, m in enumerate(doc.mentions):
            for lk in by_mention.get(n, ()):
                add(doc, m, lk.claim_id, "inline", None if lk.method == "inline" else lk.reason, lk.method)
            if n in by_mention:
                continue
            linked = False
            if doc.inferred_mode and m.in_reference_list:
                res = resolutions[mention_key(m)]
                record = result.records.get(res.pmid) if res.pmid is not None else None
                if record is not None:
                    for claim in doc.claims:
                        if claim.claim_id in ruled:
                            continue
                        match = inferred_link(claim.text, record, doc.subjects)
                        if match.on_topic:
                            add(doc, m, claim.claim_id, "inferred", match.explanation, "inferred")
                            linked = True
            if not linked:
                add(doc, m, None, "none")
    return rows, by_claim


def work_key(doc: Document, resolutions: dict[tuple[str, str], Resolution]):  # type: ignore[no-untyped-def]
    """Mention index -> the work it cites (its PMID once resolved, else its own value), or
    None for what is not a scholarly work (a link to an ordinary page)."""
    def key(n: int) -> str | None:
        m = doc.mentions[n]
        res = resolutions.get(mention_key(m))
        if res is not None and res.pmid is not None:
            return f"pmid:{res.pmid}"
        if m.kind == "url" or (res is not None and res.status == "not_scholarly"):
            return None
        return f"{m.kind}:{m.value}"
    return key


def grade_documents(docs: Sequence[Document], by_claim: dict[str, list[LinkedEvidence]], rubric: Rubric
                    ) -> list[Grade]:
    return [grade_claim(c, by_claim.get(c.claim_id, []), rubric, d.subjects) for d in docs for c in d.claims]
