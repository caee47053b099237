"""Serve the grading flow on a schedule (nightly US Eastern by default).

`grading serve` calls `serve_grading`; `prefect.yaml` describes the same deployment for a
work pool. Runs never overlap: the deployment's concurrency limit is 1, and the warehouse
admits one writer (a late run waits up to GRADING_LOCK_WAIT seconds). Each scheduled run
ends with the line `grading run` prints, in its log and as a Markdown artifact (counts and
report paths) on the flow run's page in the Prefect UI.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Any

from grading.flows.grade_corpus import grade_corpus
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.deployments.runner import EntrypointType
from prefect.runner import Runner
from prefect.schedules import Cron, Interval

from grading.run_summary import summary_line, summary_markdown

DEPLOYMENT = "scheduled"
ARTIFACT_KEY = "grading-run-summary"  # one key: the UI lists every run's summary under it


@flow(name="grade-corpus-scheduled", log_prints=False)
def scheduled_grading(sources: list[str] | None = None, warehouse: str | None = None, reports: str | None = None,
                      offline: bool = False, eutils_url: str | None = None, wait: float | None = None) -> dict:
    """`grade_corpus` (as a subflow), then what it found: one log line and a Markdown artifact."""
    summary = grade_corpus(sources=sources, warehouse=warehouse, reports=reports, offline=offline,
                           eutils_url=eutils_url, wait=wait)
    logger = get_run_logger()
    for message in summary.get("failures", []):
        logger.error(message)
    logger.info(summary_line(summary))
    print(summary_line(summary), flush=True)  # and on `grading serve`'s own output, as `grading run` prints it
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(summary),
                             description=summary_line(summary))
    return summary


def build_deployment(*, cron: str, timezone: str, interval: float | None = None, parameters: dict | None = None):
    """The deployment: a cron schedule in `timezone`, or every `interval` seconds."""
    schedule = Interval(timedelta(seconds=interval)) if interval else Cron(cron, timezone=timezone)
    return scheduled_grading.to_deployment(
        name=DEPLOYMENT, schedule=schedule, parameters={k: v for k, v in (parameters or {}).items() if v is not None},
        concurrency_limit=1, description="Grade the sources list into the warehouse and reports.",
        tags=["grading"], entrypoint_type=EntrypointType.MODULE_PATH)


class StoppingRunner(Runner):
    """Prefect's runner, stopped cleanly on SIGTERM: its own handler calls the async `stop`
    from inside the event loop without awaiting it ("coroutine 'Runner.astop' was never
    awaited") and exits mid-loop. Here the loop runs `astop` and `start` returns."""

    def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
        self._logger.info("SIGTERM received, stopping")
        loop = self._serving_loop
        loop.call_soon_threadsafe(lambda: loop.create_task(self.astop()) if self.started else None)

    async def start(self, *args: Any, **kwargs: Any) -> None:
        self._serving_loop = asyncio.get_running_loop()
        await super().start(*args, **kwargs)


def serve_grading(*, cron: str, timezone: str, interval: float | None = None, parameters: dict | None = None,
                  limit: int | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C; each scheduled run executes in a subprocess. The schedule
    is paused when serving ends (as `prefect.serve` does), so no run waits for a runner that left."""
    runner = StoppingRunner(pause_on_shutdown=True, limit=limit)
    runner.add_deployment(build_deployment(cron=cron, timezone=timezone, interval=interval, parameters=parameters))
    try:
        asyncio.run(runner.start())
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
