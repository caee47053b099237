"""One writer at a time: a second opener waits or gets a clear message naming the holder."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.warehouse.database import WarehouseError, open_warehouse

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_exits_with_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path):
        pass
    proc = hold(path, 10)
    try:
        with pytest.raises(WarehouseError) as err, open_warehouse(path):
            pass
        assert f"in use by process {proc.pid}" in str(err.value) and "--wait" in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path):
        pass
    proc = hold(path, 1.5)
    started = time.monotonic()
    with open_warehouse(path, wait=20) as con:
        assert con.execute("SELECT value FROM grading_meta WHERE key = 'schema_version'").fetchone() is not None
    assert proc.wait(timeout=5) == 0
    assert time.monotonic() - started >= 0.5  # it really waited for the holder


def test_wait_gives_up_after_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path):
        pass
    proc = hold(path, 10)
    try:
        with pytest.raises(WarehouseError, match="after waiting 0.5 s"), open_warehouse(path, wait=0.5):
            pass
    finally:
        proc.kill()
        proc.wait()
