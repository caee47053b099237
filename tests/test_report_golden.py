"""Golden reports: the seeds graded offline through `grading run`; `grading report` on that
warehouse reproduces the run's files byte for byte; and the files match tests/golden/ once
the run id and times are normalised, so any change to a report is a deliberate golden update:

    GRADING_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report_golden.py   # then review the diff
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

import pytest

from grading.cli import main

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
BUNDLED = {"report.css", "report.js", ".grading-reports"}  # package files and the folder marker, versioned as themselves
RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{6}\b")
TIME = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\b")


def report_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def normalise(data: bytes) -> str:
    return TIME.sub("<time>", RUN_ID.sub("<run-id>", data.decode("utf-8")))


@pytest.fixture(scope="module")
def seeds_reported(tmp_path_factory) -> tuple[Path, Path]:
    """The seeds as `make run` names them (data/sources/…): relative paths keep the files
    independent of where the repository is checked out."""
    out = tmp_path_factory.mktemp("golden")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        assert main(["run", "data/sources", "--offline", "--warehouse", str(out / "w.duckdb"),
                     "--reports", str(out / "run")]) == 0
    return out / "w.duckdb", out / "run"


def test_report_reproduces_the_run_byte_for_byte(seeds_reported, tmp_path: Path) -> None:
    warehouse, by_run = seeds_reported
    assert main(["report", "--warehouse", str(warehouse), "--reports", str(tmp_path / "again")]) == 0
    first, again = report_files(by_run), report_files(tmp_path / "again")
    assert sorted(first) == sorted(again)
    assert {"index.html", "changes.html", "claims.csv", "citations.csv", "records.csv", "reasons.csv"} <= set(first)
    assert len([n for n in first if n.startswith("sources/")]) == len(list((ROOT / "data" / "sources").iterdir()))
    for name in first:
        assert first[name] == again[name], name


def test_reports_match_the_golden_files(seeds_reported) -> None:
    _, by_run = seeds_reported
    got = {name: normalise(data) for name, data in report_files(by_run).items() if name not in BUNDLED}
    if os.environ.get("GRADING_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, text in got.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8", newline="")
    want = {name: data.decode("utf-8") for name, data in report_files(GOLDEN).items()}
    assert sorted(got) == sorted(want), "report files differ from tests/golden/ (see its docstring to update)"
    for name in sorted(got):
        if got[name] != want[name]:
            diff = "".join(list(difflib.unified_diff(want[name].splitlines(True), got[name].splitlines(True),
                                                     f"golden/{name}", f"report/{name}"))[:60])
            pytest.fail(f"{name} differs from tests/golden/ (update on purpose, see the docstring):\n{diff}")
