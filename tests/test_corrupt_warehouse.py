"""A run that fails on a damaged warehouse writes nothing to it: no DDL, no checkpoint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from grading.cli import main

pytestmark = pytest.mark.e2e

DOC = "Zinc lozenges shorten the common cold in adults (PMID: 16996037).\n"
HEADER_BYTES = 3 * 4096  # DuckDB's file header and two database headers precede the blocks


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage_block_of(path: Path, table: str, column: str) -> None:
    """Flip bytes inside the data block holding `table.column` (its checksum then fails on read)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block = con.execute(f"SELECT block_id FROM pragma_storage_info('{table}') WHERE column_name = ? "
                            "AND block_id >= 0 LIMIT 1", [column]).fetchone()[0]
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
    finally:
        con.close()
    data = bytearray(path.read_bytes())
    start = HEADER_BYTES + block * block_size
    for offset in range(start + 100, start + 200):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_failed_run_on_a_damaged_warehouse_leaves_its_bytes_alone(tmp_path: Path, prefect_harness,
                                                                      capsys) -> None:
    (tmp_path / "a.md").write_text(DOC)
    w = tmp_path / "w.duckdb"
    assert main(["run", str(tmp_path / "a.md"), "--offline", "--warehouse", str(w), "--reports",
                 str(tmp_path / "r")]) == 0
    damage_block_of(w, "pubmed_records", "raw_xml")
    before = digest(w)
    for _ in range(2):
        code = main(["run", str(tmp_path / "a.md"), "--offline", "--warehouse", str(w), "--reports",
                     str(tmp_path / "r")])
        err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("grading: ")]
        assert code == 2 and any("Corrupt database file" in line for line in err), err
        assert digest(w) == before  # it used to gain DDL and a checkpoint on every failed run
    assert not Path(str(w) + ".wal").exists()
