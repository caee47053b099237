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
from importlib import resources
from pathlib import Path

import duckdb

from grading.reports.csv import EXPORTS, write_csv
from grading.reports.html import render_pages
from grading.reports.marts import Marts, ReportError, read_marts
from grading.reports.ownership import SOURCE_PAGES, STATIC_FILES, claim_reports_folder

__all__ = ["Marts", "ReportError", "read_marts", "write_reports"]


def write_reports(con: duckdb.DuckDBPyConnection, out_dir: Path,
                  pause: Callable[[str], None] | None = None) -> list[Path]:
    """Write every report into a temporary folder, then move it into place: readers never see
    half-written files, a crash leaves the previous reports, and pages of sources the latest run
    no longer has are removed. Returns the main files (the source pages are linked from index.html)."""
    out_dir = Path(out_dir)
    marts = read_marts(con)
    claim_reports_folder(out_dir)  # never into a folder holding what we did not write (grading.reports.ownership)
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
