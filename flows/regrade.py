"""The re-grade flow: grading.regrade.regrade_corpus with its two stages (re-grade and load,
then the reports) as Prefect tasks, for the UI. No task touches the network, so none retries."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from grading import regrade
from grading.engine.rubric import Rubric
from grading.settings import Settings


@task(name="regrade", cache_policy=NO_CACHE)
def regrade_task(warehouse: Path, rubric: Rubric, wait: float) -> regrade.Regrade:
    return regrade.regrade_warehouse(warehouse, rubric, wait)


@task(name="reports", cache_policy=NO_CACHE)
def reports_task(warehouse: Path, reports: Path, wait: float) -> list[Path]:
    return regrade.write_reports_stage(warehouse, reports, wait)


TASKS = regrade.RegradeStages(regrade=regrade_task, reports=reports_task)


@flow(name="regrade", log_prints=False)
def regrade_corpus(rubric: str | None = None, warehouse: str | None = None, reports: str | None = None) -> dict:
    """Re-grade the latest run in `warehouse` with the rubric file `rubric` (default: the settings'
    rubric) as a new run (mode "regrade"), then rewrite the reports. No E-utilities request."""
    settings = Settings.from_env(warehouse=Path(warehouse) if warehouse else None,
                                 reports=Path(reports) if reports else None, rubric=Path(rubric) if rubric else None)
    return regrade.regrade_corpus(settings, stages=TASKS).as_dict()
