"""Report building blocks, without a warehouse: links, page names, highlighting, the chart,
CSV cells, and the rule that no template marks document text as safe."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grading.reports.csv import EXPORTS, csv_cell, write_csv
from grading.reports.html import (
    BAR_WIDTH,
    BAR_X,
    bar_chart,
    citation_href,
    highlight_rows,
    page_name,
    safe_url,
    shared_folder,
    short_label,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "grading" / "templates"


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "  javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
    "ftp://files.example.org/a.pdf", "//evil.example/x", "https:", "https:///nohost", "http://exa mple.org/",
    "https://example.org/\x00x", "", None, "mailto:a@b.c",
])
def test_safe_url_refuses_everything_but_http_with_a_host(url) -> None:
    assert safe_url(url) is None


def test_safe_url_keeps_http_and_https() -> None:
    assert safe_url("https://example.org/a?b=c#d") == "https://example.org/a?b=c#d"
    assert safe_url(" http://example.org/ ") == "http://example.org/"
    # A quote cannot break out: the URL is kept, and Jinja escapes it inside the attribute.
    assert safe_url('https://example.org/trial"onmouseover="x') == 'https://example.org/trial"onmouseover="x'


def test_citation_links_are_built_here() -> None:
    assert citation_href("author_list", "Doe J. <b>x</b>", 16996037) == "https://pubmed.ncbi.nlm.nih.gov/16996037/"
    assert citation_href("doi", "10.1002/<img src=x onerror=alert(1)>", None) == \
        "https://doi.org/10.1002/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    assert citation_href("doi", "javascript:alert(1)", None) is None
    assert citation_href("pmcid", "PMC3987924", None) == "https://pmc.ncbi.nlm.nih.gov/articles/PMC3987924/"
    assert citation_href("pmcid", "PMC1/../../x", None) is None
    assert citation_href("url", "ftp://files.example.org/a.pdf", None) is None
    assert citation_href("url", "https://example.org/a", None) == "https://example.org/a"
    assert citation_href("author_year", "Smith 2019", None) is None


def test_page_names_are_safe_readable_and_unique() -> None:
    hostile = "/tmp/c/<img src=x onerror=\"alert(1)\">tonic.md"
    names = {page_name(s) for s in ["data/sources/a.txt", "other/a.txt", hostile, "https://example.org/",
                                    "https://example.org/shop/tonic?id=1", "C:\\docs\\a.txt"]}
    assert len(names) == 6
    assert all(re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}\.html", n) for n in names), names
    assert page_name("data/sources/000_x.txt").startswith("000-x-txt-")
    assert page_name("https://example.org/").startswith("example-org-")
    assert page_name("data/sources/a.txt") == page_name("data/sources/a.txt")


def claim(cid: str, start: int, end: int, certainty: str = "low") -> dict:
    return {"claim_id": cid, "char_start": start, "char_end": end, "certainty": certainty}


def test_highlight_rows_start_at_claim_lines_and_split_multiline_claims() -> None:
    text = "Intro line.\nAlpha cures colds. Beta helps.\nGamma spans\ntwo lines.\nTail."
    a = claim("a", text.index("Alpha"), text.index("Alpha") + len("Alpha cures colds."))
    b = claim("b", text.index("Beta"), text.index("Beta") + len("Beta helps."))
    g = claim("g", text.index("Gamma"), text.index("lines.") + len("lines."))
    rows = highlight_rows(text, [g, b, a])
    assert [text[r.start:r.start + 5] for r in rows] == ["Intro", "Alpha", "Gamma"]
    assert [[c["claim_id"] for c in r.claims] for r in rows] == [[], ["a", "b"], ["g"]]
    assert "".join(p.text for r in rows for p in r.pieces) == text
    gamma = [p for r in rows for p in r.pieces if p.claim is g]
    assert "".join(p.text for p in gamma) == "Gamma spans\ntwo lines." and gamma[0].first


def test_overlapping_claims_are_clipped_but_keep_their_cards() -> None:
    text = "One two three four five."
    rows = highlight_rows(text, [claim("x", 0, 13), claim("y", 4, 18), claim("z", 5, 9)])
    pieces = [(p.text, p.claim and p.claim["claim_id"]) for p in rows[0].pieces]
    assert pieces == [("One two three", "x"), (" four", "y"), (" five.", None)]
    assert [c["claim_id"] for c in rows[0].claims] == ["x", "y", "z"]


@given(st.text(alphabet="ab \n.", max_size=60),
       st.lists(st.tuples(st.integers(0, 70), st.integers(0, 30)), max_size=8))
def test_highlighting_spells_the_text_exactly(text: str, spans: list[tuple[int, int]]) -> None:
    claims = [claim(f"c{i}", s, s + n) for i, (s, n) in enumerate(spans)]
    rows = highlight_rows(text, claims)
    assert "".join(p.text for r in rows for p in r.pieces) == text
    assert sorted(c["claim_id"] for r in rows for c in r.claims) == sorted(c["claim_id"] for c in claims)
    for r in rows:  # every piece of a row lies in the row's lines; every card's claim starts there
        assert all(r.start <= min(max(c["char_start"], 0), len(text)) for c in r.claims)


def test_bar_chart_lengths_follow_claim_counts() -> None:
    chart = bar_chart([{"label": "big", "href": "sources/big.html", "counts": {"very low": 30, "no evidence": 10}},
                       {"label": "small", "href": None, "counts": {"high": 5, "no evidence": 5}},
                       {"label": "empty", "href": None, "counts": {}}])
    big, small, empty = chart["rows"]
    assert [s["certainty"] for s in big["segments"]] == ["very low", "no evidence"]
    assert float(big["segments"][0]["x"]) == BAR_X
    assert sum(float(s["width"]) for s in big["segments"]) == pytest.approx(BAR_WIDTH, abs=0.2)
    assert sum(float(s["width"]) for s in small["segments"]) == pytest.approx(BAR_WIDTH / 4, abs=0.2)
    assert [s["certainty"] for s in small["segments"]] == ["high", "no evidence"]
    assert empty["segments"] == [] and empty["total"] == 0
    assert big["bar_y"] < small["bar_y"] < empty["bar_y"]


def test_chart_labels_drop_the_shared_folder_and_keep_the_end() -> None:
    assert shared_folder(["/tmp/x/corpus/a.txt", "/tmp/x/corpus/b.txt"]) == "/tmp/x/corpus/"
    assert shared_folder(["/tmp/x/a.txt", "/tmp/y/b.txt"]) == "/tmp/"
    assert shared_folder(["https://a.example/p", "https://b.example/q"]) == "https://"
    assert shared_folder(["data/one.txt"]) == "data/"
    assert short_label("x" * 50 + "tail.txt", 20) == "…" + ("x" * 50 + "tail.txt")[-19:]


def test_csv_cells() -> None:
    assert csv_cell(None) == "" and csv_cell(True) == "true" and csv_cell(False) == "false"
    assert csv_cell([16996037, 9173745]) == "16996037;9173745" and csv_cell([]) == ""
    assert csv_cell(-2) == "-2" and csv_cell(0) == "0"
    for formula in ("=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "\tx"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell(["=1", "b"]) == "'=1;b"
    assert csv_cell("Semax improves memory") == "Semax improves memory"


def test_csv_round_trips_quotes_commas_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    rows = [{"a": 'He said "yes", then\nleft', "b": ["x", "y"]}]
    write_csv(path, ["a", "b"], rows)
    assert list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")))) == [["a", "b"],
                                                                                ['He said "yes", then\nleft', "x;y"]]


def test_csv_column_orders_are_documented() -> None:
    doc = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    for export in EXPORTS:
        line = next((ln for ln in doc.splitlines() if ln.startswith(f"| `{export.filename}` |")), None)
        assert line is not None, f"{export.filename} missing from docs/warehouse.md"
        assert ", ".join(f"`{c}`" for c in export.columns) in line, export.filename


def test_no_template_marks_text_safe() -> None:
    for path in TEMPLATES.rglob("*.j2"):
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "autoescape" not in text, path.name
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"{path.name}: inline script"
        assert not re.search(r"\son[a-z]+=", text), f"{path.name}: inline event handler"
        assert " style=" not in text and "<style" not in text, f"{path.name}: inline style (CSP forbids it)"


def test_report_views_are_documented_column_by_column(tmp_path: Path) -> None:
    from grading.warehouse.database import open_warehouse

    doc = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    views = ("source_texts", "cited_records", "claim_changes", "newly_retracted")
    with open_warehouse(tmp_path / "w.duckdb") as con:
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE table_name IN (SELECT unnest(?))", [list(views)]).fetchall()
    assert {t for t, _ in columns} == set(views)
    for view in views:
        section = doc.split(f"### `{view}`", 1)[1].split("\n### ", 1)[0]
        for table, column in columns:
            if table == view:
                assert f"`{column}`" in section, f"{view}.{column}"
