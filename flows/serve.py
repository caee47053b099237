"""Serve the grading flow on a schedule (nightly US Eastern by default).

`grading serve` calls `serve_grading`; `prefect.yaml` describes the same deployment for a
work pool. Runs never overlap: the deployment's concurrency limit is 1, and the warehouse
admits one writer (a late run waits up to GRADING_LOCK_WAIT seconds).
"""

from __future__ import annotations

from datetime import timedelta

from grading.flows.grade_corpus import grade_corpus
from prefect import serve
from prefect.deployments.runner import EntrypointType
from prefect.schedules import Cron, Interval

DEPLOYMENT = "scheduled"


def build_deployment(*, cron: str, timezone: str, interval: float | None = None, parameters: dict | None = None):
    """The deployment: a cron schedule in `timezone`, or every `interval` seconds."""
    schedule = Interval(timedelta(seconds=interval)) if interval else Cron(cron, timezone=timezone)
    return grade_corpus.to_deployment(
        name=DEPLOYMENT, schedule=schedule, parameters={k: v for k, v in (parameters or {}).items() if v is not None},
        concurrency_limit=1, description="Grade the sources list into the warehouse and reports.",
        tags=["grading"], entrypoint_type=EntrypointType.MODULE_PATH)


def serve_grading(*, cron: str, timezone: str, interval: float | None = None, parameters: dict | None = None,
                  limit: int | None = None) -> None:
    """Serve until interrupted; each scheduled run executes `grade_corpus` in a subprocess."""
    serve(build_deployment(cron=cron, timezone=timezone, interval=interval, parameters=parameters),
          print_starting_message=True, limit=limit)
