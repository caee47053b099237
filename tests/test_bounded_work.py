"""Bounded work: per-document caps on claims and citations with a note on what was cut, and
Prefect's result storage pruned by age and size."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.documents.caps import cap_document
from grading.documents.sources import read_source
from grading.pipeline import extract_document
from grading.prefect_results import prune_results


def many_claims(n: int) -> str:
    return "".join(f"Compound {i} lowers blood pressure in adults (PMID: {10_000_000 + i}).\n\n" for i in range(n))


def test_caps_keep_the_first_claims_and_citations_and_say_what_was_cut(tmp_path: Path) -> None:
    (tmp_path / "dump.md").write_text(many_claims(50))
    doc = extract_document(read_source(str(tmp_path / "dump.md")))
    assert len(doc.claims) == 50 and len(doc.mentions) == 50
    capped, note = cap_document(doc, max_claims=10, max_citations=20)
    assert [c.claim_id for c in capped.claims] == [c.claim_id for c in doc.claims[:10]]
    assert len(capped.mentions) == len(capped.attached) == 20
    kept = {c.claim_id for c in capped.claims}
    assert all(a is None or a in kept for a in capped.attached)
    assert note == (f"40 of 50 claims not graded (GRADING_MAX_CLAIMS=10; graded up to character "
                    f"{doc.claims[9].char_end}); 30 of 50 citations not read (GRADING_MAX_CITATIONS=20)")
    same, none = cap_document(doc, 50, 50)
    assert same is doc and none is None


@pytest.mark.e2e
def test_a_run_over_a_capped_document_notes_the_cut(tmp_path: Path, prefect_harness, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GRADING_MAX_CLAIMS", "12")
    (tmp_path / "dump.md").write_text(many_claims(40))
    w = tmp_path / "w.duckdb"
    assert main(["run", str(tmp_path / "dump.md"), "--offline", "--warehouse", str(w), "--reports",
                 str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert " 12 claims" in captured.out
    assert any("28 of 40 claims not graded (GRADING_MAX_CLAIMS=12" in line
               for line in captured.err.splitlines() if line.startswith("grading: warning: "))
    con = duckdb.connect(str(w), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM claim_grades").fetchone()[0] == 12
        assert con.execute("SELECT count(*) FROM run_issues WHERE stage = 'caps'").fetchone()[0] == 1
    finally:
        con.close()


def test_prefect_results_are_pruned_by_age_then_size(tmp_path: Path) -> None:
    now = time.time()
    for i, (age_days, size) in enumerate([(30, 10), (20, 10), (3, 400_000), (2, 400_000), (1, 400_000), (0, 10)]):
        f = tmp_path / "results" / f"r{i}"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(b"x" * size)
        os.utime(f, (now - age_days * 86400, now - age_days * 86400))
    pruned = prune_results(tmp_path / "results", max_age_days=14, max_mb=1.0, now=now)
    left = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert left == ["r3", "r4", "r5"]  # two too old, then the oldest beyond 1 MB
    assert pruned.files == 3 and pruned.bytes == 400_020
    assert prune_results(tmp_path / "missing", 1, 1).files == 0


def test_a_source_page_folds_a_huge_text_after_its_last_claim() -> None:
    from grading.reports.html import PAGE_TEXT_CHARS, highlight_rows, shown_text

    text = "Zinc lowers colds in adults. " * (PAGE_TEXT_CHARS // 10)
    claim = {"claim_id": "c1", "char_start": 0, "char_end": 27, "certainty": "low", "number": 1}
    shown = shown_text(text, [claim])
    assert len(shown) < PAGE_TEXT_CHARS + 200 and shown.startswith(text[:PAGE_TEXT_CHARS])
    assert shown.endswith("more characters of this document are not shown here; the full text is in the "
                          "warehouse: source_versions.text]")
    late = {**claim, "char_start": len(text) - 60, "char_end": len(text) - 33}
    assert shown_text(text, [late]) == text  # never cut before a claim
    assert highlight_rows(shown, [claim])
    assert shown_text("short", []) == "short"
