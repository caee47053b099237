"""The warehouse file: creation, refusal of foreign files, one transaction per run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from grading.warehouse.database import WarehouseError, load_run, open_warehouse


def test_creates_schema_and_views(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as con:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"runs", "claims_all", "grades", "claim_grades", "citations", "pubmed_records", "quarantine"} <= names


def test_foreign_file_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_bytes(b"my precious notes, not a database" * 10)
    before = path.read_bytes()
    with pytest.raises(WarehouseError, match="not a DuckDB file"), open_warehouse(path):
        pass
    assert path.read_bytes() == before


def test_foreign_duckdb_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.close()
    with pytest.raises(WarehouseError, match="not a grading warehouse"), open_warehouse(path):
        pass
    con = duckdb.connect(str(path))
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert tables == {"invoices"}


def test_read_only_needs_existing(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse here yet"), \
            open_warehouse(tmp_path / "none.duckdb", read_only=True):
        pass


def run_row(run_id: str) -> pd.DataFrame:
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return pd.DataFrame([{"run_id": run_id, "started_at": now, "finished_at": now, "status": "completed",
                          "mode": "offline", "eutils_url": None, "rubric_version": "t", "n_sources": 0,
                          "n_claims": 0, "n_citations": 0, "n_records": 0, "eutils_requests": 0, "note": None}])


def test_failed_load_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as con:
        load_run(con, {"runs": run_row("r1")})
        bad = pd.DataFrame([{"run_id": "r2", "claim_id": "x", "no_such_column": 1}])
        with pytest.raises(duckdb.Error):
            load_run(con, {"grades": bad, "runs": run_row("r2")})
        assert con.execute("SELECT list(run_id) FROM runs").fetchone()[0] == ["r1"]
        assert con.execute("SELECT count(*) FROM grades").fetchone()[0] == 0
