"""`grading serve`: a real Prefect server (the test harness's temporary server runs no
scheduler), a short interval schedule, and a scheduled run landing in the warehouse."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from grading.schedule import healthy

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]


def completed_runs(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return 0  # a run is writing right now
    try:
        return con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def test_scheduled_run_lands_in_the_warehouse(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1")
    warehouse = tmp_path / "w.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "grading.cli", "serve", "--interval", "5", "--offline", "--warehouse", str(warehouse),
         "--reports", str(tmp_path / "reports"), "--prefect-home", str(tmp_path / "prefect")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    api_url = None
    try:
        first = proc.stdout.readline()
        match = re.search(r"Prefect API (\S+)", first)
        assert match, first
        api_url = match.group(1)
        deadline = time.monotonic() + 150
        while completed_runs(warehouse) < 1:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "no scheduled run landed within 150 s"
            time.sleep(1)
        with urllib.request.urlopen(f"{api_url}/flow_runs/filter", data=b"{}", timeout=10) as reply:
            runs = reply.read().decode()
        assert '"auto_scheduled":true' in runs.replace(" ", "") and '"COMPLETED"' in runs
        assert (tmp_path / "reports" / "index.html").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    assert api_url and not healthy(api_url, timeout=1), "the Prefect server started by serve was left running"
