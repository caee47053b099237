"""Domain values -> warehouse rows (one DataFrame per table), validated at the boundary.

Grains and columns: grading.warehouse.catalog (checks: schemas/tables.py). Failing rows are quarantined with the check that failed,
and rows that depend on them (a quarantined claim's grade) are dropped with them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from grading.documents.document import Document, LinkRow, citation_id
from grading.documents.sources import SourceFailure
from grading.models import Grade, PubmedRecord
from grading.pubmed.resolve import QueryRecord
from grading.pubmed.retrieval import Retrieval
from grading.warehouse.catalog import column_names
from grading.warehouse.database import RECORD_CHILD_TABLES
from grading.warehouse.record_rows import author_label, child_frames, drop_failed_records, xml_sha
from grading.warehouse.validate import validate_table


@dataclass
class RunInfo:
    run_id: str
    started_at: datetime
    mode: str  # online | offline | offline-fallback
    eutils_url: str | None
    rubric_version: str
    note: str | None = None
    issues: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, subject, message)


def source_frames(docs: Sequence[Document], run_id: str) -> dict[str, pd.DataFrame]:
    versions = pd.DataFrame([{
        "source": d.source.source, "content_hash": d.source.content_hash, "media_type": d.source.media_type,
        "encoding": d.source.encoding, "text": d.source.text, "n_chars": len(d.source.text),
        "url": d.source.url, "title": d.source.title, "body_start": d.source.body_start} for d in docs],
        columns=column_names("source_versions"))
    claims = pd.DataFrame([{
        "claim_id": c.claim_id, "source": c.source, "content_hash": c.content_hash, "char_start": c.char_start,
        "char_end": c.char_end, "claim_text": c.text, "claim_type": c.claim_type, "population": c.population}
        for d in docs for c in d.claims],
        columns=column_names("claims_all"))
    mentions = pd.DataFrame([{
        "citation_id": citation_id(d.source.content_hash, m, source=d.source.source), "source": d.source.source,
        "content_hash": d.source.content_hash, "char_start": m.char_start, "char_end": m.char_end, "raw": m.raw,
        "kind": m.kind, "value": m.value, "footnote": m.footnote, "in_reference_list": m.in_reference_list,
        "authors": list(m.authors), "year": m.year, "title": m.title} for d in docs for m in d.mentions],
        columns=column_names("citation_mentions"))
    return {"source_versions": versions, "claims_all": claims, "citation_mentions": mentions}


def link_frame(rows: Sequence[LinkRow], run_id: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "run_id": run_id, "citation_id": citation_id(r.doc.source.content_hash, r.mention, source=r.doc.source.source),
        "claim_id": r.claim_id,
        "link": r.link, "resolution": r.resolution.status, "pmid": r.resolution.pmid, "method": r.resolution.method,
        "candidates": list(r.resolution.candidates), "fetch_outcome": r.fetch_outcome,
        "detail": "; ".join(x for x in (r.resolution.detail, r.fetch_cause, r.link_reason) if x) or None,
        "link_method": r.link_method, "confidence": r.confidence, "link_reason": r.link_reason}
        for r in rows],
        columns=column_names("citation_links"))


def query_frame(queries: Sequence[QueryRecord], run_id: str) -> pd.DataFrame:
    """resolution_queries: every query made while resolving, in order, with its answer."""
    return pd.DataFrame([{
        "run_id": run_id, "seq": i, "kind": q.kind, "value": q.value, "step": q.step, "term": q.term,
        "count": q.count, "ids": list(q.ids), "outcome": q.outcome, "error": q.error} for i, q in enumerate(queries)],
        columns=column_names("resolution_queries"))


def record_row(r: PubmedRecord, ev: object, origin: str, fetched_at: datetime) -> dict[str, object]:
    return {
        "pmid": r.pmid, "version": r.version, "title": r.title, "abstract": r.abstract_text or None,
        "journal": r.journal, "year": r.year, "languages": list(r.languages),
        "publication_types": [name for _, name in r.publication_types],
        "mesh_terms": [h.descriptor for h in r.mesh_headings], "authors": [author_label(a) for a in r.authors],
        "doi": r.doi, "pmcid": r.pmcid, "design": ev.design, "species": sorted(ev.species),
        "sample_size": ev.sample_size, "retracted": r.retracted, "date_revised": r.date_revised,
        "origin": origin, "xml_sha": xml_sha(r.raw_xml), "raw_xml": r.raw_xml, "fetched_at": fetched_at}


def record_frames(retrieval: Retrieval, evidence: dict[int, object], run_id: str, now: datetime
                  ) -> dict[str, pd.DataFrame]:
    result = retrieval.result
    fresh = {p: r for p, r in result.records.items() if p not in retrieval.reused}
    records = pd.DataFrame([record_row(r, evidence[p], result.origin.get(p, "entrez"), now)
                            for p, r in sorted(fresh.items())])
    versions = pd.DataFrame([{
        "pmid": p, "version": r.version, "date_revised": r.date_revised, "xml_sha": xml_sha(r.raw_xml),
        "raw_xml": r.raw_xml, "origin": result.origin.get(p, "entrez"), "first_seen_at": now, "first_run_id": run_id}
        for p, r in sorted(fresh.items())])
    log = [{"run_id": run_id, "pmid": p, "outcome": "fetched", "origin": result.origin.get(p), "cause":
            retrieval.stale.get(p, "reused from the warehouse") if p in retrieval.reused else None}
           for p in sorted(result.records)]
    log += [{"run_id": run_id, "pmid": p, "outcome": "not_found", "origin": None, "cause": "PubMed answered without it"}
            for p in sorted(result.not_found)]
    log += [{"run_id": run_id, "pmid": p, "outcome": "unavailable", "origin": None, "cause": cause}
            for p, cause in sorted(result.unavailable.items())]
    return {"pubmed_records": records, "pubmed_record_versions": versions,
            **child_frames(r for _, r in sorted(fresh.items())),
            "fetch_log": pd.DataFrame(log, columns=column_names("fetch_log"))}


def grade_frames(grades: Sequence[Grade], run_id: str) -> dict[str, pd.DataFrame]:
    g = pd.DataFrame([{
        "run_id": run_id, "claim_id": x.claim_id, "certainty": x.certainty, "status": x.status,
        "pmids": list(x.pmids), "reasons": [r.summary() for r in x.reasons], "rubric_version": x.rubric_version}
        for x in grades], columns=column_names("grades"))
    reasons = pd.DataFrame([{
        "run_id": run_id, "claim_id": x.claim_id, "seq": i, "pmid": r.pmid, "domain": r.domain, "rule_id": r.rule_id,
        "change": r.change, "explanation": r.explanation, "span_in": r.span_in, "span_start": r.span_start,
        "span_end": r.span_end, "span_text": r.span_text} for x in grades for i, r in enumerate(x.reasons)],
        columns=column_names("grade_reasons"))
    support = pd.DataFrame([{
        "run_id": run_id, "claim_id": x.claim_id, "pmid": s.pmid, "label": s.label, "aspects": list(s.aspects),
        "explanation": s.explanation, "span_in": s.span_in, "span_start": s.span_start, "span_end": s.span_end,
        "span_text": s.span_text} for x in grades for s in x.support], columns=column_names("claim_support"))
    domains = pd.DataFrame([{
        "run_id": run_id, "claim_id": x.claim_id, "domain": d.domain, "judgement": d.judgement, "change": d.change,
        "explanation": d.explanation, "pmid": d.pmid, "span_in": d.span_in, "span_start": d.span_start,
        "span_end": d.span_end, "span_text": d.span_text} for x in grades for d in x.domains],
        columns=column_names("grade_domains"))
    return {"grades": g, "grade_reasons": reasons, "claim_support": support, "grade_domains": domains}


def validate_frames(frames: dict[str, pd.DataFrame], run_id: str) -> dict[str, pd.DataFrame]:
    """Validate each table; drop dependants of quarantined rows; add the quarantine table."""
    keys = {"claims_all": "claim_id", "citation_mentions": "citation_id", "pubmed_records": "pmid",
            "pubmed_record_versions": "pmid", **{table: "pmid" for table in RECORD_CHILD_TABLES},
            "grades": "claim_id", "source_versions": "source"}
    quarantine: list[dict[str, object]] = []
    out: dict[str, pd.DataFrame] = {}
    for table, df in frames.items():
        if df.empty:
            out[table] = df
            continue
        good, bad = validate_table(table, df, run_id, keys.get(table))
        out[table] = good
        quarantine.extend(bad)
    drop_failed_records(out, quarantine, frames)  # a record is loaded whole or not at all
    bad_claims = {q["row_key"] for q in quarantine if q["table_name"] == "claims_all"}
    bad_records = {int(q["row_key"]) for q in quarantine if q["table_name"] == "pubmed_records" and q["row_key"]}
    for table in ("grades", "grade_reasons", "claim_support", "grade_domains", "citation_links"):
        if table in out and not out[table].empty and bad_claims:
            out[table] = out[table][~out[table]["claim_id"].isin(bad_claims)]
    if "pubmed_record_versions" in out and not out["pubmed_record_versions"].empty and bad_records:
        prv = out["pubmed_record_versions"]
        out["pubmed_record_versions"] = prv[~prv["pmid"].isin(bad_records)]
    out["quarantine"] = pd.DataFrame(quarantine, columns=column_names("quarantine"))
    return out


def run_frames(info: RunInfo, docs: Sequence[Document], failures: Sequence[SourceFailure], frames: dict[str, pd.DataFrame],
               requests: int | dict[str, int], finished_at: datetime,
               tags: dict[str, tuple[str, ...]] | None = None) -> dict[str, pd.DataFrame]:
    """The run's own rows. `requests`: E-utilities requests by endpoint (grading.pubmed.counts),
    or a bare total."""
    by_endpoint = requests if isinstance(requests, dict) else {}
    issues = [(info.run_id, "sources", f.source, f.message) for f in failures]
    issues += [(info.run_id, stage, subject, message) for stage, subject, message in info.issues]
    frames["run_issues"] = pd.DataFrame(issues, columns=column_names("run_issues"))
    tags = tags or {}
    frames["run_sources"] = pd.DataFrame(
        [(info.run_id, d.source.source, d.source.content_hash, list(tags.get(d.source.source, ()))) for d in docs],
        columns=column_names("run_sources"))
    frames["runs"] = pd.DataFrame([{
        "run_id": info.run_id, "started_at": info.started_at, "finished_at": finished_at, "status": "completed",
        "mode": info.mode, "eutils_url": info.eutils_url, "rubric_version": info.rubric_version,
        "n_sources": len(docs), "n_claims": len(frames["grades"]), "n_citations": len(frames["citation_links"]),
        "n_records": int((frames["fetch_log"]["outcome"] == "fetched").sum()) if len(frames["fetch_log"]) else 0,
        "eutils_requests": sum(by_endpoint.values()) if by_endpoint else requests,
        **{f"eutils_{endpoint}": n for endpoint, n in by_endpoint.items()}, "note": info.note}])
    for table in ("runs", "run_issues", "run_sources"):
        good, bad = validate_table(table, frames[table], info.run_id)
        if bad and table == "runs":
            raise ValueError(f"the run's own row fails its schema: {bad[0]['failure']}")
        frames[table] = good
        if bad:
            frames["quarantine"] = pd.concat([frames["quarantine"], pd.DataFrame(bad)], ignore_index=True)
    return frames


# Columns that carry messages from services (causes, details, notes), never document text:
# redacting document text would shift the offsets that point into it.
MESSAGE_COLUMNS = {"fetch_log": ("cause",), "resolution_queries": ("error",), "citation_links": ("detail",), "grade_reasons": ("explanation",),
                   "grades": ("reasons",), "run_issues": ("message",), "runs": ("note", "eutils_url"),
                   "quarantine": ("failure",)}


def redact_frames(frames: dict[str, pd.DataFrame], redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    """Message columns through `redact`: the last guard that keeps the API key, which error
    pages echo into causes, out of the warehouse and so out of the reports."""
    def clean(value: object) -> object:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, (list, tuple)):
            return [redact(v) if isinstance(v, str) else v for v in value]
        return value

    out = dict(frames)
    for table, columns in MESSAGE_COLUMNS.items():
        df = frames.get(table)
        if df is None or df.empty:
            continue
        df = df.copy()
        for column in columns:
            if column in df.columns:
                df[column] = df[column].map(clean)
        out[table] = df
    return out
