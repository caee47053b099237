"""Scratch checks and per-source changes: `grading check PAGE` grades into a folder of its own
(the watch list's warehouse and reports stay byte-identical), and a run that reads only some
sources never reports the others' claims as removed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from grading.cli import main
from tests.report_fixtures import HOSTILE_DIR, query

PAGE = HOSTILE_DIR / "hostile.md"


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def watch_list(tmp_path_factory, prefect_harness, seeds_dir: Path) -> tuple[Path, Path]:
    from grading.flows.grade_corpus import grade_corpus

    root = tmp_path_factory.mktemp("watch")
    warehouse, reports = root / "w.duckdb", root / "reports"
    grade_corpus(sources=[str(seeds_dir)], warehouse=str(warehouse), reports=str(reports), offline=True)
    return warehouse, reports


def test_check_grades_into_its_own_folder(watch_list, tmp_path: Path, capsys) -> None:
    warehouse, reports = watch_list
    before = {**digest(reports), "warehouse": hashlib.sha256(warehouse.read_bytes()).hexdigest()}
    assert main(["check", "--offline", "--into", str(tmp_path / "check"), str(PAGE)]) == 0
    out = capsys.readouterr().out
    assert f"warehouse: {tmp_path / 'check' / 'warehouse.duckdb'}" in out
    assert (tmp_path / "check" / "reports" / "index.html").exists()
    assert query(tmp_path / "check" / "warehouse.duckdb", "SELECT source FROM source_texts") == [(str(PAGE),)]
    after = {**digest(reports), "warehouse": hashlib.sha256(warehouse.read_bytes()).hexdigest()}
    assert after == before


def test_check_refuses_a_file_as_its_folder(tmp_path: Path, capsys) -> None:
    (tmp_path / "f").write_text("x")
    assert main(["check", "--offline", "--into", str(tmp_path / "f"), str(PAGE)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_source_left_out_is_not_checked_never_removed(prefect_harness, seeds_dir: Path, tmp_path: Path) -> None:
    from grading.flows.grade_corpus import grade_corpus

    warehouse, reports = tmp_path / "w.duckdb", tmp_path / "reports"
    grade_corpus(sources=[str(seeds_dir)], warehouse=str(warehouse), reports=str(reports), offline=True)
    grade_corpus(sources=[str(PAGE)], warehouse=str(warehouse), reports=str(reports), offline=True)
    changes = query(warehouse, "SELECT change, source_change, count(*) FROM claim_changes GROUP BY ALL")
    assert [c for c in changes if c[0] == "removed"] == []
    seeds = sorted(str(p) for p in seeds_dir.glob("*.txt"))
    assert [r[0] for r in query(warehouse, "SELECT source FROM unchecked_sources ORDER BY source")] == seeds
    page = (reports / "changes.html").read_text(encoding="utf-8")
    assert "Not checked this run" in page and "0 removed" in page
    # Back to the whole list: each seed is compared with its own last check (the first run), not
    # with the one-page run, so nothing reads as new.
    grade_corpus(sources=[str(seeds_dir)], warehouse=str(warehouse), reports=str(reports), offline=True)
    assert query(warehouse, "SELECT count(*) FROM claim_changes")[0][0] == 0
    assert "0 new, 0 removed" in (reports / "index.html").read_text(encoding="utf-8")
