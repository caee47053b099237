"""The warehouse's catalogue: every table's grain, primary key and columns (DuckDB type and
meaning), every view's grain and columns' meanings. The one definition of the warehouse's shape:

- the tables' DDL is generated from it (grading.warehouse.database), and migrate() adds to an
  older file the columns it lists and the file lacks;
- every table, view and column carries its meaning as a DuckDB COMMENT (`comment_statements`);
- the frame builders and the report CSVs take their column lists from it;
- the column tables of docs/warehouse.md are generated from it (grading.warehouse.catalog.doc);
- the pandera models (schemas/) are held to it, column for column and type for type, by
  tests/test_catalog.py (they add the checks: ranges, patterns, vocabularies).

Raw tables: grading.warehouse.catalog.runs and .pubmed; views (marts): .marts.
"""

from __future__ import annotations

import functools

from grading.warehouse.catalog import marts, pubmed, runs
from grading.warehouse.catalog.entries import Column, Table, View

# In creation order (the order of the old DDL).
TABLES: tuple[Table, ...] = (
    runs.GRADING_META, runs.RUNS, runs.RUN_ISSUES, runs.RUN_SOURCES, runs.SOURCE_VERSIONS, runs.CLAIMS_ALL,
    runs.CITATION_MENTIONS, runs.CITATION_LINKS, pubmed.PUBMED_RECORD_VERSIONS, pubmed.PUBMED_RECORDS,
    runs.FETCH_LOG, runs.RESOLUTION_QUERIES, runs.GRADES, runs.GRADE_REASONS, runs.CLAIM_SUPPORT,
    runs.GRADE_DOMAINS, pubmed.PUBMED_AUTHORS, pubmed.PUBMED_PUBLICATION_TYPES, pubmed.PUBMED_MESH_HEADINGS,
    pubmed.PUBMED_ARTICLE_IDS, pubmed.PUBMED_COMMENTS_CORRECTIONS, pubmed.MIRROR_RECORDS, pubmed.INGESTED_FILES,
    runs.QUARANTINE,
)

# In the order of views.sql.
VIEWS: tuple[View, ...] = (
    marts.LATEST_RUN, marts.CLAIM_GRADES, marts.CITATIONS, marts.REASONS, marts.CLAIM_EVIDENCE_PROFILE,
    marts.SUPPORT_LABELS, marts.PREVIOUS_RUN, marts.SOURCE_TEXTS, marts.CITED_RECORDS, marts.CLAIM_CHANGES,
    marts.NEWLY_RETRACTED, marts.UNCHECKED_SOURCES, marts.SOURCE_TRIAGE,
)

_BY_NAME: dict[str, Table | View] = {entry.name: entry for entry in (*TABLES, *VIEWS)}


def entry(name: str) -> Table | View:
    """The table or view called `name`."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"the warehouse has no table or view {name!r}") from None


def table(name: str) -> Table:
    found = entry(name)
    if not isinstance(found, Table):
        raise KeyError(f"{name!r} is a view, not a table")
    return found


def column_names(name: str) -> list[str]:
    """A table's or view's columns, in order."""
    return entry(name).names


@functools.cache
def column_types() -> dict[str, dict[str, str]]:
    """table -> column -> DuckDB type, every base table (shared: do not modify)."""
    return {t.name: {c.name: c.kind for c in t.columns} for t in TABLES}


def tables_ddl() -> str:
    """CREATE TABLE IF NOT EXISTS for every table."""
    return "\n".join(t.create_sql() for t in TABLES) + "\n"


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def comments() -> dict[tuple[str, str | None], str]:
    """(table or view, column or None for the relation itself) -> the comment it carries."""
    found: dict[tuple[str, str | None], str] = {}
    for item in (*TABLES, *VIEWS):
        found[(item.name, None)] = item.grain
        for c in item.columns:
            found[(item.name, c.name)] = c.meaning
    return found


def comment_statement(name: str, column: str | None, text: str) -> str:
    if column is None:
        kind = "TABLE" if isinstance(entry(name), Table) else "VIEW"
        return f"COMMENT ON {kind} {name} IS {sql_text(text)};"
    return f'COMMENT ON COLUMN {name}."{column}" IS {sql_text(text)};'


__all__ = ["TABLES", "VIEWS", "Column", "Table", "View", "column_names", "column_types", "comment_statement",
           "comments", "entry", "table", "tables_ddl"]
