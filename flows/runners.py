"""Task runners: Prefect's default thread pool, or Dask (prefect-dask) for the bulk stages.

`--task-runner dask` with no address starts a local Dask cluster of `workers` processes
(one thread each: parsing and grading are CPU-bound Python); with `--dask-address
tcp://scheduler:8786` the same flows run on an existing cluster.
"""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner

TASK_RUNNERS = ("default", "dask")


def make_task_runner(name: str = "default", *, workers: int | None = None, address: str | None = None):
    if name == "default":
        return ThreadPoolTaskRunner()
    if name != "dask":
        raise ValueError(f"unknown task runner {name!r}; choose one of {', '.join(TASK_RUNNERS)}")
    import logging

    from prefect_dask import DaskTaskRunner

    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO chatter drowns the run's summary

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers or 2, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})
