"""Claim and citation identity includes the source: identical texts at two sources are two sets
of claims, and a renamed or moved source's current rows carry its new name (history stays)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.documents.claims import claim_id
from grading.models import CitationMention
from grading.pipeline import citation_id

pytestmark = pytest.mark.e2e

TEXT = ("Zinc lozenges shorten the common cold in adults (PMID: 11111111).\n\n"
        "Vitamin D lowers the risk of falls in older adults [1].\n\n"
        "References\n1. Smith J. Vitamin D and falls. BMJ. 2009;339:b3692. PMID: 22222222\n")


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run(*args: str) -> int:
    return main(["run", *args, "--offline"])


def test_ids_differ_by_source_and_not_otherwise() -> None:
    assert claim_id("h", 0, 10, source="a.txt") != claim_id("h", 0, 10, source="b.txt")
    assert claim_id("h", 0, 10, source="a.txt") == claim_id("h", 0, 10, source="a.txt")
    assert claim_id("h", 0, 10, source="\udcffname.txt")  # an undecodable file name still hashes
    m = CitationMention(char_start=3, char_end=9, raw="PMID 1", kind="pmid", value="1")
    assert citation_id("h", m, source="a.txt") != citation_id("h", m, source="b.txt")


def test_the_same_text_at_two_sources_is_two_sets_of_claims(tmp_path: Path, prefect_harness, capsys) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.md").write_text(TEXT, encoding="utf-8")
    (docs / "mirror.md").write_text(TEXT, encoding="utf-8")
    (docs / "saved-utf16.txt").write_bytes(TEXT.encode("utf-16"))
    w = tmp_path / "w.duckdb"
    assert run(str(docs), "--warehouse", str(w), "--reports", str(tmp_path / "r")) == 0
    capsys.readouterr()
    per_source = dict(query(w, "SELECT source, count(*) FROM claim_grades GROUP BY 1"))
    assert len(per_source) == 3 and len(set(per_source.values())) == 1 and min(per_source.values()) >= 2
    assert query(w, "SELECT count(*) FROM quarantine") == [(0,)]
    links = dict(query(w, "SELECT m.source, count(*) FROM citations m GROUP BY 1"))
    assert len(links) == 3 and len(set(links.values())) == 1


def test_a_moved_source_carries_its_new_name_and_history_stays(tmp_path: Path, prefect_harness, capsys,
                                                              monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(TEXT, encoding="utf-8")
    w = tmp_path / "w.duckdb"
    assert run("docs", "--warehouse", str(w), "--reports", "r") == 0  # a relative path first
    first = query(w, "SELECT claim_text, certainty, status FROM claim_grades ORDER BY char_start")
    moved = (tmp_path / "docs" / "renamed.md").resolve()
    (tmp_path / "docs" / "page.md").rename(moved)
    assert run(str(moved.parent), "--warehouse", str(w), "--reports", "r") == 0  # then absolute, renamed
    capsys.readouterr()
    now = query(w, "SELECT source, claim_text, certainty, status FROM claim_grades ORDER BY char_start")
    assert {r[0] for r in now} == {str(moved)}
    assert [r[1:] for r in now] == first  # same claims, same grades, under the new name
    note = query(w, "SELECT message FROM run_issues WHERE run_id = (SELECT run_id FROM latest_run) "
                    "AND stage = 'sources' AND subject = ?".replace("?", f"'{moved}'"))
    assert note and "docs/page.md" in note[0][0] and "renamed or moved" in note[0][0]
    # History: the first run's claims are still there under the old name.
    assert query(w, "SELECT count(DISTINCT source) FROM claims_all") == [(2,)]
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "renamed.md" in page
