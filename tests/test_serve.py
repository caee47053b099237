"""`grading serve`: a real Prefect server (the test harness's temporary server runs no
scheduler), a short interval schedule, and a scheduled run landing in the warehouse; the UI
told the server's real port; each run's summary as an artifact and in the log; a clean stop."""

from __future__ import annotations

import json
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


def query_one(path: Path, sql: str) -> object:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def summary_artifacts(api_url: str) -> list[dict]:
    body = json.dumps({"artifacts": {"key": {"any_": ["grading-run-summary"]}}}).encode()
    request = urllib.request.Request(f"{api_url}/artifacts/filter", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


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
        # The UI is told the API's real address (not Prefect's default port 4200).
        with urllib.request.urlopen(api_url.removesuffix("/api") + "/ui-settings", timeout=10) as reply:
            assert json.loads(reply.read())["api_url"] == api_url
        # Each scheduled run ends with the CLI's summary line as a Markdown artifact.
        deadline = time.monotonic() + 60
        while not (artifacts := summary_artifacts(api_url)):
            assert time.monotonic() < deadline, "no run summary artifact within 60 s of the run"
            time.sleep(1)
        run_id = query_one(warehouse, "SELECT min(run_id) FROM runs WHERE status = 'completed'")
        first = next(a for a in artifacts if run_id in a["description"])
        assert re.fullmatch(rf"run {run_id} \(offline\): 3 sources, \d+ claims: .*E-utilities requests",
                            first["description"])
        assert f"| run | {run_id} |" in first["data"] and "| report |" in first["data"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, rest
    assert "never awaited" not in rest and "Traceback" not in rest, rest
    assert re.search(r"run \S+ \(offline\): 3 sources, \d+ claims", rest), "the summary line is not in the log"
    assert api_url and not healthy(api_url, timeout=1), "the Prefect server started by serve was left running"
