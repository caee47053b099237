"""`grading sql`: ask the warehouse questions without being able to change anything.

The connection is read-only with DuckDB's external access disabled and its configuration
locked, so no statement can write a file (COPY over the warehouse, EXPORT DATABASE), attach
another database, read files on the machine (read_csv, glob) or install extensions; on top
of that only query statements are accepted, refused in one line before DuckDB runs them.
What is printed to a terminal has its control characters escaped (a document's text may
carry escape sequences that clear the screen or retitle it), and CSV output gets the same
formula guard as the report CSVs.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path
from typing import TextIO

import duckdb

from grading.reports.csv import csv_cell
from grading.warehouse.database import WarehouseError, check_file, check_schema, connect_waiting

# Nothing outside the warehouse file: no files, no network, no extensions; no SET can undo it.
CONTAINED = {"enable_external_access": False, "lock_configuration": True,
             "autoinstall_known_extensions": False, "autoload_known_extensions": False}

QUERY_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}  # SELECT covers WITH, DESCRIBE, SHOW
# PRAGMAs that only describe the database (the rest set things; the locked configuration refuses those too).
DESCRIBING_PRAGMAS = {"table_info", "show", "show_tables", "show_tables_expanded", "database_size",
                      "storage_info", "version", "platform", "functions", "metadata_info"}
PRAGMA_NAME = re.compile(r"\s*pragma\s+([a-z_]+)", re.IGNORECASE)

# Bidirectional overrides reorder what a terminal shows; they are escaped like control characters.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class QueryRefused(WarehouseError):
    """A statement `grading sql` does not run (it would change or reach beyond the warehouse)."""


def open_contained(path: Path, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only and contained; waits up to `wait` s for a run holding it."""
    path = Path(path)
    check_file(path)
    if not path.exists():
        raise WarehouseError(f"{path}: no warehouse here yet; run `grading run` first")
    con = connect_waiting(path, True, wait, config=dict(CONTAINED))  # the lock wait the run uses
    try:
        check_schema(con, path)
    except BaseException:
        con.close()
        raise
    return con


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse, in one line, anything but one query statement."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise WarehouseError(sql_error(exc)) from None
    if len(statements) != 1:
        raise QueryRefused(f"SQL: one statement at a time, got {len(statements)}")
    kind = statements[0].type
    if kind == duckdb.StatementType.PRAGMA:
        name = PRAGMA_NAME.match(query)
        if name and name.group(1).lower() in DESCRIBING_PRAGMAS:
            return
        raise QueryRefused("SQL: only PRAGMAs that describe the warehouse (table_info, show_tables, ...) are run")
    if kind not in QUERY_TYPES:
        raise QueryRefused(f"SQL: {kind.name} refused; `grading sql` runs queries only "
                           "(SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, PRAGMA table_info)")


def sql_error(exc: BaseException) -> str:
    """DuckDB's message on one line, keeping its "Did you mean …" hint; the caret lines dropped."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    keep = [lines[0]] if lines else [type(exc).__name__]
    keep += [line for line in lines[1:] if line.lower().startswith(("did you mean", "candidate"))]
    return "SQL: " + " ".join(keep)


def run_query(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple]]:
    check_query(con, query)
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description] if cur.description else []
        return columns, (cur.fetchall() if columns else [])
    except duckdb.Error as exc:
        raise WarehouseError(sql_error(exc)) from None


def describe_table(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], list[tuple]]:
    """Columns of a table or view: name, type, nullable, and its comment when it has one."""
    known = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if table not in known:
        near = sorted(known, key=lambda t: -_likeness(t, table))[:1]
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise WarehouseError(f"SQL: no table or view named {table!r}{hint}")
    rows = con.execute("SELECT i.column_name, i.data_type, i.is_nullable, "
                       "coalesce(c.comment, '') FROM information_schema.columns i "
                       "LEFT JOIN duckdb_columns() c ON c.table_name = i.table_name AND c.column_name = i.column_name "
                       "WHERE i.table_name = ? ORDER BY i.ordinal_position", [table]).fetchall()
    return ["column", "type", "nullable", "comment"], rows


def describe_relation(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """One line naming a table or view and its comment (its grain): `runs (table): one row per …`."""
    row = con.execute("SELECT 'table', comment FROM duckdb_tables() WHERE table_name = ? "
                      "UNION ALL SELECT 'view', comment FROM duckdb_views() WHERE view_name = ? AND NOT internal",
                      [table, table]).fetchone()
    kind, comment = row if row else ("table", None)
    return f"{table} ({kind})" + (f": {comment}" if comment else "")


def _likeness(a: str, b: str) -> float:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio()


def escape_controls(text: str) -> str:
    """Control characters (ESC, BEL, C1, ...) and bidi overrides as visible escapes."""
    out = []
    for ch in text:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and ch not in "\n\t"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def format_cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "[" + ", ".join(format_cell(x) for x in v) + "]"
    return str(v)


def format_table(columns: list[str], rows: list[tuple], max_width: int | None = 60) -> str:
    """Aligned columns, long cells cut with an ellipsis (unless max_width is None), a row count."""
    cells = [[format_cell(v).replace("\n", " ") for v in r] for r in rows]
    if max_width is not None:
        cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in r] for r in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(columns)]
    def line(vals: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()
    out = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def write_result(out: TextIO, columns: list[str], rows: list[tuple], fmt: str = "table",
                 wide: bool = False) -> None:
    """Print a result; on a terminal every control character is shown escaped, never sent raw."""
    on_terminal = out.isatty()
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(columns)
        cells = [[csv_cell(v) for v in r] for r in rows]
        if on_terminal:
            cells = [[escape_controls(c) for c in r] for r in cells]
        w.writerows(cells)
    elif fmt == "json":
        # ensure_ascii on a terminal: C1 controls and bidi overrides come out as \u escapes.
        json.dump([dict(zip(columns, r)) for r in rows], out, default=str, ensure_ascii=on_terminal, indent=1)
        out.write("\n")
    else:
        text = format_table(columns, rows, max_width=None if wide else 60)
        out.write(escape_controls(text) if on_terminal else text)
