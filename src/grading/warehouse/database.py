"""The DuckDB warehouse: tables, marts (views) and the one-transaction load of a run.

Layers (dbt's naming): raw/staging tables written by runs (`source_versions`,
`claims_all`, `citation_mentions`, `citation_links`, `pubmed_record_versions`,
`pubmed_records`, `fetch_log`, `grades`, `grade_reasons`, `quarantine`, `runs`,
`run_issues`) and marts that reports and users read (`claim_grades`, `citations`,
`reasons`, `latest_run`; for reports also `previous_run`, `source_texts`, `cited_records`,
`claim_changes`, `unchecked_sources`, `newly_retracted`, `source_triage`). docs/warehouse.md documents every one.

One process writes at a time (DuckDB's file lock); a run's rows are inserted in a single
transaction, so a run killed part-way leaves the previous state intact.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pandas as pd

from grading.errors import GradingError

SCHEMA_VERSION = "3"  # bump when a table changes shape: older files get a clear error
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


class WarehouseError(GradingError):
    """The warehouse cannot be used; the message is one line."""


DDL = """
CREATE TABLE IF NOT EXISTS grading_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
    mode VARCHAR, eutils_url VARCHAR, rubric_version VARCHAR, n_sources INTEGER, n_claims INTEGER,
    n_citations INTEGER, n_records INTEGER, eutils_requests INTEGER, note VARCHAR);
CREATE TABLE IF NOT EXISTS run_issues (run_id VARCHAR, stage VARCHAR, subject VARCHAR, message VARCHAR);
CREATE TABLE IF NOT EXISTS run_sources (run_id VARCHAR, source VARCHAR, content_hash VARCHAR, tags VARCHAR[],
    PRIMARY KEY (run_id, source));
CREATE TABLE IF NOT EXISTS source_versions (
    source VARCHAR, content_hash VARCHAR, media_type VARCHAR, encoding VARCHAR, text VARCHAR,
    n_chars INTEGER, url VARCHAR, title VARCHAR, body_start INTEGER, PRIMARY KEY (source, content_hash));
CREATE TABLE IF NOT EXISTS claims_all (
    claim_id VARCHAR PRIMARY KEY, source VARCHAR, content_hash VARCHAR, char_start INTEGER,
    char_end INTEGER, claim_text VARCHAR, claim_type VARCHAR, population VARCHAR);
CREATE TABLE IF NOT EXISTS citation_mentions (
    citation_id VARCHAR PRIMARY KEY, source VARCHAR, content_hash VARCHAR, char_start INTEGER,
    char_end INTEGER, raw VARCHAR, kind VARCHAR, value VARCHAR, footnote INTEGER,
    in_reference_list BOOLEAN, authors VARCHAR[], year INTEGER, title VARCHAR);
CREATE TABLE IF NOT EXISTS citation_links (
    run_id VARCHAR, citation_id VARCHAR, claim_id VARCHAR, link VARCHAR, resolution VARCHAR,
    pmid INTEGER, method VARCHAR, candidates INTEGER[], fetch_outcome VARCHAR, detail VARCHAR);
CREATE TABLE IF NOT EXISTS pubmed_record_versions (
    pmid INTEGER, version INTEGER, date_revised VARCHAR, xml_sha VARCHAR, raw_xml VARCHAR,
    origin VARCHAR, first_seen_at TIMESTAMP, first_run_id VARCHAR, PRIMARY KEY (pmid, xml_sha));
CREATE TABLE IF NOT EXISTS pubmed_records (
    pmid INTEGER PRIMARY KEY, version INTEGER, title VARCHAR, abstract VARCHAR, journal VARCHAR,
    year INTEGER, languages VARCHAR[], publication_types VARCHAR[], mesh_terms VARCHAR[],
    authors VARCHAR[], doi VARCHAR, pmcid VARCHAR, design VARCHAR, species VARCHAR[],
    sample_size INTEGER, retracted BOOLEAN, date_revised VARCHAR, origin VARCHAR, xml_sha VARCHAR,
    raw_xml VARCHAR, fetched_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS fetch_log (run_id VARCHAR, pmid INTEGER, outcome VARCHAR, origin VARCHAR,
    cause VARCHAR);
CREATE TABLE IF NOT EXISTS grades (
    run_id VARCHAR, claim_id VARCHAR, certainty VARCHAR, status VARCHAR, pmids INTEGER[],
    reasons VARCHAR[], rubric_version VARCHAR, PRIMARY KEY (run_id, claim_id));
CREATE TABLE IF NOT EXISTS grade_reasons (
    run_id VARCHAR, claim_id VARCHAR, seq INTEGER, pmid INTEGER, domain VARCHAR, rule_id VARCHAR,
    change INTEGER, explanation VARCHAR, span_in VARCHAR, span_start INTEGER, span_end INTEGER,
    span_text VARCHAR);
-- A record's lists, one row per item of its latest version (schemas/records.py; grading.warehouse.record_rows).
CREATE TABLE IF NOT EXISTS pubmed_authors (pmid INTEGER, position INTEGER, last_name VARCHAR,
    fore_name VARCHAR, initials VARCHAR, collective_name VARCHAR, affiliations VARCHAR[]);
CREATE TABLE IF NOT EXISTS pubmed_publication_types (pmid INTEGER, position INTEGER, ui VARCHAR, name VARCHAR);
CREATE TABLE IF NOT EXISTS pubmed_mesh_headings (pmid INTEGER, position INTEGER, descriptor_ui VARCHAR,
    descriptor VARCHAR, major_topic BOOLEAN, qualifiers VARCHAR[]);
CREATE TABLE IF NOT EXISTS pubmed_article_ids (pmid INTEGER, position INTEGER, id_type VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS pubmed_comments_corrections (pmid INTEGER, position INTEGER, ref_type VARCHAR,
    ref_pmid INTEGER, ref_source VARCHAR);
-- The local mirror of PubMed baseline/update files (grading.warehouse.baseline).
CREATE TABLE IF NOT EXISTS mirror_records (pmid INTEGER PRIMARY KEY, file_name VARCHAR, file_sha VARCHAR,
    xml_sha VARCHAR, deleted BOOLEAN);
CREATE TABLE IF NOT EXISTS ingested_files (file_sha VARCHAR PRIMARY KEY, file_name VARCHAR, ingest_id VARCHAR,
    ingested_at TIMESTAMP, n_records INTEGER, n_deleted INTEGER, n_quarantined INTEGER, n_applied INTEGER,
    parse_seconds DOUBLE);
CREATE TABLE IF NOT EXISTS quarantine (run_id VARCHAR, table_name VARCHAR, row_key VARCHAR,
    check_name VARCHAR, failure VARCHAR, raw VARCHAR);

CREATE OR REPLACE VIEW latest_run AS
    SELECT * FROM runs WHERE status = 'completed' ORDER BY finished_at DESC, run_id DESC LIMIT 1;
CREATE OR REPLACE VIEW claim_grades AS
    SELECT c.source, c.claim_id, c.claim_text, c.char_start, c.char_end, c.claim_type, c.population,
           g.certainty, g.status, g.pmids, g.reasons, g.rubric_version, g.run_id
    FROM grades g JOIN claims_all c USING (claim_id)
    WHERE g.run_id = (SELECT run_id FROM latest_run)
    ORDER BY c.source, c.char_start;
CREATE OR REPLACE VIEW citations AS
    SELECT m.source, l.claim_id, m.raw, m.kind, m.value, l.pmid, l.method, l.resolution, l.link,
           m.footnote, m.in_reference_list, l.fetch_outcome, l.candidates, l.detail, m.char_start,
           m.char_end, m.citation_id, l.run_id
    FROM citation_links l JOIN citation_mentions m USING (citation_id)
    WHERE l.run_id = (SELECT run_id FROM latest_run)
    ORDER BY m.source, m.char_start, l.claim_id;
CREATE OR REPLACE VIEW reasons AS
    SELECT c.source, r.claim_id, r.seq, r.pmid, r.domain, r.rule_id, r.change, r.explanation,
           r.span_in, r.span_start, r.span_end, r.span_text, r.run_id
    FROM grade_reasons r JOIN claims_all c USING (claim_id)
    WHERE r.run_id = (SELECT run_id FROM latest_run)
    ORDER BY c.source, c.char_start, r.seq;

-- Report marts (docs/reports.md): what a reader of the latest run needs, and what changed.
CREATE OR REPLACE VIEW previous_run AS
    SELECT * FROM runs WHERE status = 'completed' ORDER BY finished_at DESC, run_id DESC LIMIT 1 OFFSET 1;
CREATE OR REPLACE VIEW source_texts AS
    SELECT s.source, s.content_hash, v.media_type, v.encoding, v.n_chars, v.text, v.url, v.title, v.body_start,
           s.run_id
    FROM run_sources s JOIN source_versions v USING (source, content_hash)
    WHERE s.run_id = (SELECT run_id FROM latest_run)
    ORDER BY s.source;
CREATE OR REPLACE VIEW cited_records AS
    WITH cited AS (
        SELECT pmid, min(fetch_outcome) AS fetch_outcome, count(DISTINCT claim_id) AS n_claims,
               count(DISTINCT source) AS n_sources
        FROM citations WHERE pmid IS NOT NULL GROUP BY pmid)
    SELECT c.pmid, r.title, r.journal, r.year, r.design, r.species, r.sample_size, r.retracted,
           r.publication_types, r.doi, r.pmcid, c.fetch_outcome, r.origin, c.n_claims, c.n_sources,
           (SELECT run_id FROM latest_run) AS run_id
    FROM cited c LEFT JOIN pubmed_records r USING (pmid)
    ORDER BY c.pmid;
CREATE OR REPLACE VIEW claim_changes AS
    -- Per source: the latest run against the last earlier run that read that source, so a run
    -- of one page (or a source left out of a run) never reads as claims removed elsewhere.
    -- Claims are matched by (source, claim_text, occurrence): claim_ids change with the text.
    WITH now_sources AS (
        SELECT source, content_hash, run_id FROM run_sources WHERE run_id = (SELECT run_id FROM latest_run)),
    before_sources AS (
        SELECT source, content_hash, run_id FROM (
            SELECT s.source, s.content_hash, s.run_id,
                   row_number() OVER (PARTITION BY s.source ORDER BY r.finished_at DESC, r.run_id DESC) AS n
            FROM run_sources s JOIN runs r USING (run_id)
            WHERE r.status = 'completed' AND r.run_id <> (SELECT run_id FROM latest_run)
              AND r.finished_at <= (SELECT finished_at FROM latest_run)
              AND s.source IN (SELECT source FROM now_sources))
        WHERE n = 1),
    now_claims AS (
        SELECT c.source, c.claim_text, c.claim_id, c.char_start, c.claim_type, g.certainty, g.status,
               row_number() OVER (PARTITION BY c.source, c.claim_text ORDER BY c.char_start) AS occurrence
        FROM grades g JOIN claims_all c USING (claim_id) JOIN now_sources s ON s.source = c.source
        WHERE g.run_id = s.run_id),
    before_claims AS (
        SELECT c.source, c.claim_text, c.claim_id, c.char_start, c.claim_type, g.certainty, g.status,
               row_number() OVER (PARTITION BY c.source, c.claim_text ORDER BY c.char_start) AS occurrence
        FROM grades g JOIN claims_all c USING (claim_id) JOIN before_sources s ON s.source = c.source
        WHERE g.run_id = s.run_id),
    source_change AS (
        SELECT n.source, b.run_id AS previous_run_id,
               CASE WHEN b.content_hash IS NULL THEN 'added'
                    WHEN n.content_hash <> b.content_hash THEN 'edited' ELSE 'unchanged' END AS source_change
        FROM now_sources n LEFT JOIN before_sources b USING (source))
    SELECT CASE WHEN b.claim_id IS NULL THEN 'new' WHEN n.claim_id IS NULL THEN 'removed' ELSE 'regraded' END
               AS change,
           coalesce(n.source, b.source) AS source, s.source_change, coalesce(n.claim_text, b.claim_text) AS claim_text,
           coalesce(n.occurrence, b.occurrence) AS occurrence, coalesce(n.claim_type, b.claim_type) AS claim_type,
           n.certainty, n.status, b.certainty AS previous_certainty, b.status AS previous_status,
           n.claim_id, b.claim_id AS previous_claim_id, n.char_start, b.char_start AS previous_char_start,
           (SELECT run_id FROM latest_run) AS run_id, s.previous_run_id
    FROM now_claims n
    FULL JOIN before_claims b ON n.source = b.source AND n.claim_text = b.claim_text AND n.occurrence = b.occurrence
    JOIN source_change s ON s.source = coalesce(n.source, b.source)
    WHERE EXISTS (SELECT 1 FROM previous_run)
      AND (n.claim_id IS NULL OR b.claim_id IS NULL OR n.certainty <> b.certainty OR n.status <> b.status)
    ORDER BY source, coalesce(n.char_start, b.char_start), change;
CREATE OR REPLACE VIEW unchecked_sources AS
    -- Sources the previous run read and the latest did not: not checked this run, nothing removed.
    SELECT b.source, b.content_hash, b.tags, (SELECT run_id FROM previous_run) AS previous_run_id,
           (SELECT run_id FROM latest_run) AS run_id
    FROM run_sources b
    WHERE b.run_id = (SELECT run_id FROM previous_run)
      AND b.source NOT IN (SELECT source FROM run_sources WHERE run_id = (SELECT run_id FROM latest_run))
    ORDER BY b.source;
CREATE OR REPLACE VIEW source_triage AS
    -- One row per source of the latest run: how many of its claims carry each warning a regulator
    -- acts on (a claim counts once per warning), named by page title and URL, with its tags.
    WITH usable AS (
        SELECT c.claim_id, count(*) AS n_records,
               count(*) FILTER (WHERE r.design IN ('animal', 'in_vitro')) AS n_preclinical,
               bool_or(coalesce(r.retracted, false)) AS any_retracted
        FROM (SELECT DISTINCT claim_id, pmid FROM citations
              WHERE claim_id IS NOT NULL AND pmid IS NOT NULL AND fetch_outcome = 'fetched') c
        JOIN pubmed_records r USING (pmid) GROUP BY c.claim_id),
    fired AS (
        SELECT claim_id,
               bool_or(rule_id = 'numbers.figure_missing') AS figure_missing,
               bool_or(rule_id = 'indirectness.population' AND change <= -2) AS population_down,
               bool_or(rule_id = 'indirectness.clinical_wording') AS clinical_wording
        FROM reasons GROUP BY claim_id),
    flags AS (
        SELECT g.source, g.claim_id,
               g.status IN ('not-supported', 'off-topic') AS not_supported,
               g.status = 'retracted' OR coalesce(u.any_retracted, false) AS retracted,
               coalesce(f.figure_missing, false) AS figure_missing,
               coalesce(f.population_down, false)
                   OR (g.population IN ('human', 'unspecified') AND u.n_records > 0
                       AND u.n_preclinical = u.n_records) AS preclinical_only,
               coalesce(f.clinical_wording, false) AS clinical_wording,
               g.status = 'uncited' AS uncited
        FROM claim_grades g LEFT JOIN usable u USING (claim_id) LEFT JOIN fired f USING (claim_id)),
    counted AS (
        SELECT t.source, t.title, t.url, coalesce(s.tags, []::VARCHAR[]) AS tags,
               count(f.claim_id)::INTEGER AS n_claims,
               count(*) FILTER (WHERE f.not_supported)::INTEGER AS not_supported,
               count(*) FILTER (WHERE f.retracted)::INTEGER AS retracted,
               count(*) FILTER (WHERE f.figure_missing)::INTEGER AS figure_missing,
               count(*) FILTER (WHERE f.preclinical_only)::INTEGER AS preclinical_only,
               count(*) FILTER (WHERE f.clinical_wording)::INTEGER AS clinical_wording,
               count(*) FILTER (WHERE f.uncited)::INTEGER AS uncited,
               count(*) FILTER (WHERE f.not_supported OR f.retracted OR f.figure_missing OR f.preclinical_only
                                      OR f.clinical_wording OR f.uncited)::INTEGER AS claims_flagged,
               t.run_id
        FROM source_texts t
        LEFT JOIN run_sources s ON s.run_id = t.run_id AND s.source = t.source
        LEFT JOIN flags f ON f.source = t.source
        GROUP BY t.source, t.title, t.url, s.tags, t.run_id)
    -- Evidence problems first (they need reading); claims with no citation break ties.
    SELECT source, title, url, tags, n_claims, not_supported, retracted, figure_missing, preclinical_only,
           clinical_wording, uncited,
           (not_supported + retracted + figure_missing + preclinical_only + clinical_wording)::INTEGER
               AS evidence_warnings,
           claims_flagged, run_id
    FROM counted
    ORDER BY evidence_warnings DESC, uncited DESC, claims_flagged DESC, source;
CREATE OR REPLACE VIEW newly_retracted AS
    -- Retracted now, but not in the previous run: the record was not cited then, or the version
    -- in effect when that run finished carried no retraction (PubMed's two markers, as models.py reads them).
    WITH before_version AS (
        SELECT pmid, arg_max(raw_xml, first_seen_at) AS raw_xml FROM pubmed_record_versions
        WHERE first_seen_at <= (SELECT finished_at FROM previous_run) GROUP BY pmid),
    before_cited AS (
        SELECT DISTINCT pmid FROM citation_links
        WHERE run_id = (SELECT run_id FROM previous_run) AND pmid IS NOT NULL AND fetch_outcome = 'fetched')
    SELECT r.pmid, r.title, r.journal, r.year, r.design, r.n_claims, r.n_sources,
           (b.pmid IS NOT NULL) AS previously_cited, r.run_id, (SELECT run_id FROM previous_run) AS previous_run_id
    FROM cited_records r
    LEFT JOIN before_cited b USING (pmid)
    LEFT JOIN before_version v USING (pmid)
    WHERE r.retracted AND EXISTS (SELECT 1 FROM previous_run)
      AND NOT (b.pmid IS NOT NULL AND coalesce(regexp_matches(v.raw_xml,
          '<PublicationType[^>]*>\\s*Retracted Publication\\s*</PublicationType>|RefType=["'']RetractionIn["'']'), false))
    ORDER BY r.pmid;
"""

# Run-scoped tables are appended; these are keyed and only gain rows they lack.
# Replaced with their record: a fetched version's rows replace the old version's (grading.warehouse.record_rows).
RECORD_CHILD_TABLES = ("pubmed_authors", "pubmed_publication_types", "pubmed_mesh_headings",
                       "pubmed_article_ids", "pubmed_comments_corrections")

KEYED_TABLES = {
    "source_versions": ["source", "content_hash"],
    "claims_all": ["claim_id"],
    "citation_mentions": ["citation_id"],
    "pubmed_record_versions": ["pmid", "xml_sha"],
}


def check_file(path: Path) -> None:
    """Refuse a file that exists but is not a DuckDB database, before DuckDB touches it."""
    if not path.exists():
        return
    if path.is_dir():
        raise WarehouseError(f"{path}: is a folder, not a warehouse file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if len(head) < 12 or head[8:12] != DUCKDB_MAGIC:
        raise WarehouseError(f"{path}: not a DuckDB file; refusing to use or overwrite it")


@contextmanager
def open_warehouse(path: Path, *, read_only: bool = False, wait: float = 0.0,
                   row_group_size: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (creating if needed) a grading warehouse; one-line errors for every failure.

    DuckDB lets one process write a file: while another holds it, wait up to `wait`
    seconds for it to finish, then give up with a message naming the holder.
    `row_group_size`: rows per row group for what this connection appends (bulk loads: see
    grading.warehouse.baseline); the file is then attached to a private in-memory database."""
    path = Path(path)
    check_file(path)
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: no warehouse here yet; run `grading run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = connect_waiting(path, read_only, wait, row_group_size)
    try:
        if read_only:
            check_schema(con, path)
        else:
            ensure_schema(con, path)
        yield con
    finally:
        con.close()


def connect_waiting(path: Path, read_only: bool, wait: float, row_group_size: int | None = None
                    ) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            if row_group_size is None:
                return duckdb.connect(str(path), read_only=read_only)
            return _attach(path, read_only, row_group_size)
        except duckdb.IOException as exc:
            msg = str(exc).splitlines()[0]
            if "lock" not in msg.lower():
                raise WarehouseError(f"{path}: cannot open warehouse ({msg})") from None
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", msg)
                who = f"process {holder.group(1)}" if holder else "another process"
                waited = f" after waiting {wait:g} s" if wait > 0 else ""
                raise WarehouseError(f"{path}: in use by {who} (one writer at a time){waited}; "
                                     "try again when it ends, or pass --wait SECONDS") from None
            time.sleep(0.25)
        except duckdb.Error as exc:
            raise WarehouseError(f"{path}: cannot open warehouse ({str(exc).splitlines()[0]})") from None


def _attach(path: Path, read_only: bool, row_group_size: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    try:
        mode = ", READ_ONLY" if read_only else ""
        con.execute(f"ATTACH {sql_string(path)} AS warehouse "
                    f"(ROW_GROUP_SIZE {int(row_group_size)}{mode})")
        con.execute("USE warehouse")
    except BaseException:
        con.close()
        raise
    return con


def check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "grading_meta" not in tables:
        raise WarehouseError(f"{path}: a DuckDB file, but not a grading warehouse")
    row = con.execute("SELECT value FROM grading_meta WHERE key = 'schema_version'").fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        raise WarehouseError(f"{path}: warehouse schema {row and row[0]} is not {SCHEMA_VERSION}")


def ensure_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if tables and "grading_meta" not in tables:
        raise WarehouseError(f"{path}: a DuckDB file holding other tables, not a grading warehouse; refusing to modify it")
    if "grading_meta" in tables:
        check_schema(con, path)
    con.execute("BEGIN")
    con.execute(DDL)
    con.execute("INSERT OR IGNORE INTO grading_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    con.execute("COMMIT")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> int:
    """Insert rows by column name; keyed tables skip rows whose key is already there."""
    if df is None or df.empty:
        return 0
    register_frame(con, "_incoming", df)
    try:
        cols = ", ".join(f'"{c}"' for c in df.columns)
        keys = KEYED_TABLES.get(table)
        if keys:
            on = " AND ".join(f't."{k}" = i."{k}"' for k in keys)
            sql = (f'INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming i '
                   f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})")
        else:
            sql = f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming"
        con.execute(sql)
    finally:
        with suppress(duckdb.Error):  # in an aborted transaction this fails too, hiding the cause
            con.unregister("_incoming")
    return len(df)


def sql_string(value: object) -> str:
    """`value` as a SQL string literal (paths in ATTACH, COPY and read_parquet)."""
    return "'" + str(value).replace("'", "''") + "'"


def register_frame(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
    """Register a DataFrame for SQL. DuckDB infers an object column's type from a sample of
    its rows: a list column empty in every sampled row reads as NULL[], and the first real
    value then fails to cast (`grades.pmids` in a big uncited corpus). Sample every row."""
    con.execute(f"SET pandas_analyze_sample = {max(1000, len(df))}")
    con.register(name, df)


def upsert_records(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> None:
    """pubmed_records holds one row per PMID: a newly fetched version replaces the old row."""
    if df is None or df.empty:
        return
    register_frame(con, "_records", df)
    try:
        con.execute("DELETE FROM pubmed_records WHERE pmid IN (SELECT pmid FROM _records)")
        cols = ", ".join(f'"{c}"' for c in df.columns)
        con.execute(f"INSERT INTO pubmed_records ({cols}) SELECT {cols} FROM _records")
    finally:
        with suppress(duckdb.Error):
            con.unregister("_records")


def replace_record_children(con: duckdb.DuckDBPyConnection, records: pd.DataFrame,
                            frames: dict[str, pd.DataFrame]) -> None:
    """The child rows of the records just upserted replace their old ones (a record whose new
    version has no MeSH headings keeps none)."""
    if records is None or records.empty:
        return
    register_frame(con, "_replaced", records[["pmid"]])
    try:
        for table in RECORD_CHILD_TABLES:
            con.execute(f"DELETE FROM {table} WHERE pmid IN (SELECT pmid FROM _replaced)")
            insert_frame(con, table, frames.get(table))
    finally:
        with suppress(duckdb.Error):
            con.unregister("_replaced")


def load_run(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame],
             pause: Callable[[str], None] | None = None) -> None:
    """Write one run's frames in a single transaction (all or nothing).

    `pause`: the GRADING_PAUSE_AT hook (grading.pausepoints), called as "load" with every row
    inserted and the COMMIT still to come: the moment a crash test kills the run.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        for table, df in frames.items():
            if table == "pubmed_records":
                upsert_records(con, df)
                replace_record_children(con, df, frames)
            elif table in RECORD_CHILD_TABLES:
                continue  # written with their records, above
            elif table != "runs":
                insert_frame(con, table, df)
        insert_frame(con, "runs", frames["runs"])  # last: a run row means a complete run
        if pause is not None:
            pause("load")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def stored_records(con: duckdb.DuckDBPyConnection, pmids: list[int]) -> pd.DataFrame:
    """Rows of pubmed_records for these PMIDs (raw XML included), for reuse without a fetch."""
    if not pmids:
        return pd.DataFrame()
    return con.execute(
        "SELECT pmid, origin, raw_xml, fetched_at FROM pubmed_records WHERE pmid IN (SELECT unnest(?))",
        [pmids]).df()


def recent_absences(con: duckdb.DuckDBPyConnection, pmids: list[int], since: object) -> set[int]:
    """PMIDs that PubMed cleanly answered as absent in a run finished after `since`."""
    if not pmids:
        return set()
    rows = con.execute(
        "SELECT DISTINCT f.pmid FROM fetch_log f JOIN runs r USING (run_id) "
        "WHERE f.outcome = 'not_found' AND r.finished_at >= ? AND f.pmid IN (SELECT unnest(?))",
        [since, pmids]).fetchall()
    return {int(r[0]) for r in rows}


def recent_resolutions(con: duckdb.DuckDBPyConnection, since: object) -> list[dict[str, object]]:
    """Searched resolutions (DOI, PMC, references) that got a clean answer in a run finished
    after `since`: the latest per (kind, value). Failed searches (`unavailable`) are not reused."""
    return con.execute("""
        SELECT kind, value, resolution, pmid, method, candidates, detail FROM (
            SELECT m.kind, m.value, l.resolution, l.pmid, l.method, l.candidates, l.detail,
                   row_number() OVER (PARTITION BY m.kind, m.value ORDER BY r.finished_at DESC) AS n
            FROM citation_links l JOIN citation_mentions m USING (citation_id) JOIN runs r USING (run_id)
            WHERE r.finished_at >= ? AND l.resolution IN ('resolved', 'not_found', 'ambiguous')
              AND l.method NOT IN ('direct', 'none'))
        WHERE n = 1""", [since]).df().to_dict("records")
