"""Checks shared by the reliability tests (docs/reliability.md): what a warehouse holds, and
the ledger check that a run lost nothing and forged nothing.

`ledger_problems(con, run_id)` lists, for one run, every record or claim that went missing
or was recorded as something it is not; a run passes with an empty list. The tests record
its length as the junit property `records_lost` (scripts/reliability_figures.py sums them).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from tests.helpers import latest_run_id, rows

__all__ = ["latest_run_id", "rows"]  # as the reliability tests import them


def ledger_problems(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Everything one run lost or forged, one line each (empty: every claim graded, every
    citation linked, every resolved PMID loaded, cleanly absent, or unavailable with a cause)."""
    problems: list[str] = []
    for (claim_id,) in rows(con, """
            SELECT c.claim_id FROM claims_all c JOIN run_sources s USING (source, content_hash)
            WHERE s.run_id = ? AND NOT EXISTS (SELECT 1 FROM grades g WHERE g.run_id = s.run_id
                                                AND g.claim_id = c.claim_id)""", run_id):
        problems.append(f"claim {claim_id} has no grade")
    for (citation_id,) in rows(con, """
            SELECT m.citation_id FROM citation_mentions m JOIN run_sources s USING (source, content_hash)
            WHERE s.run_id = ? AND NOT EXISTS (SELECT 1 FROM citation_links l WHERE l.run_id = s.run_id
                                                AND l.citation_id = m.citation_id)""", run_id):
        problems.append(f"citation {citation_id} is linked to nothing, not even `none`")
    for (pmid,) in rows(con, """
            SELECT DISTINCT pmid FROM citation_links WHERE run_id = ? AND resolution = 'resolved'
            EXCEPT SELECT pmid FROM fetch_log WHERE run_id = ?""", run_id, run_id):
        problems.append(f"PMID {pmid} was resolved but never fetched nor listed")
    for pmid, n in rows(con, "SELECT pmid, count(*) FROM fetch_log WHERE run_id = ? GROUP BY pmid HAVING count(*) > 1",
                        run_id):
        problems.append(f"PMID {pmid} is in fetch_log {n} times")
    for pmid, outcome, cause, raw_xml in rows(con, """
            SELECT f.pmid, f.outcome, f.cause, r.raw_xml FROM fetch_log f LEFT JOIN pubmed_records r USING (pmid)
            WHERE f.run_id = ?""", run_id):
        if outcome == "fetched" and raw_xml is None:
            problems.append(f"PMID {pmid} fetched but not in pubmed_records")
        elif outcome == "fetched" and stored_pmid(raw_xml) != pmid:
            problems.append(f"PMID {pmid} is stored with the record of PMID {stored_pmid(raw_xml)}")
        elif outcome == "unavailable" and not (cause or "").strip():
            problems.append(f"PMID {pmid} unavailable without a cause")
        elif outcome not in {"fetched", "not_found", "unavailable"}:
            problems.append(f"PMID {pmid} has outcome {outcome!r}")
    for citation_id, resolution, outcome in rows(con, """
            SELECT citation_id, resolution, fetch_outcome FROM citation_links
            WHERE run_id = ? AND (resolution = 'unavailable' OR fetch_outcome = 'unavailable')
              AND coalesce(trim(detail), '') = ''""", run_id):
        problems.append(f"citation {citation_id} is {resolution}/{outcome} without a cause")
    for claim_id, status in rows(con, """
            SELECT g.claim_id, g.status FROM grades g WHERE g.run_id = ?
              AND g.status IN ('unresolved', 'off-topic', 'retracted', 'uncited')
              AND EXISTS (SELECT 1 FROM citation_links l WHERE l.run_id = g.run_id AND l.claim_id = g.claim_id
                          AND (l.resolution = 'unavailable' OR l.fetch_outcome = 'unavailable'))""", run_id):
        problems.append(f"claim {claim_id} is {status!r} though some of its evidence was unavailable")
    return problems


def stored_pmid(raw_xml: str) -> int | None:
    try:
        records = parse_efetch_reply(f"<PubmedArticleSet>{raw_xml}</PubmedArticleSet>".encode())
    except PubmedXmlError:
        return None
    return records[0].pmid if len(records) == 1 else None


def warehouse_state(path: Path) -> dict[str, list[str]]:
    """Every base table's rows as sorted text: two equal states are two equal warehouses."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in rows(con, "SELECT table_name FROM information_schema.tables "
                                          "WHERE table_type = 'BASE TABLE' ORDER BY table_name")]
        return {t: sorted(repr(r) for r in rows(con, f'SELECT * FROM "{t}"')) for t in tables}
    finally:
        con.close()


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Keys that occur twice where each must occur once (keyed tables, per-run facts)."""
    checks = {
        "runs": "run_id", "claims_all": "claim_id", "citation_mentions": "citation_id",
        "pubmed_records": "pmid", "source_versions": "source, content_hash",
        "pubmed_record_versions": "pmid, xml_sha", "grades": "run_id, claim_id", "fetch_log": "run_id, pmid",
        "run_sources": "run_id, source",
    }
    out = []
    for table, key in checks.items():
        n = rows(con, f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)")[0][0]
        if n:
            out.append(f"{table}: {n} duplicated ({key})")
    return out


def orphan_rows(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Per-run rows whose run is not in `runs`: the trace of a half-written run."""
    out = []
    for table in ("run_issues", "run_sources", "citation_links", "fetch_log", "grades", "grade_reasons",
                  "quarantine"):
        n = rows(con, f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)")[0][0]
        if n:
            out.append(f"{table}: {n} rows of runs that are not in `runs`")
    n = rows(con, "SELECT count(*) FROM pubmed_record_versions WHERE first_run_id NOT IN (SELECT run_id FROM runs)")
    if n[0][0]:
        out.append(f"pubmed_record_versions: {n[0][0]} rows first seen by runs that are not in `runs`")
    return out
