"""Reports written from the warehouse marts (views) only, for the latest completed run:

    reports/index.html        overview: sources by the warnings a regulator acts on (triage), records cited most
    reports/sources/*.html    one page per source: its text with claims highlighted, citations, reasons
    reports/changes.html      new, removed and re-graded claims and newly retracted records since the previous run
    reports/{claims,citations,triage,records,reasons}.csv
    reports/report.css, report.js   bundled: the pages work offline and load nothing else

The same warehouse always gives the same bytes (`grading report` reproduces what the run wrote).
docs/reports.md describes the pages and the CSV columns.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from grading.reports.csv import EXPORTS, write_csv
from grading.reports.html import display_text, render_pages

STATIC_FILES = ("report.css", "report.js")
SOURCE_PAGES = "sources"


class ReportError(ValueError):
    """The warehouse cannot be reported on; the message is one line (shown as is by the CLI)."""


@dataclass
class Marts:
    """What the reports read, as rows (dicts); grains as in docs/warehouse.md."""

    run: dict[str, Any]
    previous: dict[str, Any] | None
    claims: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    records: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    texts: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    retracted: list[dict[str, Any]]
    triage: list[dict[str, Any]]
    unchecked: list[dict[str, Any]]


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row)) for row in cur.fetchall()]


def read_marts(con: duckdb.DuckDBPyConnection) -> Marts:
    try:
        run = fetch_dicts(con, "SELECT * FROM latest_run")
        if not run:
            raise ReportError("the warehouse holds no completed run yet; run `grading run` first")
        previous = fetch_dicts(con, "SELECT * FROM previous_run")
        exports = {e.filename: fetch_dicts(con, e.select()) for e in EXPORTS}
        for claim in exports["claims.csv"]:  # quotable text; claim_text stays exact for its offsets
            claim["claim_display_text"] = display_text(claim["claim_text"])
        return Marts(
            run=run[0], previous=previous[0] if previous else None, claims=exports["claims.csv"],
            citations=exports["citations.csv"], records=exports["records.csv"], reasons=exports["reasons.csv"],
            texts=fetch_dicts(con, "SELECT source, content_hash, media_type, n_chars, text, url, title, body_start "
                                   "FROM source_texts "
                                   "ORDER BY source"),
            changes=fetch_dicts(con, "SELECT * FROM claim_changes ORDER BY source, "
                                     "coalesce(char_start, previous_char_start), change, claim_text"),
            retracted=fetch_dicts(con, "SELECT * FROM newly_retracted ORDER BY pmid"),
            triage=exports["triage.csv"],
            unchecked=fetch_dicts(con, "SELECT * FROM unchecked_sources ORDER BY source"))
    except duckdb.CatalogException as exc:
        # A warehouse written before these views existed gains them on its next `grading run`.
        raise ReportError(f"the warehouse lacks a report view ({str(exc).splitlines()[0]}); "
                          "run `grading run` once to update it") from None


def write_reports(con: duckdb.DuckDBPyConnection, out_dir: Path,
                  pause: Callable[[str], None] | None = None) -> list[Path]:
    """Write every report into a temporary folder, then move it into place: readers never see
    half-written files, a crash leaves the previous reports, and pages of sources the latest run
    no longer has are removed. Returns the main files (the source pages are linked from index.html)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    marts = read_marts(con)
    remove_abandoned_temporaries(out_dir.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".reports-{os.getpid()}-", dir=out_dir.parent))
    try:
        (tmp / SOURCE_PAGES).mkdir()
        for export in EXPORTS:
            write_csv(tmp / export.filename, export.columns, getattr(marts, export.filename.removesuffix(".csv")))
        for name in STATIC_FILES:
            (tmp / name).write_bytes((resources.files("grading.reports") / "templates" / "static" / name).read_bytes())
        for rel, html in render_pages(marts).items():
            (tmp / rel).write_text(html, encoding="utf-8")
        return install(tmp, out_dir, pause)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def install(tmp: Path, out_dir: Path, pause: Callable[[str], None] | None = None) -> list[Path]:
    """Source pages first, index.html last, so every link from the overview already resolves.

    Each move is atomic, so no file is ever half-written; a crash part-way leaves complete
    files of two runs (each names its run), which the next run or `grading report` replaces.
    `pause`: the GRADING_PAUSE_AT hook, called as "reports" after the first main file moved.
    """
    out_dir.mkdir(exist_ok=True)
    pages = out_dir / SOURCE_PAGES
    if pages.exists():
        os.replace(pages, tmp / ".old-sources")
    os.replace(tmp / SOURCE_PAGES, pages)
    main = [e.filename for e in EXPORTS] + list(STATIC_FILES) + ["changes.html", "index.html"]
    for i, name in enumerate(main):
        os.replace(tmp / name, out_dir / name)
        if i == 0 and pause is not None:
            pause("reports")
    shown = ["index.html", "changes.html"] + [e.filename for e in EXPORTS]
    return [out_dir / name for name in shown]


def remove_abandoned_temporaries(folder: Path) -> None:
    """Remove `.reports-<pid>-*` folders whose process is gone (a run killed while writing)."""
    if os.name != "posix":
        return
    for tmp in folder.glob(".reports-*-*"):
        pid = tmp.name.split("-")[1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: is it alive?
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            continue  # alive under another user: not ours to touch
