"""The `grading` command: run, report, sql, ingest-baseline, ...

Every failure the user can cause ends in one line on stderr (`grading: error: …`) and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

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

    rep = sub.add_parser("report", help="regenerate the reports from the warehouse without re-running")
    rep.add_argument("--warehouse", type=Path)
    rep.add_argument("--reports", type=Path)

    sql = sub.add_parser("sql", help="run a SQL query against the warehouse (read-only)")
    sql.add_argument("query")
    sql.add_argument("--warehouse", type=Path)
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")

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
    from grading.documents.sources import is_url

    # Refuse at once, before Prefect starts, when no named source exists at all.
    missing = [s for s in args.sources if not is_url(s) and not Path(s).exists()]
    for spec in missing:
        print(f"grading: error: {spec}: no such file or folder", file=sys.stderr)
    sources = [s for s in args.sources if s not in missing]
    if args.sources and not sources:
        return EXIT_USAGE
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from grading.flows.grade_corpus import grade_corpus
    from grading.flows.runners import make_task_runner

    runner = make_task_runner(args.task_runner, workers=args.workers, address=args.dask_address)
    summary = grade_corpus.with_options(task_runner=runner)(sources=sources or None,
                           warehouse=str(args.warehouse) if args.warehouse else None,
                           reports=str(args.reports) if args.reports else None,
                           offline=args.offline, eutils_url=args.eutils_url, wait=args.wait)
    for message in summary["failures"]:
        print(f"grading: error: {message}", file=sys.stderr)
    for message in summary.get("warnings", []):
        print(f"grading: warning: {message}", file=sys.stderr)
    if summary["run_id"] is None:
        print("grading: error: no document could be read; nothing was written", file=sys.stderr)
        return EXIT_USAGE
    from grading.run_summary import summary_line

    print(summary_line(summary))  # the same line ends every scheduled run's log (grading.flows.serve)
    if summary["mode"] == "offline-fallback":
        print("note: NCBI E-utilities could not be reached; records came from the bundled snapshot")
    if summary["quarantined"]:
        print(f"note: {summary['quarantined']} rows failed validation and are in the quarantine table")
    print(f"warehouse: {summary['warehouse']}")
    for path in summary["reports"]:
        print(f"report: {path}")
    return EXIT_PARTIAL if summary["failures"] or missing else 0


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
                                  task_runner="default", workers=None, dask_address=None)
    return cmd_run(run_args)


def cmd_regrade(args: argparse.Namespace) -> int:
    if args.rubric is not None and not args.rubric.exists():
        print(f"grading: error: {args.rubric}: no such rubric file", file=sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from grading.flows.regrade import regrade_corpus

    summary = regrade_corpus(rubric=str(args.rubric) if args.rubric else None,
                             warehouse=str(args.warehouse) if args.warehouse else None,
                             reports=str(args.reports) if args.reports else None)
    counts = ", ".join(f"{n} {c}" for c, n in sorted(summary["certainty"].items()))
    print(f"run {summary['run_id']} (regrade of {summary['base_run_id']}, rubric {summary['rubric_version']}): "
          f"{summary['claims']} claims graded ({counts}); 0 E-utilities requests")
    if summary["quarantined"]:
        print(f"note: {summary['quarantined']} rows failed validation and are in the quarantine table")
    print(f"warehouse: {summary['warehouse']}")
    for path in summary["reports"]:
        print(f"report: {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from grading.schedule import prefect_server
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
    with prefect_server(home=args.prefect_home) as api_url:
        from grading.flows.serve import DEPLOYMENT, scheduled_grading, serve_grading

        when = f"every {args.interval:g} s" if args.interval else f"cron {cron!r} ({timezone})"
        print(f"serving {scheduled_grading.name}/{DEPLOYMENT} {when}; Prefect API {api_url} (UI: {api_url[:-4]})",
              flush=True)
        serve_grading(cron=cron, timezone=timezone, interval=args.interval, parameters=parameters)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from grading.reports.write import write_reports
    from grading.warehouse.database import open_warehouse

    settings = settings_for(args)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        for path in write_reports(con, settings.reports):
            print(f"report: {path}")
    return 0


def cmd_ingest_baseline(args: argparse.Namespace) -> int:
    from grading.pipeline import new_run_id, now_utc
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
    from grading.warehouse.database import open_warehouse

    settings = settings_for(args)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        cur = con.execute(args.query)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    out = sys.stdout
    if args.format == "csv":
        w = csv.writer(out)
        w.writerow(columns)
        w.writerows([[format_cell(v) for v in r] for r in rows])
    elif args.format == "json":
        json.dump([dict(zip(columns, r)) for r in rows], out, default=str, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        out.write(format_table(columns, rows))
    return 0


def format_cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "[" + ", ".join(format_cell(x) for x in v) + "]"
    return str(v)


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> str:
    """Aligned columns, long cells cut with an ellipsis, a row count at the end."""
    cells = [[format_cell(v).replace("\n", " ") for v in r] for r in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in r] for r in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()
    out = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
