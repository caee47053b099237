"""The re-grade flow: the latest run's claims graded again with a (changed) rubric, from the
warehouse alone. No task touches the network, so none retries."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from grading import regrade
from grading.engine.rubric import Rubric, load_rubric
from grading.reports.write import write_reports
from grading.settings import Settings
from grading.warehouse.database import open_warehouse


@task(name="regrade", cache_policy=NO_CACHE)
def regrade_task(warehouse: Path, rubric: Rubric, wait: float) -> regrade.Regrade:
    return regrade.regrade_warehouse(warehouse, rubric, wait)


@task(name="reports", cache_policy=NO_CACHE)
def reports_task(warehouse: Path, reports: Path) -> list[Path]:
    with open_warehouse(warehouse, read_only=True) as con:
        return write_reports(con, reports)


@flow(name="regrade", log_prints=False)
def regrade_corpus(rubric: str | None = None, warehouse: str | None = None, reports: str | None = None) -> dict:
    """Re-grade the latest run in `warehouse` with the rubric file `rubric` (default: the settings'
    rubric) as a new run (mode "regrade"), then rewrite the reports. No E-utilities request."""
    settings = Settings.from_env(warehouse=Path(warehouse) if warehouse else None,
                                 reports=Path(reports) if reports else None, rubric=Path(rubric) if rubric else None)
    chosen = load_rubric(settings.rubric_path)
    result = regrade_task(settings.warehouse, chosen, settings.lock_wait)
    written = reports_task(settings.warehouse, settings.reports)
    counts: dict[str, int] = {}
    for g in result.grades:
        counts[g.certainty] = counts.get(g.certainty, 0) + 1
    return {"run_id": result.run_id, "base_run_id": result.base_run_id, "rubric_version": result.rubric_version,
            "claims": len(result.grades), "certainty": counts, "quarantined": len(result.frames["quarantine"]),
            "warehouse": str(settings.warehouse), "reports": [str(p) for p in written]}
