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
    from grading.flows.grade_corpus import grade_corpus
    from grading.flows.runners import make_task_runner
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

    on_dask = grade_corpus.with_options(task_runner=make_task_runner("dask", address=dask_cluster.scheduler_address))
    with temporary_settings({PREFECT_TASKS_REFRESH_CACHE: True}):  # really compute, on the workers
        a = on_dask(warehouse=str(tmp_path / "dask.duckdb"), reports=str(tmp_path / "r1"), offline=True)
    ran = {name for name in dask_cluster.scheduler.task_prefixes}
    assert "grade_task" in ran, ran  # the per-document grading ran as Dask tasks
    b = grade_corpus(warehouse=str(tmp_path / "default.duckdb"), reports=str(tmp_path / "r2"), offline=True)
    assert a["claims"] == b["claims"] > 100
    assert verdicts(tmp_path / "dask.duckdb") == verdicts(tmp_path / "default.duckdb")


def test_unknown_task_runner_is_refused() -> None:
    from grading.flows.runners import make_task_runner

    with pytest.raises(ValueError, match="unknown task runner"):
        make_task_runner("spark")


def test_dask_runner_ingests_baseline_files_like_the_process_pool(tmp_path: Path, prefect_harness, dask_cluster,
                                                                  capsys) -> None:
    """`grading ingest-baseline --task-runner dask`: the file shards parsed as Prefect tasks on the
    Dask workers, loaded by the flow's process; the mirror equals the process pool's."""
    from grading.cli import main
    from tests.test_baseline import article, big_update_file, dump, ingest, update_file

    files = [big_update_file(tmp_path / "pubmed99n0001.xml.gz"),
             update_file(tmp_path / "pubmed99n0002.xml", article(7, "Newer", revised="2023-03-03"), deleted=(8,))]
    pool = tmp_path / "pool.duckdb"
    assert ingest(pool, *files, workers=2).failures == []
    on_dask = tmp_path / "dask.duckdb"
    code = main(["ingest-baseline", *map(str, files), "--task-runner", "dask", "--dask-address",
                 dask_cluster.scheduler_address, "--warehouse", str(on_dask)])
    out = capsys.readouterr().out
    assert code == 0 and "2 of 2 files loaded (304 records)" in out
    assert "parse_shard_task" in {name for name in dask_cluster.scheduler.task_prefixes}
    assert dump(on_dask) == dump(pool)


def test_a_scheduler_on_a_loopback_address_shares_this_machine_with_the_loads() -> None:
    from grading.flows.ingest import _on_this_machine

    assert all(map(_on_this_machine, ["tcp://127.0.0.1:8786", "localhost:8786", "tcp://[::1]:8786"]))
    assert not any(map(_on_this_machine, ["tcp://10.0.0.5:8786", "tls://scheduler.example.org:8786"]))


def test_a_dask_address_without_the_dask_runner_is_a_usage_error(tmp_path, capsys) -> None:
    from grading.cli import main

    assert main(["ingest-baseline", str(tmp_path / "x.xml"), "--dask-address", "tcp://127.0.0.1:1"]) == 2
    assert capsys.readouterr().err.strip() == "grading: error: --dask-address needs --task-runner dask"
