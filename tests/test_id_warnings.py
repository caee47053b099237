"""Ids that cannot be PubMed's (20 digits, signed, full-width digits, PMC + 20 digits) are
warned about, never dropped in silence; a run with no claim found says why on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.cli import main
from grading.documents.citations import extract_citations
from grading.documents.id_warnings import id_warnings

ODD_IDS = ("Zinc shortens colds in adults (PMID: 12345678901234567890).\n"
           "Vitamin C prevents colds in athletes (PMID: -12345).\n"
           "Echinacea shortens colds in children (PMID: \uff11\uff12\uff13\uff14\uff15).\n"
           "Garlic prevents colds in adults (PMC12345678901234567890).\n"
           "Honey soothes coughs in children (PMID: 16996037).\n")


def test_each_impossible_id_gets_a_warning_and_good_ones_none() -> None:
    warnings = id_warnings("doc.md", ODD_IDS, extract_citations(ODD_IDS))
    said = [message for _, message in warnings]
    assert len(said) == 4, said
    assert "20 digits (1 to 8 expected)" in said[0] and "signed" in said[1]
    assert "full-width digits" in said[2] and "'12345'" in said[2]
    assert "PMCID" in said[3] and "20 digits (1 to 12 expected)" in said[3]
    assert all(m.startswith("in doc.md: ") and m.endswith("not looked up") for m in said)


@pytest.mark.e2e
def test_a_run_warns_about_them_on_stderr(tmp_path: Path, prefect_harness, capsys) -> None:
    (tmp_path / "ids.md").write_text(ODD_IDS, encoding="utf-8")
    assert main(["run", str(tmp_path / "ids.md"), "--offline", "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "r")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("grading: warning:")]
    assert sum("not looked up" in line for line in warnings) == 4, warnings


@pytest.mark.e2e
def test_no_claim_found_exits_0_with_a_hint(tmp_path: Path, prefect_harness, capsys) -> None:
    (tmp_path / "menu.md").write_text("Home\n\nAbout us\n\nContact\n", encoding="utf-8")
    assert main(["run", str(tmp_path / "menu.md"), "--offline", "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert " 0 claims" in captured.out
    hints = [line for line in captured.err.splitlines() if line.startswith("grading: hint: ")]
    assert len(hints) == 1 and "no claim was found in the 1 source(s) read" in hints[0]
