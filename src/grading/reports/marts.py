"""What the reports read: the latest run's marts (views) as rows, in one place, so the writer
(grading.reports.write) and the renderer (grading.reports.html) share it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from grading.reports.csv import EXPORTS
from grading.reports.text import display_text


class ReportError(ValueError):
    """The warehouse cannot be reported on; the message is one line (shown as is by the CLI)."""


@dataclass
class Marts:
    """What the reports read, as rows (dicts); grains as in docs/warehouse.md."""

    run: dict[str, Any]
    previous: dict[str, Any] | None
    claims: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    records: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    texts: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    retracted: list[dict[str, Any]]
    evidence_profile: list[dict[str, Any]] = field(default_factory=list)  # evidence_profile.csv: graded claims' domains
    support: list[dict[str, Any]] = field(default_factory=list)  # support.csv: one label per (claim, record)
    triage: list[dict[str, Any]] = field(default_factory=list)  # triage.csv: each source's warnings
    unchecked: list[dict[str, Any]] = field(default_factory=list)  # sources the previous run read and this one did not


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row)) for row in cur.fetchall()]


def read_marts(con: duckdb.DuckDBPyConnection) -> Marts:
    try:
        run = fetch_dicts(con, "SELECT * FROM latest_run")
        if not run:
            raise ReportError("the warehouse holds no completed run yet; run `grading run` first")
        previous = fetch_dicts(con, "SELECT * FROM previous_run")
        exports = {e.filename: fetch_dicts(con, e.select()) for e in EXPORTS}
        for claim in exports["claims.csv"]:  # quotable text; claim_text stays exact for its offsets
            claim["claim_display_text"] = display_text(claim["claim_text"])
        return Marts(
            run=run[0], previous=previous[0] if previous else None, claims=exports["claims.csv"],
            citations=exports["citations.csv"], records=exports["records.csv"], reasons=exports["reasons.csv"],
            texts=fetch_dicts(con, "SELECT source, content_hash, media_type, n_chars, text, url, title, body_start "
                                   "FROM source_texts "
                                   "ORDER BY source"),
            changes=fetch_dicts(con, "SELECT * FROM claim_changes ORDER BY source, "
                                     "coalesce(char_start, previous_char_start), change, claim_text"),
            retracted=fetch_dicts(con, "SELECT * FROM newly_retracted ORDER BY pmid"),
            evidence_profile=exports["evidence_profile.csv"], support=exports["support.csv"],
            triage=exports["triage.csv"], unchecked=fetch_dicts(con, "SELECT * FROM unchecked_sources ORDER BY source"))
    except duckdb.CatalogException as exc:
        # A warehouse written before these views existed gains them on its next `grading run`.
        raise ReportError(f"the warehouse lacks a report view ({str(exc).splitlines()[0]}); "
                          "run `grading run` once to update it") from None
