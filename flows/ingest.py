"""Baseline ingest as a Prefect flow: file shards parsed as tasks (on Dask workers with
`--task-runner dask`), each file loaded by the flow's own process, the warehouse's single
writer, as soon as all its shards are in. The stages are grading.warehouse.baseline's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from grading.flows.runners import make_task_runner
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from grading.clock import new_run_id, now_utc
from grading.warehouse.baseline import IngestReport, Outcome, ingest_baseline
from grading.warehouse.baseline_parse import IngestBatch, ParseJob, parse_job


@task(name="parse-baseline-shard", cache_policy=NO_CACHE)
def parse_shard_task(job: ParseJob, work_dir: str, ingest_id: str, now: datetime) -> IngestBatch:
    return parse_job(job, work_dir, ingest_id, now)


def on_task_runner(jobs: list[ParseJob], work_dir: str, ingest_id: str, now: datetime
                   ) -> Iterator[tuple[ParseJob, Outcome]]:
    """Every shard as a task on the flow's task runner; results as they finish."""
    futures = [parse_shard_task.submit(job, work_dir, ingest_id, now) for job in jobs]
    job_of = {id(future): job for future, job in zip(futures, jobs)}
    for future in as_completed(futures):
        try:
            outcome: Outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - the file fails, not the ingest
            outcome = exc
        yield job_of[id(future)], outcome


@flow(name="ingest-baseline")
def ingest_baseline_flow(files: list[str], warehouse: str, shards: int = 2, wait: float = 0.0,
                         cores: int = 1, parsers_here: int = 0) -> IngestReport:
    """Load baseline/update files into the mirror (grading.warehouse.baseline), parsing on the task runner;
    loads run on the `cores` of this machine that its `parsers_here` leave free."""
    now = now_utc()
    return ingest_baseline(Path(warehouse), files, ingest_id=f"ingest-{new_run_id(now)}", now=now, wait_seconds=wait,
                           shards=shards, parse_with=on_task_runner, cores=cores, parsers_here=parsers_here)


def run_ingest(files: list[str], warehouse: str, *, task_runner: str = "dask", workers: int | None = None,
               address: str | None = None, wait: float = 0.0) -> IngestReport:
    """The flow on a task runner; each file cut into as many shards as there are workers. A
    local cluster shares this machine's cores with the loads, a remote one leaves them all."""
    runner = make_task_runner(task_runner, workers=workers, address=address)
    shards = workers or (_cluster_threads(address) if address else 2)
    cores, parsers_here = (shards, shards) if address is None or _on_this_machine(address) else (os.cpu_count() or 1, 0)
    return ingest_baseline_flow.with_options(task_runner=runner)(files=files, warehouse=warehouse, shards=shards,
                                                                  wait=wait, cores=cores, parsers_here=parsers_here)


def _on_this_machine(address: str) -> bool:
    """A scheduler on a loopback address has its workers here (a LocalCluster, say)."""
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _cluster_threads(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=30) as client:
        return max(1, sum(client.nthreads().values()))
