"""A run killed with SIGKILL during fetch, during load and during report writing, then run
again: the warehouse holds the previous complete run or the new complete run, never a mix,
no duplicates, and the re-run completes. Corrupt or foreign warehouse files are refused and
left as they were.

The killed runs are real `grading run` processes. They are stopped at a chosen moment: during
fetch by a stand-in whose efetch replies hang, during load and report writing by the
off-by-default GRADING_PAUSE_AT setting (grading.pausepoints), which makes the run announce
the point on stderr and wait there to be killed.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.testing.standin import EutilsStandin
from tests.reliability import (
    duplicate_keys,
    latest_run_id,
    ledger_problems,
    orphan_rows,
    rows,
    warehouse_state,
)
from tests.runs import grade

pytestmark = pytest.mark.e2e

FIRST = """Semax improves memory in rats (PMID: 16996037).
Red ginseng oil promotes hair growth in mice (PMID: 28885585).
"""
SECOND = """Semax protects neurons after stroke in rats (PMID: 11443939).
Korean red ginseng protects hair follicles during chemotherapy (PMID: 27158238).
Vitamin K lowers fracture risk in older adults (PMID: 15088389).
"""


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A folder with a warehouse and reports holding one complete (offline) run of FIRST."""
    out = tmp_path_factory.mktemp("previous")
    (out / "first.md").write_text(FIRST, encoding="utf-8")
    grade([out / "first.md"], out / "w.duckdb", out / "reports", offline=True)
    return out


@pytest.fixture()
def workdir(previous: Path, tmp_path: Path) -> Path:
    """A copy of `previous` plus the second document, for one crash."""
    shutil.copy(previous / "w.duckdb", tmp_path / "w.duckdb")
    shutil.copytree(previous / "reports", tmp_path / "reports")
    (tmp_path / "second.md").write_text(SECOND, encoding="utf-8")
    return tmp_path


def start_run(workdir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`grading run second.md` in a child process (the library run: no Prefect); its stderr goes
    to workdir/stderr.txt."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADING_", "NCBI_", "PREFECT_API_"))}
    child_env.update(env or {})
    stderr = (workdir / "stderr.txt").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "grading.cli", "run", str(workdir / "second.md"), "--warehouse",
         str(workdir / "w.duckdb"), "--reports", str(workdir / "reports"), *args],
        env=child_env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], workdir: Path, limit: float = 90.0) -> None:
    """SIGKILL the child as soon as `ready()`; fail (with its stderr) if it ends or stalls first."""
    deadline = time.monotonic() + limit
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"the run never reached the kill point; stderr:\n{(workdir / 'stderr.txt').read_text()}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL


def paused_at(workdir: Path, point: str) -> Callable[[], bool]:
    return lambda: f"grading: paused at {point}" in (workdir / "stderr.txt").read_text()


def rerun(workdir: Path, **options: object) -> dict:
    return grade([workdir / "second.md"], workdir / "w.duckdb", workdir / "reports", **options)


def assert_whole(path: Path, runs_before: int, record_property) -> None:  # type: ignore[no-untyped-def]
    """The warehouse after a re-run: one more complete run, nothing half, nothing twice."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert rows(con, "SELECT count(*) FROM runs WHERE status = 'completed'")[0][0] == runs_before + 1
        assert duplicate_keys(con) == []
        assert orphan_rows(con) == []
        problems = ledger_problems(con, latest_run_id(con))
        record_property("records_lost", len(problems))
        assert problems == []
    finally:
        con.close()


def report_runs(reports: Path) -> dict[str, str]:
    """Each report file -> the run it was written from; fails on a half-written file."""
    out = {}
    for f in sorted(reports.rglob("*")):
        if f.suffix == ".csv":
            table = list(csv.DictReader(io.StringIO(f.read_text(encoding="utf-8"))))
            ids = {r["run_id"] for r in table}
            assert len(ids) <= 1, f"{f.name} mixes runs {ids}"
            out[str(f.relative_to(reports))] = ids.pop() if ids else "(empty)"
        elif f.suffix == ".html":
            text = f.read_text(encoding="utf-8")
            assert text.rstrip().endswith("</html>"), f"{f.name} is cut short"
            out[str(f.relative_to(reports))] = text.split("Run ", 1)[1].split(" ", 1)[0]
    return out


def test_killed_during_fetch_leaves_the_previous_run_and_the_rerun_completes(
        workdir: Path, eutils_standin: EutilsStandin, record_property) -> None:  # type: ignore[no-untyped-def]
    before, reports_before = warehouse_state(workdir / "w.duckdb"), report_runs(workdir / "reports")
    eutils_standin.faults.set_rate(1.0, kinds=["slow"], endpoints=["efetch"], delay=8.0)  # hangs in fetch
    proc = start_run(workdir, "--eutils-url", eutils_standin.base_url)
    kill_when(proc, lambda: eutils_standin.requests["efetch"] >= 1, workdir)
    assert warehouse_state(workdir / "w.duckdb") == before
    assert report_runs(workdir / "reports") == reports_before
    eutils_standin.faults.clear()
    summary = rerun(workdir, eutils_url=eutils_standin.base_url)
    assert summary["mode"] == "online" and summary["claims"] == 3
    assert_whole(workdir / "w.duckdb", runs_before=len(before["runs"]), record_property=record_property)


def test_killed_during_load_leaves_the_previous_run_and_the_rerun_completes(
        workdir: Path, record_property) -> None:  # type: ignore[no-untyped-def]
    before = warehouse_state(workdir / "w.duckdb")
    proc = start_run(workdir, "--offline", env={"GRADING_PAUSE_AT": "load"})
    kill_when(proc, paused_at(workdir, "load"), workdir)  # every row inserted, COMMIT not reached
    assert warehouse_state(workdir / "w.duckdb") == before  # the write-ahead log replays nothing of it
    summary = rerun(workdir, offline=True)
    assert summary["claims"] == 3
    assert_whole(workdir / "w.duckdb", runs_before=len(before["runs"]), record_property=record_property)


def test_killed_during_report_writing_leaves_complete_files_and_the_new_run(
        workdir: Path, record_property) -> None:  # type: ignore[no-untyped-def]
    before = warehouse_state(workdir / "w.duckdb")
    old_run = set(report_runs(workdir / "reports").values())
    proc = start_run(workdir, "--offline", env={"GRADING_PAUSE_AT": "reports"})
    kill_when(proc, paused_at(workdir, "reports"), workdir)
    # The load had committed: the warehouse holds the new complete run, nothing more.
    assert_whole(workdir / "w.duckdb", runs_before=len(before["runs"]), record_property=record_property)
    con = duckdb.connect(str(workdir / "w.duckdb"), read_only=True)
    new_run = latest_run_id(con)
    con.close()
    # Reports: every file complete; the moved one from the new run, the rest still the old set.
    written = report_runs(workdir / "reports")
    assert set(written.values()) == old_run | {new_run}
    leftovers = list(workdir.glob(".reports-*"))
    assert len(leftovers) == 1  # the killed run's temporary folder, with the files it had not moved
    rerun(workdir, offline=True)
    con = duckdb.connect(str(workdir / "w.duckdb"), read_only=True)
    newest = latest_run_id(con)
    con.close()
    assert set(report_runs(workdir / "reports").values()) == {newest}
    assert not list(workdir.glob(".reports-*"))  # the dead run's folder was cleared away


def test_paused_run_carries_on_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys) -> None:  # type: ignore[no-untyped-def]
    """A forgotten GRADING_PAUSE_AT only delays a run; an unknown point is a one-line error."""
    import grading.pausepoints

    (tmp_path / "first.md").write_text(FIRST, encoding="utf-8")
    monkeypatch.setattr(grading.pausepoints, "PAUSE_SECONDS", 0.01)
    monkeypatch.setenv("GRADING_PAUSE_AT", "load,reports")
    args = ["run", str(tmp_path / "first.md"), "--offline", "--warehouse", str(tmp_path / "w.duckdb"),
            "--reports", str(tmp_path / "reports")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "paused at load" in err and "paused at reports" in err
    assert (tmp_path / "reports" / "index.html").exists()
    monkeypatch.setenv("GRADING_PAUSE_AT", "lode")
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == ("grading: error: GRADING_PAUSE_AT: unknown point lode; "
                                               "known: load, reports")


# --- warehouse files that are not ours ------------------------------------------------------------

def test_truncated_warehouse_is_refused_and_left_as_it_was(previous: Path, tmp_path: Path, capsys) -> None:
    """A half-copied warehouse: DuckDB's header is there, the rest is not."""
    bad = tmp_path / "w.duckdb"
    bad.write_bytes((previous / "w.duckdb").read_bytes()[:20_000])
    before = bad.read_bytes()
    code = main(["run", str(previous / "first.md"), "--offline", "--warehouse", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"grading: error: {bad}: "), err
    assert bad.read_bytes() == before
    assert main(["sql", "SELECT 1", "--warehouse", str(bad)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1 and bad.read_bytes() == before


def test_foreign_duckdb_file_is_refused_by_the_cli_and_left_as_it_was(previous: Path, tmp_path: Path,
                                                                      capsys) -> None:
    other = tmp_path / "invoices.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE invoices AS SELECT 1 AS id, 'paid' AS state")
    con.close()
    before = other.read_bytes()
    assert main(["run", str(previous / "first.md"), "--offline", "--warehouse", str(other)]) == 2
    assert capsys.readouterr().err.strip() == (f"grading: error: {other}: a DuckDB file holding other tables, "
                                               "not a grading warehouse; refusing to modify it")
    assert other.read_bytes() == before
