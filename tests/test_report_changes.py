"""Reports over a real two-run warehouse (tests/report_fixtures.py): the change views, the pages
they feed, links between the files, and hostile documents checked in every written page."""

from __future__ import annotations

import csv
import html
import re
import urllib.parse
from pathlib import Path

import pytest
from lxml import html as lxml_html

from grading.cli import main
from tests.report_fixtures import ADDED_CLAIM, HOSTILE_STEM, query

pytestmark = pytest.mark.e2e

HOSTILE_MARKERS = ("<script>window.__pwned", "onerror=\"window.__pwned", "javascript:window.__pwned",
                   "<svg onload=", "<iframe src=\"javascript:")


def pages(reports: Path) -> list[Path]:
    return [reports / "index.html", reports / "changes.html", *sorted((reports / "sources").glob("*.html"))]


def test_claim_changes_show_removed_new_and_regraded(two_runs) -> None:
    rows = query(two_runs.warehouse, "SELECT change, source, source_change, claim_text, previous_status, status "
                                     "FROM claim_changes")
    by_text = {(r[1], r[3]): r for r in rows}
    removed = by_text[(two_runs.edited_source, two_runs.removed_claim)]
    assert removed[0] == "removed" and removed[2] == "edited" and removed[5] is None
    added = by_text[(two_runs.edited_source, ADDED_CLAIM)]
    assert added[0] == "new" and added[4] is None and added[5] is not None
    # Every claim that existed before and now rests only on the retracted record was re-graded.
    now_retracted = query(two_runs.warehouse, "SELECT source, claim_text FROM claim_grades WHERE status = 'retracted'")
    assert now_retracted
    for source, text in now_retracted:
        assert by_text[(source, text)][0] == "regraded" and by_text[(source, text)][4] != "retracted"
    # Sources whose text did not change have no new or removed claims, only re-grades.
    assert {r[0] for r in rows if r[2] == "unchanged"} <= {"regraded"}
    assert query(two_runs.warehouse, "SELECT count(*) FROM claim_changes WHERE run_id <> ? OR previous_run_id <> ?",
                 two_runs.run_ids[1], two_runs.run_ids[0]) == [(0,)]


def test_newly_retracted_names_the_record_once(two_runs) -> None:
    rows = query(two_runs.warehouse, "SELECT pmid, previously_cited, n_claims FROM newly_retracted")
    assert [(r[0], r[1]) for r in rows] == [(two_runs.retracted_pmid, True)]
    assert rows[0][2] == query(two_runs.warehouse, "SELECT count(DISTINCT claim_id) FROM citations WHERE pmid = ?",
                               two_runs.retracted_pmid)[0][0]


def test_changes_page_lists_every_change(two_runs) -> None:
    page = (two_runs.reports / "changes.html").read_text(encoding="utf-8")
    counts = dict(query(two_runs.warehouse, "SELECT change, count(*) FROM claim_changes "
                                            "WHERE source_change <> 'dropped' GROUP BY 1"))
    doc = lxml_html.fromstring(page)
    items = doc.xpath("//li[contains(@class, 'change-item')]")
    assert len(items) == sum(counts.values())
    for kind, n in counts.items():
        assert len([i for i in items if i.get("data-change") == kind]) == n
    assert html.escape(two_runs.removed_claim, quote=False) in page and ADDED_CLAIM in page
    assert f'href="https://pubmed.ncbi.nlm.nih.gov/{two_runs.retracted_pmid}/"' in page
    lead = doc.xpath("string(//p[@class='lead'])")
    assert f"{counts.get('new', 0)} new, {counts.get('removed', 0)} removed" in " ".join(lead.split())


def test_every_local_link_resolves(two_runs) -> None:
    n_sources = query(two_runs.warehouse, "SELECT count(*) FROM source_texts")[0][0]
    assert len(list((two_runs.reports / "sources").glob("*.html"))) == n_sources
    for page in pages(two_runs.reports):
        doc = lxml_html.fromstring(page.read_text(encoding="utf-8"))
        for el in doc.xpath("//*[@href or @src]"):
            ref = el.get("href") or el.get("src")
            parts = urllib.parse.urlsplit(ref)
            if parts.scheme:
                assert parts.scheme in {"http", "https"} and parts.netloc, f"{page.name}: {ref}"
                continue
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.name}: {ref}"
            if parts.fragment and target.suffix == ".html":
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), f"{page.name}: {ref}"


def test_source_pages_show_every_claim_and_its_citations(two_runs) -> None:
    claims = query(two_runs.warehouse, "SELECT source, claim_id, certainty FROM claim_grades")
    pmids = query(two_runs.warehouse, "SELECT DISTINCT claim_id, pmid FROM citations WHERE pmid IS NOT NULL "
                                      "AND claim_id IS NOT NULL")
    text = {p.name: p.read_text(encoding="utf-8") for p in (two_runs.reports / "sources").glob("*.html")}
    where = {}
    for name, page in text.items():
        for claim_id in re.findall(r'<article class="card[^"]*" id="claim-([0-9a-f]+)"', page):
            where[claim_id] = name
    assert set(where) == {c[1] for c in claims}
    for claim_id, pmid in pmids:
        card = text[where[claim_id]].split(f'id="claim-{claim_id}"', 1)[1].split("</article>", 1)[0]
        assert f'<a href="https://pubmed.ncbi.nlm.nih.gov/{pmid}/" rel="noopener noreferrer">PMID {pmid}</a>' in card


def test_hostile_documents_reach_the_warehouse(two_runs) -> None:
    """The fixture must really carry markup into claims, citations and the source name."""
    claims = " ".join(r[0] for r in query(two_runs.warehouse, "SELECT claim_text FROM claim_grades"))
    raws = " ".join(r[0] for r in query(two_runs.warehouse, "SELECT raw FROM citations"))
    assert "onerror=" in claims and "javascript:" in claims and "<svg onload=" in claims
    assert "<script>" in raws and "<img src=x onerror=" in raws
    assert query(two_runs.warehouse, "SELECT count(*) FROM source_texts WHERE source LIKE ?",
                 f"%{HOSTILE_STEM}%") == [(2,)]


def test_hostile_documents_render_as_inert_text(two_runs) -> None:
    seen_as_text = ""
    for page in pages(two_runs.reports):
        doc = lxml_html.fromstring(page.read_text(encoding="utf-8"))
        scripts = doc.xpath("//script")
        assert [(s.get("src"), (s.text or "").strip()) for s in scripts] == \
            [("../report.js" if page.parent.name == "sources" else "report.js", "")], page.name
        assert not doc.xpath("//img|//iframe|//object|//embed|//svg[not(@class='chart' or @class='minibar')]|//a[not(@href)]"), page.name
        for el in doc.iter():
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on"), f"{page.name}: <{el.tag} {name}>"
                if name in {"href", "src", "action", "formaction", "xlink:href"}:
                    assert urllib.parse.urlsplit(value).scheme in {"", "http", "https"}, f"{page.name}: {value}"
        seen_as_text += doc.text_content()
    for marker in HOSTILE_MARKERS:
        assert marker in seen_as_text, marker
    assert HOSTILE_STEM in seen_as_text


def test_csv_exports_hold_the_latest_run(two_runs) -> None:
    for name, view in (("claims.csv", "claim_grades"), ("citations.csv", "citations"),
                       ("records.csv", "cited_records"), ("reasons.csv", "reasons")):
        with (two_runs.reports / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == query(two_runs.warehouse, f"SELECT count(*) FROM {view}")[0][0], name
        assert {r["run_id"] for r in rows} == {two_runs.run_ids[1]}, name
    with (two_runs.reports / "records.csv").open(encoding="utf-8", newline="") as fh:
        retracted = {r["pmid"]: r["retracted"] for r in csv.DictReader(fh)}
    assert retracted[str(two_runs.retracted_pmid)] == "true"


def test_report_replaces_stale_source_pages(two_runs, tmp_path: Path, capsys) -> None:
    out = tmp_path / "reports"
    (out / "sources").mkdir(parents=True)
    (out / "sources" / "gone-0000000.html").write_text("a page of a source no longer read")
    assert main(["report", "--warehouse", str(two_runs.warehouse), "--reports", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"report: {out / 'index.html'}"
    assert not (out / "sources" / "gone-0000000.html").exists()
    assert sorted(p.name for p in (out / "sources").iterdir()) == \
        sorted(p.name for p in (two_runs.reports / "sources").iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reports-")]


def test_report_on_a_warehouse_without_the_report_views_says_what_to_do(two_runs, tmp_path: Path, capsys) -> None:
    import duckdb

    old = tmp_path / "old.duckdb"
    old.write_bytes(two_runs.warehouse.read_bytes())
    con = duckdb.connect(str(old))
    con.execute("DROP VIEW newly_retracted")  # as a warehouse written before the view existed
    con.close()
    assert main(["report", "--warehouse", str(old), "--reports", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("grading: error: the warehouse lacks a report view") and "grading run" in err
    assert "\n" not in err and not (tmp_path / "r").exists()
