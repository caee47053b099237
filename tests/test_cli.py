"""The `grading` command: one-line errors for bad input, nothing corrupted, sql and report."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from grading.cli import main


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli")
    assert main(["run", "--offline", "--warehouse", str(out / "w.duckdb"), "--reports", str(out / "reports")]) == 0
    return out / "w.duckdb"


def one_line_errors(err: str) -> list[str]:
    """The error and warning lines; every other line is a progress line (stderr is no terminal here)."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("grading: info:")]
    assert all(line.startswith(("grading: error:", "grading: warning:")) for line in lines), err
    return lines


def run_count(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()


def test_missing_file_fails_fast(tmp_path: Path, capsys) -> None:
    code = main(["run", str(tmp_path / "nope.txt"), "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == 2
    lines = one_line_errors(capsys.readouterr().err)
    assert lines == [f"grading: error: {tmp_path / 'nope.txt'}: no such file or folder"]
    assert not (tmp_path / "w.duckdb").exists()


def test_bad_documents_reported_good_ones_graded(tmp_path: Path, warehouse: Path, capsys) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "broken.html").write_text("<html><body><p>Melatonin shortens jet lag in travellers<div></p></b>")
    (tmp_path / "ids.md").write_text("Vitamin K lowers fracture risk in adults (PMID: 123456789).\n")
    before = run_count(warehouse)
    code = main(["run", str(tmp_path / "empty.txt"), str(tmp_path / "blob.txt"), str(tmp_path / "broken.html"),
                 str(tmp_path / "ids.md"), "--offline", "--warehouse", str(warehouse),
                 "--reports", str(tmp_path / "reports")])
    captured = capsys.readouterr()
    assert code == 1
    lines = one_line_errors(captured.err)
    assert any("empty.txt: document is empty" in line for line in lines)
    assert any("blob.txt: binary file" in line for line in lines)
    assert any("123456789" in line and "not a valid PMID" in line for line in lines)
    assert run_count(warehouse) == before + 1
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = dict(con.execute("SELECT claim_text, status FROM claim_grades WHERE source LIKE '%ids.md'").fetchall())
        assert got == {"Vitamin K lowers fracture risk in adults": "unresolved"}
        assert con.execute("SELECT count(*) FROM claim_grades WHERE source LIKE '%broken.html'").fetchone()[0] >= 1
        issues = con.execute("SELECT stage, subject FROM run_issues WHERE run_id = (SELECT run_id FROM latest_run)"
                             ).fetchall()
        assert ("sources", str(tmp_path / "empty.txt")) in issues
    finally:
        con.close()


def test_only_bad_documents_write_nothing(tmp_path: Path, warehouse: Path, capsys) -> None:
    (tmp_path / "empty.md").write_text("   ")
    before = run_count(warehouse)
    assert main(["run", str(tmp_path / "empty.md"), "--offline", "--warehouse", str(warehouse)]) == 2
    one_line_errors(capsys.readouterr().err)
    assert run_count(warehouse) == before


def test_corrupt_warehouse_refused_not_overwritten(tmp_path: Path, seeds_dir: Path, capsys) -> None:
    bad = tmp_path / "w.duckdb"
    bad.write_bytes(b"\x00garbage" * 100)
    before = bad.read_bytes()
    assert main(["run", str(seeds_dir), "--offline", "--warehouse", str(bad)]) == 2
    assert one_line_errors(capsys.readouterr().err) == [(f"grading: error: {bad}: not a DuckDB file; "
                                                          "refusing to use or overwrite it")]
    assert bad.read_bytes() == before


def test_sql_formats(warehouse: Path, capsys) -> None:
    q = "SELECT certainty, count(*) AS n FROM grades GROUP BY 1 ORDER BY 1"
    assert main(["sql", q, "--warehouse", str(warehouse)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["certainty", "n"] and table.rstrip().endswith(("row)", "rows)"))
    assert main(["sql", q, "--warehouse", str(warehouse), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["certainty"] for d in data} >= {"no evidence", "very low"}
    assert main(["sql", q, "--warehouse", str(warehouse), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "certainty,n"


def test_sql_errors_are_one_line_and_read_only(warehouse: Path, capsys) -> None:
    assert main(["sql", "SELEC nonsense", "--warehouse", str(warehouse)]) == 2
    assert len(one_line_errors(capsys.readouterr().err)) == 1
    assert main(["sql", "DELETE FROM runs", "--warehouse", str(warehouse)]) == 2
    one_line_errors(capsys.readouterr().err)
    assert run_count(warehouse) >= 1


def test_report_regenerates_same_files(warehouse: Path, tmp_path: Path, capsys) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["report", "--warehouse", str(warehouse), "--reports", str(first)]) == 0
    assert main(["report", "--warehouse", str(warehouse), "--reports", str(second)]) == 0
    for name in ("claims.csv", "index.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
