"""CSV exports, one file per mart, with a stable column order (documented in docs/reports.md).

Grains: claims.csv one row per claim, citations.csv one row per citation occurrence and claim
link, records.csv one row per cited PMID, triage.csv one row per source (its warnings), reasons.csv one row per fired rule per claim,
evidence_profile.csv one row per graded claim, support.csv one row per (claim, linked record);
all for the latest run. claims.csv's `verdict` is the certainty of a graded claim and, for every
other claim, its status in words (models.STATUS_LABELS).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grading.warehouse.catalog import column_names

# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """One CSV file: the mart it reads, its columns in order, and its row order."""

    filename: str
    query: str
    columns: tuple[str, ...]

    @property
    def mart(self) -> str:
        """The view it reads (the query's `FROM <view> m`)."""
        return self.query.split(" FROM ", 1)[1].split()[0]

    def select(self) -> str:
        return self.query.format(columns=", ".join(f"m.{c}" for c in self.columns if c not in COMPUTED))


# A CSV's columns are its mart's (grading.warehouse.catalog), in the mart's order, except where
# the file has kept an older order: claims.csv and citations.csv list theirs (each one a column
# of the mart or COMPUTED; tests/test_catalog.py holds them to it). New columns go at the end.
CLAIM_COLUMNS = ("source", "claim_id", "char_start", "char_end", "claim_type", "population", "certainty", "status",
                 "pmids", "claim_text", "reasons", "rubric_version", "run_id", "verdict", "claim_display_text")
# Columns computed in Python after the query (grading.reports.write.read_marts), not read from the mart,
# with what they mean.
COMPUTED = {"claim_display_text": "the claim as a reader quotes it: Markdown links reduced to their words, "
                                  "HTML tags and emphasis marks removed; claim_text stays exact"}
CITATION_COLUMNS = ("source", "claim_id", "citation_id", "char_start", "char_end", "footnote", "in_reference_list",
                    "raw", "kind", "value", "link", "resolution", "method", "pmid", "candidates", "fetch_outcome",
                    "detail", "link_method", "confidence", "run_id")
RECORD_COLUMNS = tuple(column_names("cited_records"))
PROFILE_COLUMNS = tuple(column_names("claim_evidence_profile"))
SUPPORT_COLUMNS = tuple(column_names("support_labels"))
TRIAGE_COLUMNS = tuple(column_names("source_triage"))
REASON_COLUMNS = tuple(column_names("reasons"))

EXPORTS = (
    Export("claims.csv", "SELECT {columns} FROM claim_grades m ORDER BY m.source, m.char_start, m.claim_id",
           CLAIM_COLUMNS),
    Export("citations.csv", "SELECT {columns} FROM citations m "
           "ORDER BY m.source, m.char_start, m.citation_id, m.claim_id NULLS FIRST", CITATION_COLUMNS),
    Export("triage.csv", "SELECT {columns} FROM source_triage m "
           "ORDER BY m.evidence_warnings DESC, m.uncited DESC, m.claims_flagged DESC, m.source", TRIAGE_COLUMNS),
    Export("records.csv", "SELECT {columns} FROM cited_records m ORDER BY m.pmid", RECORD_COLUMNS),
    # Reasons in the order of their claims in the text, then the order the rubric fired them.
    Export("reasons.csv", "SELECT {columns} FROM reasons m JOIN claim_grades g USING (claim_id) "
           "ORDER BY m.source, g.char_start, m.claim_id, m.seq", REASON_COLUMNS),
    # The evidence profile: one row per graded claim, its five GRADE domains and its support label.
    Export("evidence_profile.csv", "SELECT {columns} FROM claim_evidence_profile m", PROFILE_COLUMNS),
    Export("support.csv", "SELECT {columns} FROM support_labels m", SUPPORT_COLUMNS),
)


def csv_cell(value: object) -> str:
    """Lists join with ';', missing is empty, booleans are true/false; text that a spreadsheet
    would run as a formula gets a leading apostrophe (the warehouse keeps the exact text)."""
    text = plain_cell(value)
    if isinstance(value, (str, list, tuple)) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def plain_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(plain_cell(v) for v in value)
    return str(value)


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[dict[str, object]]) -> None:
    columns = list(columns)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for row in rows:
            w.writerow([csv_cell(row[c]) for c in columns])
