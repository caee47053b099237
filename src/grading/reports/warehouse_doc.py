"""The column tables of docs/warehouse.md, generated from the warehouse's catalogue
(grading.warehouse.catalog) and the CSV exports (grading.reports.csv): the doc's prose is written
by hand, its per-table and per-view columns are not.

The doc marks each generated block:

    <!-- catalog: claim_grades -->
    ... (replaced) ...
    <!-- /catalog -->

A block names a table or view (its heading with the grain, its primary key, a table of column,
type and meaning), `tables` (one line per table: grain and key) or `csv` (the CSV files and their
columns). `python -m grading.reports.warehouse_doc [docs/warehouse.md]` rewrites the blocks;
`--check` only says whether the file is current (tests/test_catalog.py runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

from grading.reports.csv import COMPUTED, EXPORTS
from grading.warehouse import catalog
from grading.warehouse.catalog import Table, View
from grading.warehouse.database import DDL

BLOCK = re.compile(r"(<!-- catalog: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /catalog -->)", re.DOTALL)
DEFAULT_DOC = Path("docs/warehouse.md")


def cell(text: str) -> str:
    """Text safe in a Markdown table cell: pipes escaped, angle brackets not read as HTML."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def view_types() -> dict[str, dict[str, str]]:
    """view -> column -> the DuckDB type the view's query gives it."""
    con = duckdb.connect()
    try:
        con.execute(DDL)
        rows = con.execute("SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
                           "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
                           "WHERE t.table_type = 'VIEW' ORDER BY c.table_name, c.ordinal_position").fetchall()
    finally:
        con.close()
    types: dict[str, dict[str, str]] = {}
    for view, column, kind in rows:
        types.setdefault(view, {})[column] = kind
    return types


def entry_block(item: Table | View, types: dict[str, dict[str, str]]) -> str:
    lines = [f"### `{item.name}` — {cell(item.grain)}", ""]
    if isinstance(item, Table):
        key = ", ".join(f"`{k}`" for k in item.primary_key) or "none (rows are appended)"
        lines += [f"Primary key: {key}.", ""]
    lines += ["| column | type | meaning |", "|---|---|---|"]
    for c in item.columns:
        kind = c.kind or types.get(item.name, {}).get(c.name, "")
        lines.append(f"| `{c.name}` | {kind} | {cell(c.meaning)} |")
    return "\n".join(lines) + "\n"


def tables_block() -> str:
    lines = ["| table | grain | primary key |", "|---|---|---|"]
    for t in catalog.TABLES:
        key = ", ".join(f"`{k}`" for k in t.primary_key) or "none"
        lines.append(f"| `{t.name}` | {cell(t.grain)} | {key} |")
    return "\n".join(lines) + "\n"


def csv_block() -> str:
    lines = ["| file | grain | columns |", "|---|---|---|"]
    for export in EXPORTS:
        mart = catalog.entry(export.mart)
        columns = ", ".join(f"`{c}` ({cell(COMPUTED[c])})" if c in COMPUTED else f"`{c}`" for c in export.columns)
        lines.append(f"| `{export.filename}` | {cell(mart.grain)} (`{mart.name}`) | {columns} |")
    return "\n".join(lines) + "\n"


def render_block(name: str, types: dict[str, dict[str, str]]) -> str:
    if name == "tables":
        return tables_block()
    if name == "csv":
        return csv_block()
    return entry_block(catalog.entry(name), types)


def render(doc: str) -> str:
    """`doc` with every generated block rewritten from the catalogue."""
    types = view_types()
    return BLOCK.sub(lambda m: m.group(1) + render_block(m.group("name"), types) + m.group(4), doc)


def blocks(doc: str) -> list[str]:
    """The names of the doc's generated blocks, in order."""
    return [m.group("name") for m in BLOCK.finditer(doc)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.reports.warehouse_doc",
                                     description="rewrite docs/warehouse.md's column tables from the catalogue")
    parser.add_argument("doc", nargs="?", type=Path, default=DEFAULT_DOC)
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is not current; change nothing")
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    current = render(text)
    missing = [e.name for e in (*catalog.TABLES, *catalog.VIEWS) if e.name not in blocks(text)]
    if missing:
        print(f"{args.doc}: no block for {', '.join(missing)} (add <!-- catalog: NAME --><!-- /catalog -->)",
              file=sys.stderr)
    if args.check:
        stale = current != text
        if stale:
            print(f"{args.doc}: column tables differ from the catalogue; run python -m grading.reports.warehouse_doc",
                  file=sys.stderr)
        return 1 if stale or missing else 0
    if current != text:
        args.doc.write_text(current, encoding="utf-8")
        print(f"{args.doc}: rewritten")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
