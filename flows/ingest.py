"""Baseline ingest as a Prefect flow: files parsed as tasks (on Dask workers with
`--task-runner dask`), loaded by the flow's own process, the warehouse's single writer."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.runners import make_task_runner
from grading.baseline import IngestBatch, IngestReport, already_ingested, file_sha256, load_batch, parse_baseline_file
from grading.errors import describe
from grading.pipeline import new_run_id, now_utc
from grading.warehouse import open_warehouse


@task(name="parse-baseline-file", cache_policy=NO_CACHE)
def parse_file_task(path: str, work_dir: str, ingest_id: str, now, sha: str) -> IngestBatch:
    return parse_baseline_file(path, work_dir, ingest_id, now, sha)


@flow(name="ingest-baseline")
def ingest_baseline_flow(files: list[str], warehouse: str, wait: float = 0.0) -> IngestReport:
    """Parse every new file as a task (in parallel on the task runner), load each as it
    arrives, one transaction per file. Files already ingested (same SHA-256) are skipped."""
    now = now_utc()
    report = IngestReport(f"ingest-{new_run_id(now)}")
    shas = {}
    for name in files:
        try:
            shas.setdefault(file_sha256(Path(name)), name)
        except OSError as exc:
            report.failures.append(f"{name}: {describe(exc)}")
    with open_warehouse(Path(warehouse), wait=wait) as con:
        todo = {sha: name for sha, name in shas.items() if sha not in already_ingested(con, shas)}
        work_dir = tempfile.mkdtemp(prefix=".ingest-", dir=Path(warehouse).parent)
        try:
            futures = {name: parse_file_task.submit(name, work_dir, report.ingest_id, now, sha)
                       for sha, name in todo.items()}
            for name, future in futures.items():
                try:
                    batch = future.result()
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                    report.failures.append(f"{name}: {describe(exc)}")
                    continue
                try:
                    report.loads.append(load_batch(con, batch, report.ingest_id, now))
                finally:
                    shutil.rmtree(batch.folder, ignore_errors=True)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
    return report


def run_ingest(files: list[str], warehouse: str, *, task_runner: str = "default", workers: int | None = None,
               address: str | None = None, wait: float = 0.0) -> IngestReport:
    runner = make_task_runner(task_runner, workers=workers, address=address)
    return ingest_baseline_flow.with_options(task_runner=runner)(files=files, warehouse=warehouse, wait=wait)
