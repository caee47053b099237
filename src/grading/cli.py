"""The `grading` command: run, report, sql, ingest-baseline, ...

Every failure the user can cause ends in one line on stderr (`grading: error: …`) and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

EXIT_USAGE = 2
EXIT_PARTIAL = 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grading", description="Grade the evidence behind health claims in documents.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="grade documents (default: the bundled corpus) into the warehouse and reports")
    run.add_argument("sources", nargs="*", metavar="SOURCE", help="files, folders or http(s) URLs")
    run.add_argument("--warehouse", type=Path, help="DuckDB file (default data/warehouse.duckdb)")
    run.add_argument("--reports", type=Path, help="folder for the HTML and CSV reports (default reports/)")
    run.add_argument("--offline", action="store_true", help="never call E-utilities; use the bundled snapshot")
    run.add_argument("--eutils-url", help="E-utilities base URL (default NCBI; or set GRADING_EUTILS_URL)")
    run.add_argument("--wait", type=float, metavar="SECONDS",
                     help="if another run holds the warehouse, wait this long for it (default: exit at once)")
    run.add_argument("--prefect", action="store_true",
                     help="run as a Prefect flow run (the default when PREFECT_API_URL is set): task runs, "
                          "retries and caching in the Prefect UI; without it the run needs no Prefect")
    add_runner_flags(run)

    chk = sub.add_parser("check", help="grade a few pages or URLs into their own warehouse and reports (a scratch "
                                       "check): the watch list's warehouse, reports and changes are untouched")
    chk.add_argument("sources", nargs="+", metavar="SOURCE", help="files, folders or http(s) URLs")
    chk.add_argument("--into", type=Path, metavar="DIR",
                     help="folder for this check's warehouse.duckdb and reports/ (default checks/<UTC time>)")
    chk.add_argument("--offline", action="store_true", help="never call E-utilities; use the bundled snapshot")
    chk.add_argument("--eutils-url", help="E-utilities base URL (default NCBI; or set GRADING_EUTILS_URL)")

    srv = sub.add_parser("serve", help="serve the grading flow on a schedule (needs a Prefect server; starts one if "
                                       "PREFECT_API_URL is unset)")
    srv.add_argument("sources", nargs="*", metavar="SOURCE", help="files, folders or URLs (default: the sources list)")
    srv.add_argument("--cron", help="cron schedule (default 0 2 * * *, or GRADING_SCHEDULE_CRON)")
    srv.add_argument("--timezone", help="time zone of the cron (default America/New_York)")
    srv.add_argument("--interval", type=float, metavar="SECONDS", help="run every SECONDS instead of on the cron")
    srv.add_argument("--warehouse", type=Path)
    srv.add_argument("--reports", type=Path)
    srv.add_argument("--offline", action="store_true")
    srv.add_argument("--eutils-url")
    srv.add_argument("--wait", type=float, metavar="SECONDS", help="how long a run waits for the warehouse lock")
    srv.add_argument("--prefect-home", type=Path, help="where a server started here keeps its database")

    reg = sub.add_parser("regrade", help="re-grade the latest run's claims with a (changed) rubric, from the "
                                         "warehouse alone: nothing is fetched")
    reg.add_argument("--rubric", type=Path, help="rubric TOML (default: GRADING_RUBRIC or the bundled rubric)")
    reg.add_argument("--warehouse", type=Path)
    reg.add_argument("--reports", type=Path)
    reg.add_argument("--prefect", action="store_true",
                     help="run as a Prefect flow run (the default when PREFECT_API_URL is set); without it "
                          "the re-grade needs no Prefect")

    rep = sub.add_parser("report", help="regenerate the reports from the warehouse without re-running")
    rep.add_argument("--warehouse", type=Path)
    rep.add_argument("--reports", type=Path)
    rep.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="if a run holds the warehouse, wait this long for it (default: exit at once)")

    sql = sub.add_parser("sql", help="run a query against the warehouse (read-only: queries only, nothing "
                                     "outside the warehouse file is reachable)")
    sql.add_argument("query", nargs="?", help="one SELECT, WITH, DESCRIBE, SHOW, EXPLAIN or PRAGMA table_info")
    sql.add_argument("--describe", metavar="TABLE", help="list a table's or view's columns, types and comments")
    sql.add_argument("--warehouse", type=Path)
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.add_argument("--wide", action="store_true", help="do not cut long text in table output")
    sql.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="if a run holds the warehouse, wait this long for it (default: exit at once)")

    ing = sub.add_parser("ingest-baseline", help="load PubMed baseline/update files (plain or .gz) into the "
                                                 "warehouse as a local mirror that runs consult before Entrez")
    ing.add_argument("files", nargs="+", metavar="FILE", help="pubmedYYnNNNN.xml.gz files, in any order")
    ing.add_argument("--warehouse", type=Path)
    ing.add_argument("--workers", type=int, metavar="N",
                     help="processes parsing files, each file cut into N shards (default 1; 2 local Dask workers "
                          "with --task-runner dask)")
    ing.add_argument("--task-runner", choices=["default", "dask"], default="default",
                     help="parse in a pool of local processes (default) or as Prefect tasks on Dask")
    ing.add_argument("--dask-address", metavar="ADDR", help="an existing Dask scheduler, e.g. tcp://host:8786")
    ing.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="if a run holds the warehouse, wait this long for it (default: exit at once)")
    return p


def add_runner_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task-runner", choices=["default", "dask"], default="default",
                   help="run the bulk stages on Prefect's thread pool (default) or on Dask")
    p.add_argument("--workers", type=int, metavar="N", help="local Dask workers (default 2)")
    p.add_argument("--dask-address", metavar="ADDR", help="an existing Dask scheduler, e.g. tcp://host:8786")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"run": cmd_run, "check": cmd_check, "report": cmd_report, "sql": cmd_sql, "serve": cmd_serve,
                "regrade": cmd_regrade, "ingest-baseline": cmd_ingest_baseline}[args.command](args)
    except KeyboardInterrupt:
        if args.command == "serve":
            print("grading: stopped serving", file=sys.stderr)
            return 0
        print("grading: interrupted; the warehouse holds the last complete run", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - known errors carry one-line messages; unknown ones still get one line
        from grading.errors import describe

        print(f"grading: error: {describe(exc)}", file=sys.stderr)
        return EXIT_USAGE


def settings_for(args: argparse.Namespace):
    from grading.settings import Settings

    return Settings.from_env(warehouse=getattr(args, "warehouse", None), reports=getattr(args, "reports", None))


def cmd_run(args: argparse.Namespace) -> int:
    from grading.documents.sources import is_url, local_problem, shown_name

    # Refuse at once, before any work, when no named source exists at all.
    problems = {s: local_problem(s) for s in args.sources if not is_url(s)}
    missing = [s for s, problem in problems.items() if problem]
    for spec in missing:
        print(f"grading: error: {shown_name(spec)}: {problems[spec]}", file=sys.stderr)
    sources = [s for s in args.sources if s not in missing]
    if args.sources and not sources:
        return EXIT_USAGE
    if args.dask_address and args.task_runner != "dask":
        print("grading: error: --dask-address needs --task-runner dask", file=sys.stderr)
        return EXIT_USAGE
    from grading.reports.ownership import ReportsFolderError, claim_reports_folder

    try:  # before anything runs: a folder holding the user's files is refused, not half-replaced after the load
        claim_reports_folder(settings_for(args).reports)
    except ReportsFolderError as exc:
        print(f"grading: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    progress = ProgressLine(sys.stderr, rate=10.0 if os.environ.get("NCBI_API_KEY") else 3.0)
    try:
        if args.prefect or args.task_runner == "dask" or os.environ.get("PREFECT_API_URL"):
            summary = run_as_flow(args, sources, progress)
        else:
            summary = run_library(args, sources, progress)
    finally:
        progress.close()
    return say_run(summary, missing)


def run_library(args: argparse.Namespace, sources: list[str], progress: ProgressLine) -> dict:
    """The pass in this process, no Prefect: fast start, same warehouse and reports."""
    from grading.run import grade_corpus
    from grading.settings import Settings

    settings = Settings.from_env(warehouse=args.warehouse, reports=args.reports, offline=args.offline or None,
                                 eutils_url=args.eutils_url, lock_wait=args.wait)
    return grade_corpus(settings, sources or None, progress=progress).as_dict()


def run_as_flow(args: argparse.Namespace, sources: list[str], progress: ProgressLine) -> dict:
    """The pass as a Prefect flow run (visible in the UI at PREFECT_API_URL; else a temporary server)."""
    from grading.settings import Settings
    from grading.warehouse.database import check_file, upgrade

    # A wrong --warehouse is refused here, in one line, before Prefect starts (and logs a traceback).
    settings = Settings.from_env(warehouse=args.warehouse, lock_wait=args.wait)
    check_file(settings.warehouse)
    upgrade(settings.warehouse, settings.lock_wait)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # A busy host starts Prefect's temporary server slowly: allow 2 minutes, not Prefect's 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from grading.flows.grade_corpus import grade_corpus
    from grading.flows.runners import make_task_runner
    from grading.lifeline import tie_prefect_temporary_server
    from grading.run import FLOW_PROGRESS

    tie_prefect_temporary_server()  # a temporary server dies with this run, even on kill -9
    prune_prefect_results()

    runner = make_task_runner(args.task_runner, workers=args.workers, address=args.dask_address)
    token = FLOW_PROGRESS.set(progress)
    try:
        return grade_corpus.with_options(task_runner=runner)(
            sources=sources or None, warehouse=str(args.warehouse) if args.warehouse else None,
            reports=str(args.reports) if args.reports else None, offline=args.offline,
            eutils_url=args.eutils_url, wait=args.wait)
    finally:
        FLOW_PROGRESS.reset(token)


def say_run(summary: dict, missing: list[str]) -> int:
    from grading.run_summary import summary_line

    for message in summary["failures"]:
        print(f"grading: error: {message}", file=sys.stderr)
    for message in summary.get("warnings", []):
        print(f"grading: warning: {message}", file=sys.stderr)
    if summary["run_id"] is None:
        print("grading: error: no document could be read; nothing was written", file=sys.stderr)
        return EXIT_USAGE
    print(summary_line(summary))  # the line a scheduled run logs too (grading.run_summary)
    if summary["claims"] == 0:  # not an error (a page may assert nothing), but rarely what was meant
        print(f"grading: hint: no claim was found in the {summary['sources']} source(s) read; a claim is a sentence "
              "asserting an effect on health (e.g. 'X lowers blood pressure in adults'); a page of navigation, "
              "a list or a script's output has none (docs/architecture.md)", file=sys.stderr)
    if summary["mode"] == "offline-fallback":
        print("note: NCBI E-utilities could not be reached; records came from the bundled snapshot")
    if summary["quarantined"]:
        print(f"note: {summary['quarantined']} rows failed validation and are in the quarantine table")
    print(f"warehouse: {summary['warehouse']}")
    for path in summary["reports"]:
        print(f"report: {path}")
    return EXIT_PARTIAL if summary["failures"] or missing else 0


class ProgressLine:
    """The run's progress on stderr: one line rewritten in place on a terminal, else a plain
    `grading: info:` line as each stage completes. Fetch shows an estimate at the rate limit (`rate` requests/s,
    200 PMIDs per request)."""

    NOUNS: ClassVar[dict[str, str]] = {"read": "documents read", "extract": "documents extracted", "resolve": "citations resolved",
             "fetch": "PMIDs fetched", "grade": "claims graded", "load": "loaded"}

    def __init__(self, stream, rate: float = 3.0):
        self.stream, self.rate = stream, rate
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "load":
            text = "loading the warehouse" if done < total else "loaded; writing reports"
        else:
            text = f"{self.NOUNS.get(stage, stage)} {done}/{total}"
            if stage == "fetch" and done < total:
                left = -(-(total - done) // 200) / self.rate
                text += f" (about {left:.0f} s left at {self.rate:g} requests/s)"
        if self.live:
            self.stream.write("\r" + text.ljust(len(self.shown)))
            self.stream.flush()
            self.shown = text
        elif done >= total and text != self.shown:
            print(f"grading: info: {text}", file=self.stream)
            self.shown = text

    def close(self) -> None:
        if self.live and self.shown:
            self.stream.write("\r" + " " * len(self.shown) + "\r")
            self.stream.flush()


def prune_prefect_results() -> None:
    """Prefect's persisted task results, bounded at each run's start (grading.prefect_results)."""
    from grading.prefect_results import prune_results, storage_path
    from grading.settings import Settings

    settings = Settings.from_env()
    prune_results(storage_path(), settings.prefect_results_days, settings.prefect_results_mb)
def verdict_counts(certainty: dict[str, int], status: dict[str, int] | None = None) -> tuple[str, str]:
    """grading.run_summary.verdict_counts (imported when called: the command defers imports)."""
    from grading.run_summary import verdict_counts as counts

    return counts(certainty, status)


def cmd_check(args: argparse.Namespace) -> int:
    """A scratch check: `grading run` into a folder of its own, so nothing the watch list
    reads (its warehouse, reports, changes) sees it. Repeating a check with the same --into
    compares the pages with their previous check there."""
    import time

    into = args.into
    if into is None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        into = Path("checks") / stamp
        n = 1
        while into.exists():
            n += 1
            into = Path("checks") / f"{stamp}-{n}"
    if into.exists() and not into.is_dir():
        print(f"grading: error: {into}: not a folder", file=sys.stderr)
        return EXIT_USAGE
    run_args = argparse.Namespace(sources=args.sources, warehouse=into / "warehouse.duckdb", reports=into / "reports",
                                  offline=args.offline, eutils_url=args.eutils_url, wait=None,
                                  task_runner="default", workers=None, dask_address=None, prefect=False)
    return cmd_run(run_args)


def cmd_regrade(args: argparse.Namespace) -> int:
    """The re-grade pass in this process (grading.regrade.regrade_corpus), or as the Prefect flow
    `regrade` when PREFECT_API_URL is set or --prefect is given: chosen as `grading run` chooses."""
    from grading.settings import Settings

    if args.rubric is not None and not args.rubric.exists():
        print(f"grading: error: {args.rubric}: no such rubric file", file=sys.stderr)
        return EXIT_USAGE
    settings = Settings.from_env(warehouse=args.warehouse, reports=args.reports, rubric=args.rubric)
    if args.prefect or os.environ.get("PREFECT_API_URL"):
        from grading.warehouse.database import check_file

        check_file(settings.warehouse)  # one line, before Prefect starts (and logs a traceback)
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        from grading.flows.regrade import regrade_corpus
        from grading.lifeline import tie_prefect_temporary_server

        tie_prefect_temporary_server()  # a temporary server dies with this process, even on kill -9
        summary = regrade_corpus(rubric=str(args.rubric) if args.rubric else None,
                                 warehouse=str(args.warehouse) if args.warehouse else None,
                                 reports=str(args.reports) if args.reports else None)
    else:
        from grading.regrade import regrade_corpus as regrade_in_process

        summary = regrade_in_process(settings).as_dict()
    graded, ungraded = verdict_counts(summary["certainty"], summary["status"])
    print(f"run {summary['run_id']} (regrade of {summary['base_run_id']}, rubric {summary['rubric_version']}): "
          f"{summary['claims']} claims: {graded or 'none graded'}; not graded: {ungraded or 'none'}; "
          "0 E-utilities requests")
    if summary["quarantined"]:
        print(f"note: {summary['quarantined']} rows failed validation and are in the quarantine table")
    print(f"warehouse: {summary['warehouse']}")
    for path in summary["reports"]:
        print(f"report: {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from grading.schedule import keep_serving, prefect_server
    from grading.settings import Settings

    settings = Settings.from_env()
    cron = args.cron or settings.schedule_cron
    timezone = args.timezone or settings.schedule_timezone
    parameters = {"sources": list(args.sources) or None, "offline": args.offline or None,
                  "warehouse": str(args.warehouse.resolve()) if args.warehouse else None,
                  "reports": str(args.reports.resolve()) if args.reports else None,
                  "eutils_url": args.eutils_url, "wait": args.wait if args.wait is not None else 600.0}
    def stop(signum: int, frame: object) -> None:  # SIGTERM stops serving like Ctrl-C: the server goes too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)

    def serve_once() -> None:
        with prefect_server(home=args.prefect_home) as api_url:
            from grading.flows.serve import DEPLOYMENT, scheduled_grading, serve_grading

            when = f"every {args.interval:g} s" if args.interval else f"cron {cron!r} ({timezone})"
            print(f"serving {scheduled_grading.name}/{DEPLOYMENT} {when}; Prefect API {api_url} (UI: {api_url[:-4]})",
                  flush=True)
            serve_grading(cron=cron, timezone=timezone, interval=args.interval, parameters=parameters)

    keep_serving(serve_once)  # an unreachable API is said and retried, not a missed night
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from grading.reports.write import write_reports
    from grading.warehouse.database import open_warehouse

    settings = settings_for(args)
    with open_warehouse(settings.warehouse, read_only=True, wait=args.wait) as con:
        for path in write_reports(con, settings.reports):
            print(f"report: {path}")
    return 0


def cmd_ingest_baseline(args: argparse.Namespace) -> int:
    from grading.clock import new_run_id, now_utc
    from grading.warehouse.baseline import ingest_baseline

    if args.workers is not None and args.workers < 1:
        print("grading: error: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.dask_address and args.task_runner != "dask":
        print("grading: error: --dask-address needs --task-runner dask", file=sys.stderr)
        return EXIT_USAGE
    settings = settings_for(args)

    def said(load) -> None:
        if load.status == "already ingested":
            print(f"{load.file_name}: already ingested; nothing changed")
        else:
            print(f"{load.file_name}: {load.n_records} records, {load.n_deleted} deleted, {load.n_quarantined} "
                  f"quarantined; {load.n_applied} PMIDs set in the mirror (parsed in {load.parse_seconds:.1f} s)")

    if args.task_runner == "dask":
        from grading.flows.ingest import run_ingest

        report = run_ingest(args.files, str(settings.warehouse), task_runner="dask", workers=args.workers,
                            address=args.dask_address, wait=args.wait)
        for load in report.loads:
            said(load)
    else:
        now = now_utc()
        report = ingest_baseline(settings.warehouse, args.files, workers=args.workers or 1,
                                 ingest_id=f"ingest-{new_run_id(now)}", now=now, wait_seconds=args.wait, on_load=said)
    for message in report.failures:
        print(f"grading: error: {message}", file=sys.stderr)
    loaded = [load for load in report.loads if load.status == "loaded"]
    print(f"ingest {report.ingest_id}: {len(loaded)} of {len(args.files)} files loaded "
          f"({sum(load.n_records for load in loaded)} records) in {report.seconds:.1f} s")
    print(f"warehouse: {settings.warehouse}")
    if report.failures:
        return EXIT_PARTIAL if report.loads else EXIT_USAGE
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from grading.reports.console import (
        describe_relation,
        describe_table,
        open_contained,
        run_query,
        write_result,
    )

    if (args.query is None) == (args.describe is None):
        print("grading: error: give a QUERY or --describe TABLE (one of them)", file=sys.stderr)
        return EXIT_USAGE
    settings = settings_for(args)
    con = open_contained(settings.warehouse, wait=args.wait)
    heading = None
    try:
        columns, rows = describe_table(con, args.describe) if args.describe else run_query(con, args.query)
        if args.describe and args.format == "table":
            heading = describe_relation(con, args.describe)
    finally:
        con.close()
    if heading:  # the table's grain above its columns; comments are what --describe is for: never cut
        sys.stdout.write(f"{heading}\n\n")
    write_result(sys.stdout, columns, rows, args.format, wide=args.wide or bool(args.describe))
    return 0


if __name__ == "__main__":
    sys.exit(main())
