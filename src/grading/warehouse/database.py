"""The DuckDB warehouse: tables, marts (views) and the one-transaction load of a run.

Layers (dbt's naming): raw/staging tables written by runs (`source_versions`,
`claims_all`, `citation_mentions`, `citation_links`, `pubmed_record_versions`,
`pubmed_records`, `fetch_log`, `resolution_queries`, `grades`, `grade_reasons`, `quarantine`, `runs`,
`run_issues`) and marts that reports and users read (`claim_grades`, `citations`,
`reasons`, `latest_run`; for reports also `previous_run`, `source_texts`, `cited_records`,
`claim_changes`, `unchecked_sources`, `newly_retracted`, `source_triage`). Their shape and meaning
are defined once, in grading.warehouse.catalog: the tables' DDL is generated from it, and every
table, view and column carries its meaning there as a COMMENT (docs/warehouse.md is generated too).

One process writes at a time (DuckDB's file lock); a run's rows are inserted in a single
transaction, so a run killed part-way leaves the previous state intact.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from grading.errors import GradingError
from grading.models import STATUS_LABELS
from grading.warehouse import catalog

SCHEMA_VERSION = "3"  # bump when a table changes shape
MIGRATES_FROM = ("2",)  # older schemas upgraded in place, additively (migrate): nothing is lost
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


class WarehouseError(GradingError):
    """The warehouse cannot be used; the message is one line."""


# The tables' DDL, generated from the catalogue (grading.warehouse.catalog): one line a column there.
TABLES_DDL = catalog.tables_ddl()


# The views (marts) in their own file: SQL reads better as SQL.
VIEWS = (resources.files("grading.warehouse") / "views.sql").read_text(encoding="utf-8")
DDL = TABLES_DDL + "\n" + VIEWS
QUOTE = "'"
# A claim's verdict in words: the certainty of a graded claim, else its status as a reader says it.
DDL = DDL.replace("{verdict}", "CASE g.status WHEN 'graded' THEN g.certainty "
                  + " ".join(f"WHEN '{status}' THEN '{label.replace(QUOTE, QUOTE * 2)}'"
                             for status, label in STATUS_LABELS.items())
                  + " ELSE g.status END")


# Run-scoped tables are appended; these are keyed and only gain rows they lack.
# Replaced with their record: a fetched version's rows replace the old version's (grading.warehouse.record_rows).
RECORD_CHILD_TABLES = ("pubmed_authors", "pubmed_publication_types", "pubmed_mesh_headings",
                       "pubmed_article_ids", "pubmed_comments_corrections")

KEYED_TABLES = {name: list(catalog.table(name).primary_key)
                for name in ("source_versions", "claims_all", "citation_mentions", "pubmed_record_versions")}


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


def connect_waiting(path: Path, read_only: bool, wait: float, row_group_size: int | None = None,
                    config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting up to `wait` s while another process holds it; one-line errors."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            if row_group_size is None:
                return duckdb.connect(str(path), read_only=read_only, config=config or {})
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


def schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT value FROM grading_meta WHERE key = 'schema_version'").fetchone()
    return row and row[0]


def check_schema(con: duckdb.DuckDBPyConnection, path: Path, *, migratable: bool = False) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "grading_meta" not in tables:
        raise WarehouseError(f"{path}: a DuckDB file, but not a grading warehouse")
    version = schema_version(con)
    if version != SCHEMA_VERSION and not (migratable and version in MIGRATES_FROM):
        hint = "; open it once for writing (grading run) to upgrade it" if version in MIGRATES_FROM else ""
        raise WarehouseError(f"{path}: warehouse schema {version} is not {SCHEMA_VERSION}{hint}")


def ensure_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A new file gets the schema now. An existing warehouse gets DDL here only when it lacks a
    table, column or view the run reads; otherwise the DDL (views refreshed, columns added) is
    part of the load's transaction (load_run), so a run that fails before its load, on a
    damaged warehouse say, writes nothing to it: no DDL, no checkpoint."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if tables and "grading_meta" not in tables:
        raise WarehouseError(f"{path}: a DuckDB file holding other tables, not a grading warehouse; refusing to modify it")
    if "grading_meta" in tables:
        check_schema(con, path, migratable=True)
        if schema_version(con) == SCHEMA_VERSION and not missing_schema(con) and not stale_comments(con):
            return
    con.execute("BEGIN")
    if "grading_meta" in tables:  # an older or part-made warehouse: add what it lacks, keep every row
        migrate(con)
    apply_ddl(con)
    con.execute("INSERT OR IGNORE INTO grading_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    con.execute("COMMIT")


def apply_ddl(con: duckdb.DuckDBPyConnection) -> None:
    """Tables created if missing, views replaced, and every comment as the catalogue has it
    (replacing a view drops its comments)."""
    con.execute(DDL)
    apply_comments(con)


def stale_comments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """COMMENT statements that bring the open warehouse's comments to the catalogue's: for every
    table, view and column it has whose comment is missing or differs."""
    rows = con.execute("""
        SELECT table_name, NULL, comment FROM duckdb_tables()
        WHERE database_name = current_database() AND schema_name = current_schema()
        UNION ALL SELECT view_name, NULL, comment FROM duckdb_views()
        WHERE NOT internal AND database_name = current_database() AND schema_name = current_schema()
        UNION ALL SELECT table_name, column_name, comment FROM duckdb_columns()
        WHERE NOT internal AND database_name = current_database() AND schema_name = current_schema()""").fetchall()
    have = {(name, column): comment for name, column, comment in rows}
    return [catalog.comment_statement(name, column, text) for (name, column), text in catalog.comments().items()
            if (name, column) in have and have[(name, column)] != text]


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """COMMENT ON every table, view and column, from the catalogue (only those that differ)."""
    statements = stale_comments(con)
    if statements:
        con.execute("\n".join(statements))


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Base table -> column -> type, in column order."""
    rows = con.execute("""
        SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_catalog = current_database()
        ORDER BY c.table_name, c.ordinal_position""").fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, {})[column] = kind
    return out


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Upgrade an older warehouse additively, inside the caller's transaction: the columns the
    catalogue lists and the file's tables lack are added (NULL for old rows); missing tables and the
    views come from the DDL after. No row is dropped or rewritten. Returns the statements run."""
    wanted = catalog.column_types()
    have = table_columns(con)
    done = []
    for table, columns in wanted.items():
        for column, kind in columns.items():
            if table in have and column not in have[table]:
                done.append(f'ALTER TABLE {table} ADD COLUMN "{column}" {kind}')
                con.execute(done[-1])
    con.execute("UPDATE grading_meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])
    return done


def upgrade(path: Path, wait: float = 0.0) -> None:
    """A warehouse of an older schema is upgraded in a short write open, so that read-only
    opens (a run's reads, grading sql) find the current shape."""
    path = Path(path)
    check_file(path)
    if not path.exists():
        return
    con = connect_waiting(path, True, wait)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if tables and "grading_meta" not in tables:  # what a run would say when it came to write
            raise WarehouseError(f"{path}: a DuckDB file holding other tables, not a grading warehouse; "
                                 "refusing to modify it")
        outdated = "grading_meta" in tables and schema_version(con) in MIGRATES_FROM
    finally:
        con.close()
    if outdated:
        with open_warehouse(path, wait=wait):
            pass


DDL_NAMES = re.compile(r"CREATE (?:TABLE IF NOT EXISTS|OR REPLACE VIEW) (\w+)", re.IGNORECASE)
DDL_COLUMNS = re.compile(r"ALTER TABLE (\w+) ADD COLUMN IF NOT EXISTS (\w+)", re.IGNORECASE)


def missing_schema(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables, views and added columns of DDL that the open warehouse lacks."""
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    columns = set(con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall())
    missing = [name for name in DDL_NAMES.findall(DDL) if name not in have]
    return missing + [f"{t}.{c}" for t, cols in wanted_columns().items() if t in have for c in cols
                      if (t, c) not in columns]


def wanted_columns() -> dict[str, dict[str, str]]:
    """The catalogue's tables and columns, with their DuckDB types."""
    return catalog.column_types()


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
        apply_ddl(con)  # views, added columns and comments brought up to date with the run, or not at all
        for table, df in frames.items():
            if table == "pubmed_records":
                upsert_records(con, df)
                replace_record_children(con, df, frames)
            elif table in RECORD_CHILD_TABLES:
                continue  # written with their records, above
            elif table != "runs":
                insert_frame(con, table, df)
        note_moved_sources(con, str(frames["runs"]["run_id"].iloc[0]))
        insert_frame(con, "runs", frames["runs"])  # last: a run row means a complete run
        if pause is not None:
            pause("load")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def note_moved_sources(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A source whose exact content the previous run read under another name, now gone from
    the run, was renamed or moved: say so in run_issues. Claim ids include the source's name,
    so its claims are new rows under the new name; the old rows stay as history."""
    con.execute("""
        INSERT INTO run_issues
        SELECT ?, 'sources', n.source, 'same content as ' || string_agg(DISTINCT b.source, ', ' ORDER BY b.source)
               || ' in the previous run: read as renamed or moved; its claims now carry this name'
        FROM run_sources n JOIN run_sources b ON b.content_hash = n.content_hash AND b.source <> n.source
        WHERE n.run_id = ? AND b.run_id = (SELECT run_id FROM latest_run)
          AND b.source NOT IN (SELECT source FROM run_sources WHERE run_id = ?)
        GROUP BY n.source""", [run_id, run_id, run_id])


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
