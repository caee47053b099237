"""The reports folder is ours, or we do not write into it.

A report run replaces `sources/` whole and overwrites its named files, so pointed at a folder
that holds the user's documents (`--reports .`, `--reports data`) it would delete them. We
write a marker file into every folder we create; a folder without it is used only if it is
empty or holds nothing but what a report run writes (a folder from before the marker). Our
own `sources/` must hold only pages: anything else in it was put there by someone else and
would be lost, so the run is refused in one line instead.
"""

from __future__ import annotations

from pathlib import Path

from grading.reports.csv import EXPORTS

MARKER = ".grading-reports"
MARKER_TEXT = ("This folder is written by `grading` (its reports). Each run replaces sources/ and the files\n"
               "listed in docs/reports.md; keep your own files elsewhere.\n")
SOURCE_PAGES = "sources"
STATIC_FILES = ("report.css", "report.js")
OUR_NAMES = frozenset({MARKER, SOURCE_PAGES, "index.html", "changes.html", *STATIC_FILES,
                       *(e.filename for e in EXPORTS)})


class ReportsFolderError(ValueError):
    """The reports folder holds something we did not write; the message is one line."""


def foreign_entries(folder: Path) -> list[str]:
    """What is in `folder` that a report run did not write (relative names, sorted)."""
    foreign = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name not in OUR_NAMES:
            foreign.append(entry.name)
        elif entry.name == SOURCE_PAGES:
            foreign.extend(foreign_pages(entry))
        elif entry.is_dir() or entry.is_symlink():
            foreign.append(entry.name + ("/" if entry.is_dir() else ""))
    return foreign


def foreign_pages(pages: Path) -> list[str]:
    if pages.is_symlink() or not pages.is_dir():
        return [SOURCE_PAGES]
    return [f"{SOURCE_PAGES}/{p.name}" for p in sorted(pages.iterdir(), key=lambda p: p.name)
            if p.suffix != ".html" or p.is_symlink() or not p.is_file()]


def claim_reports_folder(folder: Path) -> None:
    """Check `folder` may receive reports and mark it ours; raise one line if it may not.

    Nothing is written into a folder we refuse."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ReportsFolderError(f"{folder}: not a folder; --reports needs a folder for the reports")
    if folder.is_dir():
        marked = (folder / MARKER).is_file()
        pages = folder / SOURCE_PAGES
        # Our sources/ is replaced whole: anything else in it would be deleted, marker or not.
        foreign = foreign_pages(pages) if pages.exists() or pages.is_symlink() else []
        if not marked:
            foreign = foreign_entries(folder)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise ReportsFolderError(f"{folder}: holds files grading did not write ({shown}); reports go only into "
                                     "an empty folder or one grading made: choose another --reports folder")
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.is_file():
        marker.write_text(MARKER_TEXT, encoding="utf-8")
