"""PubMed records -> rows of the record tables, and the rule that keeps a record whole.

Used by grading runs (tables.record_frames: the records a run fetched) and by the baseline
mirror (grading.warehouse.baseline: every record of a file). Grains are in schemas/records.py: the child
tables hold one row per list item of each record's latest version, `position` from 1.

A record is loaded whole or not at all: if any of its rows fails validation (its
`pubmed_records` row, a version, an author, a MeSH heading ...), every row of that record is
dropped and the quarantine rows carry the record's complete raw XML, so nothing is lost and
no record is stored with, say, a publication type missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import pandas as pd

from grading.models import Author, PubmedRecord
from grading.warehouse import catalog
from grading.warehouse.database import RECORD_CHILD_TABLES

RECORD_TABLES = ("pubmed_records", "pubmed_record_versions", *RECORD_CHILD_TABLES)

CHILD_COLUMNS = {table: catalog.column_names(table) for table in RECORD_CHILD_TABLES}
RECORD_COLUMNS = catalog.column_names("pubmed_records")


def child_frames(records: Iterable[PubmedRecord]) -> dict[str, pd.DataFrame]:
    """The child-table rows of `records` (each record's lists, in its own order)."""
    records = list(records)
    rows = {
        "pubmed_authors": [
            (r.pmid, i, a.last_name, a.fore_name, a.initials, a.collective_name, list(a.affiliations))
            for r in records for i, a in enumerate(r.authors, 1)],
        "pubmed_publication_types": [
            (r.pmid, i, ui, name) for r in records for i, (ui, name) in enumerate(r.publication_types, 1)],
        "pubmed_mesh_headings": [
            (r.pmid, i, h.descriptor_ui, h.descriptor, h.major_topic, list(h.qualifiers))
            for r in records for i, h in enumerate(r.mesh_headings, 1)],
        "pubmed_article_ids": [
            (r.pmid, i, id_type, value) for r in records for i, (id_type, value) in enumerate(r.article_ids, 1)],
        "pubmed_comments_corrections": [
            (r.pmid, i, c.ref_type, c.pmid, c.ref_source) for r in records
            for i, c in enumerate(r.comments_corrections, 1)],
    }
    frames = {table: _frame(table_rows, CHILD_COLUMNS[table]) for table, table_rows in rows.items()}
    frames["pubmed_comments_corrections"]["ref_pmid"] = (
        frames["pubmed_comments_corrections"]["ref_pmid"].astype("Int64"))  # None-bearing ints, not floats
    return frames


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows as a DataFrame, built column by column (pandas' row-wise path checks every row's length)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))), columns=columns)


def unread_record_frame(records: Sequence[PubmedRecord], xml_shas: Sequence[str], origin: str,
                        fetched_at: datetime) -> pd.DataFrame:
    """`pubmed_records` rows for records no run has read yet (a mirror load): every parsed
    field, and NULL design, species and sample size until a grading run reads the record."""
    n = len(records)
    columns = {
        "pmid": [r.pmid for r in records],
        "version": [r.version for r in records],
        "title": [r.title for r in records],
        "abstract": [r.abstract_text or None for r in records],
        "journal": [r.journal for r in records],
        "year": pd.array([r.year for r in records], dtype="Int64"),
        "languages": [list(r.languages) for r in records],
        "publication_types": [[name for _, name in r.publication_types] for r in records],
        "mesh_terms": [[h.descriptor for h in r.mesh_headings] for r in records],
        "authors": [[author_label(a) for a in r.authors] for r in records],
        "doi": [r.doi for r in records],
        "pmcid": [r.pmcid for r in records],
        "design": [None] * n,
        "species": [None] * n,
        "sample_size": pd.array([None] * n, dtype="Int64"),
        "retracted": [r.retracted for r in records],
        "date_revised": [r.date_revised for r in records],
        "origin": [origin] * n,
        "xml_sha": list(xml_shas),
        "raw_xml": [r.raw_xml for r in records],
        "fetched_at": [fetched_at] * n,
    }
    return pd.DataFrame(columns, columns=RECORD_COLUMNS)


def xml_sha(raw_xml: str) -> str:
    """A record version's identity: SHA-256 of its raw XML (pubmed_records.xml_sha and the mirror's)."""
    return hashlib.sha256(raw_xml.encode("utf-8")).hexdigest()


def author_label(a: Author) -> str:
    """An author as pubmed_records.authors lists it: "Last Initials", else the collective name."""
    if a.last_name and a.initials:
        return f"{a.last_name} {a.initials}"
    return a.last_name or a.initials or a.collective_name or ""


def failed_records(quarantine: Iterable[Mapping[str, object]]) -> set[int]:
    """PMIDs with a quarantined row in any record table."""
    return {pmid for q in quarantine if q["table_name"] in RECORD_TABLES and (pmid := _pmid(q["row_key"]))}


def drop_failed_records(frames: dict[str, pd.DataFrame], quarantine: list[dict[str, object]],
                        unvalidated: Mapping[str, pd.DataFrame] | None = None) -> set[int]:
    """Drop every row of a record that has a quarantined row, from all record tables in
    `frames`, and put that record's whole raw XML (from `unvalidated`, the frames as they were
    before validation, else `frames`) in its quarantine rows. Returns the PMIDs."""
    bad = failed_records(quarantine)
    if not bad:
        return bad
    raw_xml: dict[int, str] = {}
    for table in ("pubmed_record_versions", "pubmed_records"):
        df = (unvalidated or frames).get(table)
        if df is not None and len(df) and "raw_xml" in df:
            hit = df[df["pmid"].isin(bad)]
            raw_xml.update(zip(hit["pmid"].astype(int), hit["raw_xml"]))
    attach_raw_xml(quarantine, raw_xml)
    for table in RECORD_TABLES:
        df = frames.get(table)
        if df is not None and len(df):
            frames[table] = df[~df["pmid"].isin(bad)].reset_index(drop=True)
    return bad


def attach_raw_xml(quarantine: list[dict[str, object]], raw_xml: Mapping[int, str]) -> None:
    """Quarantine rows of record tables carry the record's complete raw XML: the failing row as
    validated (without its own raw_xml, which grading.warehouse.validate cuts short) plus `raw_xml`."""
    for q in quarantine:
        pmid = _pmid(q["row_key"]) if q["table_name"] in RECORD_TABLES else None
        if pmid is None or pmid not in raw_xml:
            continue
        try:
            row = json.loads(str(q["raw"]))
        except ValueError:  # cut short: the row's leading columns are still readable
            row = {"row_start": str(q["raw"])[:2000]}
        row.pop("raw_xml", None)
        q["raw"] = json.dumps({**row, "raw_xml": raw_xml[pmid]}, ensure_ascii=False, default=str)


def _pmid(key: object) -> int | None:
    text = str(key) if key is not None else ""
    return int(text) if text.isdigit() else None
