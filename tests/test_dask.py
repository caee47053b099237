"""The Dask path: the same flow on a local Dask cluster (real worker processes) grades the
seeds exactly as Prefect's default thread pool does."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def verdicts(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT source, char_start, certainty, status, pmids FROM claim_grades ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_dask_runner_grades_like_the_default(tmp_path: Path, prefect_harness, dask_cluster) -> None:
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

    from flows.grade_corpus import grade_corpus
    from flows.runners import make_task_runner

    on_dask = grade_corpus.with_options(task_runner=make_task_runner("dask", address=dask_cluster.scheduler_address))
    with temporary_settings({PREFECT_TASKS_REFRESH_CACHE: True}):  # really compute, on the workers
        a = on_dask(warehouse=str(tmp_path / "dask.duckdb"), reports=str(tmp_path / "r1"), offline=True)
    ran = {name for name in dask_cluster.scheduler.task_prefixes}
    assert "grade_task" in ran, ran  # the per-document grading ran as Dask tasks
    b = grade_corpus(warehouse=str(tmp_path / "default.duckdb"), reports=str(tmp_path / "r2"), offline=True)
    assert a["claims"] == b["claims"] > 100
    assert verdicts(tmp_path / "dask.duckdb") == verdicts(tmp_path / "default.duckdb")


def test_unknown_task_runner_is_refused() -> None:
    from flows.runners import make_task_runner

    with pytest.raises(ValueError, match="unknown task runner"):
        make_task_runner("spark")
