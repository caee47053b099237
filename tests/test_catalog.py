"""One definition of the warehouse (grading.warehouse.catalog): the DDL is generated from it, the
views and the pandera models are held to it column for column (and the models type for type),
every table, view and column carries its meaning as a COMMENT (fresh, loaded, upgraded files),
the CSVs' columns are their marts', and docs/warehouse.md's column tables are generated from it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from grading.schemas import TABLE_SCHEMAS

from grading import run
from grading.reports import warehouse_doc
from grading.reports.csv import COMPUTED, EXPORTS
from grading.settings import Settings
from grading.warehouse import catalog
from grading.warehouse.database import (
    DDL,
    KEYED_TABLES,
    SCHEMA_VERSION,
    migrate,
    open_warehouse,
    table_columns,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = "Vitamin K lowers fracture risk in older adults (PMID: 15088389).\n"

# The pandas dtype a pandera model gives each DuckDB type (nullable integers as Int64).
MODEL_DTYPES = {"VARCHAR": {"string[python]", "str"}, "INTEGER": {"int64", "Int64"}, "DOUBLE": {"float64"},
                "BOOLEAN": {"bool"}, "TIMESTAMP": {"datetime64[ns]"}, "VARCHAR[]": {"object"},
                "INTEGER[]": {"object"}}


def relations(con: duckdb.DuckDBPyConnection, kind: str) -> dict[str, list[tuple[str, str]]]:
    """table or view -> [(column, type)], in order."""
    rows = con.execute("""
        SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
        WHERE t.table_type = ? ORDER BY c.table_name, c.ordinal_position""", [kind]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for name, column, data_type in rows:
        out.setdefault(name, []).append((column, data_type))
    return out


def comments_in(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], str | None]:
    rows = con.execute("""
        SELECT table_name, NULL, comment FROM duckdb_tables()
        UNION ALL SELECT view_name, NULL, comment FROM duckdb_views() WHERE NOT internal
        UNION ALL SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal""").fetchall()
    return {(name, column): comment for name, column, comment in rows}


def assert_commented_as_the_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    have = comments_in(con)
    want = catalog.comments()
    assert set(have) == set(want), sorted(set(have) ^ set(want))  # nothing uncatalogued, nothing missing
    wrong = {key: have[key] for key, text in want.items() if have[key] != text or not text.strip()}
    assert wrong == {}


@pytest.fixture(scope="module")
def fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(DDL)
    yield con
    con.close()


def test_the_ddl_is_the_catalogues_tables_column_for_column(fresh) -> None:
    tables = relations(fresh, "BASE TABLE")
    assert list(tables) == sorted(t.name for t in catalog.TABLES)
    for t in catalog.TABLES:
        assert tables[t.name] == [(c.name, c.kind) for c in t.columns], t.name
    keys = dict(fresh.execute("SELECT table_name, constraint_column_names FROM duckdb_constraints() "
                              "WHERE constraint_type = 'PRIMARY KEY'").fetchall())
    assert keys == {t.name: list(t.primary_key) for t in catalog.TABLES if t.primary_key}
    assert all(KEYED_TABLES[name] == list(catalog.table(name).primary_key) for name in KEYED_TABLES)


def test_every_view_is_catalogued_column_for_column(fresh) -> None:
    views = relations(fresh, "VIEW")
    assert sorted(views) == sorted(v.name for v in catalog.VIEWS)
    for v in catalog.VIEWS:
        assert [name for name, _ in views[v.name]] == v.names, v.name


def test_every_entry_states_its_grain_and_every_column_its_meaning() -> None:
    for item in (*catalog.TABLES, *catalog.VIEWS):
        assert item.grain.startswith("one row"), item.name
        assert len(set(item.names)) == len(item.names), item.name
        assert all(c.meaning.strip() for c in item.columns), item.name
    for t in catalog.TABLES:
        assert set(t.primary_key) <= set(t.names), t.name
        assert all(c.kind in MODEL_DTYPES for c in t.columns), t.name


@pytest.mark.parametrize("table", [t.name for t in catalog.TABLES])
def test_each_pandera_model_matches_the_catalogue_column_for_column_type_for_type(table: str) -> None:
    """The models add the checks (vocabularies from models' Literals, ranges, patterns); their
    columns and types are the catalogue's. grading_meta is written by the DDL alone."""
    if table == "grading_meta":
        assert table not in TABLE_SCHEMAS
        return
    columns = TABLE_SCHEMAS[table].to_schema().columns
    assert list(columns) == catalog.column_names(table)
    for c in catalog.table(table).columns:
        assert str(columns[c.name].dtype) in MODEL_DTYPES[c.kind], f"{table}.{c.name}: {columns[c.name].dtype}"


def test_a_fresh_warehouse_comments_every_table_view_and_column(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        assert_commented_as_the_catalogue(con)
    with open_warehouse(tmp_path / "w.duckdb", read_only=True) as con:  # kept in the file
        assert_commented_as_the_catalogue(con)
        n = con.execute("SELECT count(*) FROM duckdb_columns() WHERE NOT internal AND comment IS NOT NULL").fetchone()
        assert n[0] == sum(len(e.columns) for e in (*catalog.TABLES, *catalog.VIEWS))


def test_comments_survive_a_load_and_come_back_to_an_uncommented_file(tmp_path: Path) -> None:
    """A load replaces the views (and so their comments): it comments them again in its
    transaction. A file made before comments existed gets them at its next write open."""
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    settings = Settings.from_env({}, warehouse=tmp_path / "w.duckdb", reports=tmp_path / "r", offline=True)
    run.grade_corpus(settings, [str(tmp_path / "doc.md")])
    with open_warehouse(settings.warehouse, read_only=True) as con:
        assert_commented_as_the_catalogue(con)
    con = duckdb.connect(str(settings.warehouse))
    try:  # as an older schema-3 file: no comments at all
        for (name, column) in catalog.comments():
            if column is None:
                kind = "TABLE" if isinstance(catalog.entry(name), catalog.Table) else "VIEW"
                con.execute(f"COMMENT ON {kind} {name} IS NULL")
            else:
                con.execute(f'COMMENT ON COLUMN {name}."{column}" IS NULL')
        assert set(comments_in(con).values()) == {None}
    finally:
        con.close()
    with open_warehouse(settings.warehouse) as con:
        assert_commented_as_the_catalogue(con)
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # nothing lost


def test_an_older_file_gains_the_catalogues_columns_with_their_comments(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as con:
        con.execute("INSERT INTO source_versions (source, content_hash, text) VALUES ('a.md', 'h', 'x')")
    con = duckdb.connect(str(path))
    try:  # a schema-2 file: no views, and source_versions without the columns schema 3 added
        for (view,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            con.execute(f"DROP VIEW {view}")
        for column in ("url", "title", "body_start"):
            con.execute(f"ALTER TABLE source_versions DROP COLUMN {column}")
        con.execute("UPDATE grading_meta SET value = '2' WHERE key = 'schema_version'")
        con.execute("BEGIN")
        added = migrate(con)
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert added == ['ALTER TABLE source_versions ADD COLUMN "url" VARCHAR',
                     'ALTER TABLE source_versions ADD COLUMN "title" VARCHAR',
                     'ALTER TABLE source_versions ADD COLUMN "body_start" INTEGER']
    with open_warehouse(path) as con:
        assert con.execute("SELECT value FROM grading_meta WHERE key = 'schema_version'").fetchone()[0] \
            == SCHEMA_VERSION
        assert list(table_columns(con)["source_versions"]) == catalog.column_names("source_versions")
        assert con.execute("SELECT source, text FROM source_versions").fetchall() == [("a.md", "x")]
        assert_commented_as_the_catalogue(con)


def test_adding_a_column_is_one_line_in_the_catalogue(monkeypatch) -> None:
    """What another branch does to add a column: the DDL, migrate() and the comments follow."""
    from grading.warehouse import database
    from grading.warehouse.catalog import runs as raw

    extra = catalog.Column("reviewer", "VARCHAR", "who reviewed the run")
    wider = catalog.Table(raw.RUNS.name, raw.RUNS.grain, (*raw.RUNS.columns, extra), raw.RUNS.primary_key)
    tables = tuple(wider if t.name == "runs" else t for t in catalog.TABLES)
    monkeypatch.setattr(catalog, "TABLES", tables)
    monkeypatch.setattr(catalog, "_BY_NAME", {**catalog._BY_NAME, "runs": wider})
    catalog.column_types.cache_clear()
    try:
        assert "    reviewer VARCHAR" in catalog.tables_ddl()
        con = duckdb.connect()
        try:
            con.execute(DDL)  # the old shape
            con.execute("BEGIN")
            assert migrate(con) == ['ALTER TABLE runs ADD COLUMN "reviewer" VARCHAR']
            database.apply_comments(con)
            con.execute("COMMIT")
            assert comments_in(con)[("runs", "reviewer")] == "who reviewed the run"
        finally:
            con.close()
    finally:
        catalog.column_types.cache_clear()


def test_each_csvs_columns_are_its_marts() -> None:
    for export in EXPORTS:
        mart = catalog.entry(export.mart)
        assert isinstance(mart, catalog.View), export.filename
        assert set(export.columns) - set(COMPUTED) <= set(mart.names), export.filename
        assert len(set(export.columns)) == len(export.columns), export.filename
    derived = {e.filename: e for e in EXPORTS if e.filename not in ("claims.csv", "citations.csv")}
    for export in derived.values():
        assert list(export.columns) == catalog.column_names(export.mart), export.filename


def test_the_frame_builders_columns_are_the_catalogues() -> None:
    from grading.warehouse.record_rows import CHILD_COLUMNS, RECORD_COLUMNS, unread_record_frame
    from grading.warehouse.tables import validate_frames

    assert RECORD_COLUMNS == catalog.column_names("pubmed_records")
    assert all(columns == catalog.column_names(table) for table, columns in CHILD_COLUMNS.items())
    assert list(unread_record_frame([], [], "baseline", pd.Timestamp.now()).columns) == RECORD_COLUMNS
    assert list(validate_frames({}, "r")["quarantine"].columns) == catalog.column_names("quarantine")


def test_the_warehouse_doc_is_generated_from_the_catalogue() -> None:
    path = ROOT / "docs" / "warehouse.md"
    text = path.read_text(encoding="utf-8")
    assert warehouse_doc.render(text) == text, "run: python -m grading.reports.warehouse_doc"
    assert set(warehouse_doc.blocks(text)) >= {e.name for e in (*catalog.TABLES, *catalog.VIEWS)} | {"tables", "csv"}
    for item in (*catalog.TABLES, *catalog.VIEWS):  # each column's meaning, as the catalogue says it
        for c in item.columns:
            assert f"| `{c.name}` |" in text and warehouse_doc.cell(c.meaning) in text, f"{item.name}.{c.name}"
    assert warehouse_doc.main([str(path), "--check"]) == 0


def test_a_stale_doc_is_caught_and_rewritten(tmp_path: Path, capsys) -> None:
    doc = tmp_path / "warehouse.md"
    original = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    doc.write_text(original.replace("| `claim_text` |", "| `claim_txt` |", 1), encoding="utf-8")
    assert warehouse_doc.main([str(doc), "--check"]) == 1
    assert "differ from the catalogue" in capsys.readouterr().err
    assert warehouse_doc.main([str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == original


def test_describe_shows_the_grain_and_every_columns_comment(tmp_path: Path, capsys) -> None:
    from grading.cli import main

    path = tmp_path / "w.duckdb"
    with open_warehouse(path):
        pass
    assert main(["sql", "--describe", "source_triage", "--warehouse", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    view = catalog.entry("source_triage")
    assert out[0] == f"source_triage (view): {view.grain}"
    body = out[4:-1]
    assert [line.split()[0] for line in body] == view.names
    assert [line.split(None, 3)[3] for line in body] == [c.meaning for c in view.columns]  # never cut
    assert body[3].split()[1] == "VARCHAR[]"
