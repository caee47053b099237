"""`grading sql` is read-only and contained: nothing it runs can change or reach past the warehouse."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.reports.console import escape_controls, write_result
from grading.warehouse import catalog
from grading.warehouse.database import open_warehouse

HOSTILE_TEXT = "clears \x1b[2J\x1b]0;owned\x07 screen \u202eevil =cmd|' /C calc'!A0"


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as con:
        con.execute("INSERT INTO runs (run_id, status, note) VALUES ('r1', 'completed', ?)", [HOSTILE_TEXT])
        con.execute("INSERT INTO run_issues VALUES ('r1', 'sources', 'a.txt', ?)", ["x" * 200])
    return path


def run_rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT run_id, note FROM runs").fetchall()
    finally:
        con.close()


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("grading: error: "), err
    return lines[0]


@pytest.mark.parametrize("statement", [
    "COPY (SELECT 'garbage') TO '{w}' (FORMAT csv)",
    "ATTACH '{other}' AS o (READ_WRITE)",
    "EXPORT DATABASE '{dir}/export'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "DELETE FROM runs",
    "CREATE TABLE x AS SELECT 1",
    "SELECT 1; DELETE FROM runs",
    "PRAGMA threads = 1",
])
def test_statements_that_change_or_reach_out_are_refused(warehouse: Path, tmp_path: Path, statement: str,
                                                           capsys) -> None:
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    before, other_before = warehouse.read_bytes(), other.read_bytes()
    query = statement.format(w=warehouse, other=other, dir=tmp_path)
    assert main(["sql", query, "--warehouse", str(warehouse)]) == 2
    line = one_error(capsys.readouterr().err)
    assert any(word in line for word in ("refused", "one statement at a time", "only PRAGMAs that describe")), line
    assert warehouse.read_bytes() == before and other.read_bytes() == other_before
    assert not (tmp_path / "export").exists()
    assert run_rows(warehouse) == [("r1", HOSTILE_TEXT)]


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM glob('{dir}/*')",
    "WITH f AS (SELECT * FROM read_text('{secret}')) SELECT * FROM f",
])
def test_no_query_reads_a_file_outside_the_warehouse(warehouse: Path, tmp_path: Path, query: str, capsys) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the-secret-content\n")
    assert main(["sql", query.format(secret=secret, dir=tmp_path), "--warehouse", str(warehouse)]) == 2
    captured = capsys.readouterr()
    assert "the-secret-content" not in captured.out + captured.err
    assert "disabled" in one_error(captured.err)


@pytest.mark.parametrize("query", ["SELECT run_id FROM runs", "WITH r AS (SELECT * FROM runs) SELECT run_id FROM r",
                                   "DESCRIBE runs", "SHOW TABLES", "EXPLAIN SELECT * FROM runs",
                                   "PRAGMA table_info('runs')", "SUMMARIZE runs"])
def test_queries_still_run(warehouse: Path, query: str, capsys) -> None:
    assert main(["sql", query, "--warehouse", str(warehouse)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(("row)", "rows)"))


def test_refusal_is_one_line_naming_the_kind(warehouse: Path, tmp_path: Path, capsys) -> None:
    assert main(["sql", f"COPY runs TO '{tmp_path}/x.csv'", "--warehouse", str(warehouse)]) == 2
    assert one_error(capsys.readouterr().err) == ("grading: error: SQL: COPY refused; `grading sql` runs queries only "
                                                  "(SELECT, WITH, DESCRIBE, SHOW, EXPLAIN, PRAGMA table_info)")
    assert not (tmp_path / "x.csv").exists()


def test_duckdb_hints_are_kept(warehouse: Path, capsys) -> None:
    assert main(["sql", "SELECT * FROM runz", "--warehouse", str(warehouse)]) == 2
    line = one_error(capsys.readouterr().err)
    assert "does not exist" in line and 'Did you mean "runs"' in line


def test_describe_lists_columns(warehouse: Path, capsys) -> None:
    assert main(["sql", "--describe", "run_issues", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"run_issues (table): {catalog.entry('run_issues').grain}" and out[1] == ""
    assert out[2].split() == ["column", "type", "nullable", "comment"]
    assert [line.split()[0] for line in out[4:-1]] == ["run_id", "stage", "subject", "message"]
    assert [line.split(None, 3)[3] for line in out[4:-1]] == [c.meaning for c in catalog.entry("run_issues").columns]
    assert main(["sql", "--describe", "run_isues", "--warehouse", str(warehouse)]) == 2
    assert "did you mean 'run_issues'" in one_error(capsys.readouterr().err)
    assert main(["sql", "--warehouse", str(warehouse)]) == 2
    one_error(capsys.readouterr().err)


def test_wide_stops_cutting_text(warehouse: Path, capsys) -> None:
    q = "SELECT message FROM run_issues"
    assert main(["sql", q, "--warehouse", str(warehouse)]) == 0
    assert "x" * 200 not in capsys.readouterr().out
    assert main(["sql", q, "--warehouse", str(warehouse), "--wide"]) == 0
    assert "x" * 200 in capsys.readouterr().out


def test_csv_output_guards_formula_cells(warehouse: Path, capsys) -> None:
    assert main(["sql", "SELECT '=1+1' AS a, '@SUM(A1)' AS b, 'plain' AS c", "--warehouse", str(warehouse),
                 "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["a", "b", "c"], ["'=1+1", "'@SUM(A1)", "plain"]]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_control_characters_are_escaped_on_a_terminal(fmt: str) -> None:
    out = Terminal()
    write_result(out, ["note"], [(HOSTILE_TEXT,)], fmt)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text or "\\u001b[2J" in text
    piped = io.StringIO()
    write_result(piped, ["note"], [(HOSTILE_TEXT,)], "table")
    assert "\x1b[2J" in piped.getvalue()  # a pipe gets the exact text


def test_a_real_terminal_never_receives_an_escape_sequence(warehouse: Path) -> None:
    primary, secondary = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "grading.cli", "sql", "SELECT note FROM runs", "--warehouse",
                               str(warehouse)], check=False, stdout=secondary, stderr=subprocess.PIPE, timeout=120)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    assert proc.returncode == 0, proc.stderr
    shown = b"".join(chunks).decode()
    assert "owned" in shown and "\x1b" not in shown and "\x07" not in shown


def test_escape_controls_keeps_ordinary_text() -> None:
    assert escape_controls("Vitamin D – 25 µg, naïve\tok") == "Vitamin D – 25 µg, naïve\tok"
    assert escape_controls("\x9b31m") == "\\x9b31m"


def test_a_run_holding_the_warehouse_gets_a_message_without_a_missing_flag(warehouse: Path, capsys) -> None:
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(30)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(warehouse)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["sql", "SELECT 1", "--warehouse", str(warehouse)]) == 2
        line = one_error(capsys.readouterr().err)
        assert "in use by process" in line and "--wait SECONDS" in line
        assert main(["sql", "SELECT 1", "--warehouse", str(warehouse), "--wait", "0.5"]) == 2
        assert "after waiting 0.5 s" in one_error(capsys.readouterr().err)
        assert main(["report", "--warehouse", str(warehouse), "--wait", "0.5"]) == 2
        assert "after waiting 0.5 s" in one_error(capsys.readouterr().err)
    finally:
        holder.kill()
        holder.wait()
