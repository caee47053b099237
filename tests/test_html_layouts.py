"""Real HTML layouts (tests/fixtures/html) through `grading run --offline`: the claim next to
each marker links to the citation it names, and the link says which rule made it.

Layouts: WordPress footnotes (`<sup><a href="#fn1">1</a></sup>` with an `<ol>` and back-links),
Wikipedia references (`<sup class="reference"><a href="#cite_note-…">[2]</a></sup>`, an
`<ol class="references">`, an anchor pointing nowhere), PubMed links as `[n]` text and around a
`<sup>`, study cards in `<div>`s with a `<dl>` of study details, a hero banner and a footer
that carry claims.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from grading.cli import main

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent / "fixtures" / "html"


@pytest.fixture(scope="module")
def run(tmp_path_factory, prefect_harness) -> tuple[duckdb.DuckDBPyConnection, Path]:
    out = tmp_path_factory.mktemp("html_layouts")
    files = sorted(str(p) for p in FIXTURES.glob("*.html"))
    assert main(["run", *files, "--offline", "--warehouse", str(out / "w.duckdb"),
                 "--reports", str(out / "reports")]) == 0
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    yield con, out / "reports"
    con.close()


def links(con, fixture: str) -> set[tuple[str, int | None, str | None]]:
    """(claim text, PMID, link method) of every link on one page."""
    rows = con.execute("""
        SELECT g.claim_text, c.pmid, c.link_method FROM citations c JOIN claim_grades g USING (claim_id)
        WHERE c.source LIKE ?""", [f"%{fixture}"]).fetchall()
    return {(t, p, m) for t, p, m in rows}


def claims(con, fixture: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT claim_text FROM claim_grades WHERE source LIKE ? ORDER BY char_start",
                                      [f"%{fixture}"]).fetchall()]


def test_wordpress_footnotes_link_by_number(run) -> None:
    con, _ = run
    got = links(con, "wordpress_footnotes.html")
    assert ("Examplamide improved memory scores in older adults after eight weeks", 16996037, "numbered-list") in got
    assert ("Examplamide reduced markers of oxidative stress in rats", 16362768, "numbered-list") in got
    # The sentence with no marker on a page of two sources stays uncited.
    assert not any(t.startswith("Examplamide is sold") for t, _, _ in got)
    assert "Examplamide is sold in many countries without a prescription." in claims(con, "wordpress_footnotes.html")


def test_wikipedia_references_follow_the_anchor(run) -> None:
    con, _ = run
    got = links(con, "wikipedia_references.html")
    assert ("In rats, examplamide increases the expression of neurotrophin genes in the hippocampus", 24661604,
            "numbered-list") in got
    assert ("It also inhibits enzymes that degrade enkephalins in human serum", 11443939, "numbered-list") in got
    # [9] points to no reference: no link is invented for it.
    assert not any(t.startswith("It is not approved") for t, _, _ in got)
    # The list entry no marker names links to nothing.
    unlinked = con.execute("SELECT pmid FROM citations WHERE source LIKE '%wikipedia_references.html' "
                           "AND claim_id IS NULL").fetchall()
    assert unlinked == [(19662538,)]


def test_pubmed_links_as_text_and_around_sup(run) -> None:
    con, _ = run
    got = links(con, "link_markers.html")
    assert got == {("Examplamide regulates BDNF expression in the rat hippocampus", 16996037, "inline"),
                   ("Examplamide activates dopaminergic brain systems in rodents", 16362768, "inline")}


def test_study_cards_link_their_own_details(run) -> None:
    con, _ = run
    got = links(con, "study_cards.html")
    assert {(t, p) for t, p, m in got if m == "block"} == {
        ("Examplamide oil regrows hair in mice", 28885585),
        ("Topical examplamide oil promoted hair regrowth in mice after 21 days compared with vehicle.", 28885585),
        ("Examplamide protects hair follicles during chemotherapy", 27158238),
        ("Examplamide extract protected human hair follicles against chemotherapy-induced damage.", 27158238)}
    # The hero banner and the footer are read, and their claims cite nothing.
    found = claims(con, "study_cards.html")
    assert "Clinically proven to support healthy hair growth" in found
    assert "All data presented is from clinical trials." in found
    assert not any(t.startswith(("Clinically proven", "All data")) for t, _, _ in got)


def test_link_method_and_confidence_in_csv_and_source_page(run) -> None:
    _, reports = run
    with (reports / "citations.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    block = [r for r in rows if r["link_method"] == "block"]
    assert block and all(0 < float(r["confidence"]) <= 1 for r in block)
    assert all(r["link_method"] == "" for r in rows if r["claim_id"] == "")
    pages = {p.name: p.read_text(encoding="utf-8") for p in (reports / "sources").glob("*.html")}
    cards = next(text for name, text in pages.items() if "study-cards" in name)
    assert "block link (0.85)" in cards
