"""The triage overview at 90 sources: one library run (grading.run.grade_corpus with an injected
PubmedSource over records made here) of 90 small pages in three tagged folders, each page built
with a known mix of the warnings a regulator acts on. The view, the CSV and the page agree on
the order by warnings; sources are named by their page titles and carry their tags; cards hold
one entry per record, claim text without markup, no internal strings; and in a real browser the
overview stays readable and filterable at 1400 and 420 px."""

from __future__ import annotations

import csv
import html as html_module
import re
from pathlib import Path

import pytest

from grading import run
from grading.pubmed.snapshot import SnapshotSource
from grading.reports.html import page_name
from grading.settings import Settings
from tests.factories import make_record
from tests.helpers import query

N_SOURCES = 90
TAGS = ("vendor", "blog", "news")
RECORDS = [
    make_record(30000001, "Velorin lowers blood pressure in spontaneously hypertensive rats",
                "Twelve spontaneously hypertensive rats received velorin for four weeks. Velorin lowered systolic "
                "blood pressure by 12 mmHg compared with vehicle in rats.", year=2018),
    make_record(30000002, "Velorin and systolic blood pressure in adults: a randomized controlled trial",
                "In this randomized, double-blind, placebo-controlled trial, 240 adults with hypertension received "
                "velorin or placebo for 12 weeks. Velorin lowered systolic blood pressure by 8 mmHg compared with "
                "placebo.", year=2020, authors=("Okafor A", "Lindqvist B"), pub_types=("Randomized Controlled Trial",)),
    make_record(30000003, "Velorin improves sleep quality in older adults: a randomized trial",
                "In a randomized, placebo-controlled trial, 180 older adults received velorin. Velorin improved "
                "sleep quality scores compared with placebo.", year=2019,
                pub_types=("Randomized Controlled Trial", "Retracted Publication")),
    make_record(30000004, "Soil nitrogen cycling in alpine meadows",
                "We measured nitrogen mineralisation in alpine meadow soils across three seasons.", year=2017),
]
# One sentence per warning, each about people; the figure one quotes a number the trial does not report.
LINES = {
    "uncited": "Velorin supports healthy energy levels in adults.",
    "preclinical": "Velorin lowers blood pressure in adults (PMID: 30000001).",
    "clinical": "Velorin is clinically proven to lower blood pressure (PMID: 30000001).",
    "retracted": "Velorin improves sleep quality in older adults (PMID: 30000003).",
    "offtopic": "Velorin improves memory in adults (PMID: 30000004).",
    "figure": "Velorin lowers systolic blood pressure by 45 mmHg in adults (PMID: 30000002).",
}
# What each kind of sentence counts towards in source_triage (a "clinical" claim on rat evidence is
# also a human claim resting on preclinical evidence).
COUNTS = {"uncited": ("uncited",), "preclinical": ("preclinical_only",),
          "clinical": ("clinical_wording", "preclinical_only"), "retracted": ("retracted",),
          "offtopic": ("not_supported",), "figure": ("figure_missing",)}
WARNINGS = ("not_supported", "retracted", "figure_missing", "preclinical_only", "clinical_wording", "uncited")
# Every page also has this claim: a Markdown link and a numbered marker to the same record.
GOOD = ("Velorin lowers systolic blood pressure in adults with hypertension "
        "([Okafor 2020](https://pubmed.ncbi.nlm.nih.gov/30000002/)) [1].")
GOOD_LINK = "[Okafor 2020](https://pubmed.ncbi.nlm.nih.gov/30000002/)"
REFERENCE = ("1. Okafor A, Lindqvist B. Velorin and systolic blood pressure in adults: a randomized controlled "
             "trial. PMID: 30000002")


def kinds_of(i: int) -> list[str]:
    """Page i's warning sentences: a different mix (and total) per page."""
    return [k for j, k in enumerate(LINES) if (i >> j) & 1 or i % 7 == j]


def page_text(i: int) -> tuple[str, str]:
    """(file name, text): Markdown pages, and every third an HTML page with a <title>."""
    title = f"Velorin notes, part {i:02d}"
    sentences = [GOOD, *(LINES[k] for k in kinds_of(i))]
    if i % 3 == 2:
        link = '<a href="https://pubmed.ncbi.nlm.nih.gov/30000002/">Okafor 2020</a>'
        paragraphs = "".join(f"<p>{s.replace(GOOD_LINK, link)}</p>\n" for s in sentences)
        return f"p{i:03d}.html", (f"<html><head><title>{title}</title></head><body><h1>Velorin</h1>\n{paragraphs}"
                                  f"<h2>References</h2><ol><li>{REFERENCE[3:]}</li></ol></body></html>\n")
    return f"p{i:03d}.md", f"# {title}\n\n" + "\n\n".join(sentences) + f"\n\n## References\n{REFERENCE}\n"


def expected(i: int) -> dict[str, int]:
    counts = dict.fromkeys(WARNINGS, 0)
    for kind in kinds_of(i):
        for warning in COUNTS[kind]:
            counts[warning] += 1
    return counts


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ninety")
    snapshot = root / "records.xml"
    snapshot.write_text("<PubmedArticleSet>" + "".join(r.raw_xml for r in RECORDS) + "</PubmedArticleSet>",
                        encoding="utf-8")
    for tag in TAGS:
        (root / tag).mkdir()
    for i in range(N_SOURCES):
        name, text = page_text(i)
        (root / TAGS[i % 3] / name).write_text(text, encoding="utf-8")
    listing = root / "sources.toml"
    listing.write_text("".join(f'[[source]]\npath = "{root / t}"\ntags = ["{t}"]\n\n' for t in TAGS), encoding="utf-8")
    settings = Settings.from_env({}, warehouse=root / "w.duckdb", reports=root / "reports", sources_list=listing)
    summary = run.grade_corpus(settings, None, pubmed=SnapshotSource(snapshot))  # the sources list: no SOURCE given
    assert summary.sources == N_SOURCES and not summary.failures
    return root


def number(source: str) -> int:
    return int(re.search(r"p(\d{3})\.", source).group(1))


def test_the_view_counts_each_pages_warnings_and_orders_by_them(many: Path) -> None:
    got = query(many / "w.duckdb", f"SELECT source, {', '.join(WARNINGS)}, evidence_warnings, claims_flagged, tags "
                                   "FROM source_triage")
    assert len(got) == N_SOURCES
    for source, *values, tags in got:
        i = number(source)
        assert dict(zip(WARNINGS, values[:6])) == expected(i), source
        assert tags == [TAGS[i % 3]]
    keys = [(-r[7], -r[6], -r[8], r[0]) for r in got]  # evidence warnings, then uncited, then claims flagged
    assert keys == sorted(keys)
    assert len({r[7] for r in got}) > 5  # the order means something: many different totals


def test_the_csv_and_the_overview_follow_the_view(many: Path) -> None:
    view = query(many / "w.duckdb", "SELECT source, title, tags FROM source_triage")
    with (many / "reports" / "triage.csv").open(encoding="utf-8", newline="") as fh:
        assert [r["source"] for r in csv.DictReader(fh)] == [r[0] for r in view]
    html = (many / "reports" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<th scope="row" class="src" data-value="([^"]*)"><a href="sources/([^"]+)">', html)
    assert [name for _, name in rows] == [page_name(r[0]) for r in view]
    # Named by the page's title (a Markdown heading or an HTML <title>), never the file name.
    assert [label for label, _ in rows] == [f"Velorin notes, part {number(r[0]):02d}" for r in view]
    assert all(r[1] == f"Velorin notes, part {number(r[0]):02d}" for r in view)
    for tag in TAGS:
        assert re.search(rf'value="{tag}" checked> {tag} <span class="n">30</span>', html)


def test_every_card_is_quotable(many: Path) -> None:
    """One entry per record per card; cite blocks quote the claim without markup and the record's
    sentence; no internal key (fields joined with '|') anywhere a reader looks."""
    pages = sorted((many / "reports" / "sources").glob("*.html"))
    assert len(pages) == N_SOURCES
    started = query(many / "w.duckdb", "SELECT started_at FROM latest_run")[0][0]
    stamp = f"{started:%Y-%m-%d %H:%M:%S} UTC"  # when the run read its sources
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert f"retrieved {stamp}" in html and f"<dt>Retrieved</dt><dd>{stamp}</dd>" in html
        assert re.search(r"<title>Velorin notes, part \d\d · Evidence grades</title>", html)
        for card in re.findall(r'<article class="card.*?</article>', html, re.DOTALL):
            cites = re.search(r'<ul class="cites">(.*?)</ul>', card, re.DOTALL)
            pmids = re.findall(r">PMID (\d+)</a>", cites.group(1)) if cites else []
            assert len(pmids) == len(set(pmids)), card
            claim = re.search(r"<dt>Claim</dt><dd>“(.*?)”</dd>", card).group(1)
            assert "](" not in claim and "[Okafor" not in claim
        assert "Okafor 2020" in html and "<dt>Abstract says</dt>" in html
        text = re.sub(r"<[^>]+>", " ", html)
        assert not re.search(r"\w\|\d{4}\|", text), page
    good = query(many / "w.duckdb", "SELECT count(*) FROM claim_grades WHERE claim_text LIKE '%[Okafor 2020](%'")
    assert good[0][0] > 0  # the stored text keeps its markup (offsets stay exact); only what is shown drops it
    with (many / "reports" / "claims.csv").open(encoding="utf-8", newline="") as fh:
        assert not [r for r in csv.DictReader(fh) if "](" in r["claim_display_text"]]
    # The cite block quotes the sentence the support label rests on (claim_support), on every page.
    quoted = {q[0] for q in query(many / "w.duckdb", "SELECT DISTINCT span_text FROM support_labels "
                                                     "WHERE pmid = 30000002 AND span_text IS NOT NULL")}
    assert quoted
    for page in pages:
        blocks = html_module.unescape(" ".join(re.findall(r'<details class="cite-finding">.*?</details>',
                                                          page.read_text(encoding="utf-8"), re.DOTALL)))
        assert any(f"“{q}”" in blocks for q in quoted), page


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 420])
def test_the_overview_of_90_sources_reads_at_any_width(many: Path, browser, width: int) -> None:
    from tests.conftest import BROWSER_ARTIFACTS

    order = [r[0] for r in query(many / "w.duckdb", "SELECT source FROM source_triage")]
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((many / "reports" / "index.html").as_uri())
        assert page.title() == "Overview · Evidence grades"
        page.screenshot(path=str(BROWSER_ARTIFACTS / f"overview-90-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing clipped or wider
        rows = page.locator("table.triage tbody tr")
        assert rows.count() == N_SOURCES
        shown = page.eval_on_selector_all("table.triage tbody th.src .where", "els => els.map(e => e.textContent)")
        assert shown == order
        totals = page.eval_on_selector_all(
            "table.triage tbody tr", "rs => rs.map(r => [...r.querySelectorAll('td.warn')].slice(0, 5)"
                                     ".reduce((n, td) => n + Number(td.dataset.value), 0))")
        assert totals == sorted(totals, reverse=True) and totals[0] > totals[-1]
        # Each source: its title readable (not a word a line), its warnings on screen without scrolling sideways.
        for i in (0, N_SOURCES // 2, N_SOURCES - 1):
            row = rows.nth(i)
            row.scroll_into_view_if_needed()
            title = row.locator("th.src > a")
            assert title.inner_text().startswith("Velorin notes, part")
            box = title.bounding_box()
            assert box and box["height"] < 3 * 24 and box["x"] >= 0 and box["x"] + box["width"] <= width
            for hit in row.locator("td.warn.hit").all():
                hit_box = hit.bounding_box()
                assert hit_box and hit_box["x"] >= 0 and hit_box["x"] + hit_box["width"] <= width
            if width < 800:  # a block per source: only the warnings it has, each labelled
                assert row.locator("td.warn.zero").count() == 0 or row.locator("td.warn.zero").first.is_hidden()
                assert row.bounding_box()["height"] < 400
        # Filter by tag: one folder's 30 sources, still in order.
        for tag in ("vendor", "news"):
            page.locator(f"fieldset[data-filter=tags] input[value={tag}]").uncheck()
        visible = page.eval_on_selector_all("table.triage tbody tr", "rs => rs.filter(r => r.offsetParent)"
                                            ".map(r => r.querySelector('.where').textContent)")
        assert visible == [s for s in order if "/blog/" in s] and len(visible) == 30
        assert page.locator("form.filters output[data-shown]").inner_text().startswith("30 of 90")
        page.screenshot(path=str(BROWSER_ARTIFACTS / f"overview-90-blog-{width}.png"))
        assert errors == []
    finally:
        context.close()
