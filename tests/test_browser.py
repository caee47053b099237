"""The HTML reports in a real browser: Debian's chromium driven by Playwright, one browser for
the session, pages opened from the file system as a reader would.

Every page loads with no console error, no script error and no request leaving the report
folder; the filters change what is shown; links point where they should; hostile documents
stay inert. A full-page screenshot of each page goes to test-artifacts/browser/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from grading.reports.html import page_name, source_label
from tests.report_fixtures import HOSTILE_STEM, query

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


class Visit:
    """One page in a fresh context, with everything it logged, raised, asked or requested."""

    def __init__(self, browser, path: Path, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def assert_clean(self, folder: Path) -> None:
        name = self.page.url
        assert self.console == [], f"{name}: console errors {self.console}"
        assert self.errors == [], f"{name}: script errors {self.errors}"
        assert self.dialogs == [], f"{name}: dialogs {self.dialogs}"
        outside = [u for u in self.requests if not u.startswith(folder.as_uri() + "/")]
        assert outside == [], f"{name}: requests outside the report folder {outside}"
        assert self.page.evaluate("typeof window.__pwned") == "undefined", name

    def close(self) -> None:
        self.context.close()


def report_pages(reports: Path) -> list[Path]:
    return [reports / "index.html", reports / "changes.html", *sorted((reports / "sources").glob("*.html"))]


def shot_name(page: Path) -> str:
    """index, changes, source-<name>: without the page's hash, which depends on the temp folder."""
    return page.stem if page.parent.name != "sources" else "source-" + re.sub(r"-[0-9a-f]{8}$", "", page.stem)


def test_every_page_loads_clean_and_is_screenshotted(two_runs, browser) -> None:
    for path in report_pages(two_runs.reports):
        visit = Visit(browser, path)
        try:
            page = visit.page
            assert page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") \
                == "rgb(244, 245, 247)", f"{path.name}: report.css not applied"
            if page.locator("form.filters").count():
                assert page.locator("form.filters").is_visible(), f"{path.name}: report.js did not run"
            page.screenshot(path=str(ARTIFACTS / f"{shot_name(path)}.png"), full_page=True)
            visit.assert_clean(two_runs.reports)
        finally:
            visit.close()
    assert {p.name for p in ARTIFACTS.glob("*.png")} >= {f"{shot_name(p)}.png" for p in report_pages(two_runs.reports)}


def busiest_source(warehouse: Path) -> str:
    """The source with the most claims among those whose claims have two certainties or more."""
    return query(warehouse, "SELECT source FROM claim_grades GROUP BY source HAVING count(DISTINCT certainty) > 1 "
                            "ORDER BY count(*) DESC, source LIMIT 1")[0][0]


def visible_cards(page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "article.card", "els => els.filter(e => e.offsetParent !== null).map(e => ({certainty: e.dataset.certainty, "
                        "status: e.dataset.status, id: e.id}))")


def test_filters_change_what_is_shown(two_runs, browser) -> None:
    source = busiest_source(two_runs.warehouse)
    claims = query(two_runs.warehouse, "SELECT claim_id, certainty, status FROM claim_grades WHERE source = ?", source)
    common = max({c[1] for c in claims}, key=lambda v: (sum(c[1] == v for c in claims), v))
    visit = Visit(browser, two_runs.reports / "sources" / page_name(source))
    try:
        page = visit.page
        shown = page.locator("output[data-shown]")
        assert len(visible_cards(page)) == len(claims)
        assert shown.text_content() == f"{len(claims)} of {len(claims)} claims shown"

        page.locator(f'fieldset[data-filter="certainty"] input[value="{common}"]').uncheck()
        rest = [c for c in claims if c[1] != common]
        assert sorted(c["id"] for c in visible_cards(page)) == sorted(f"claim-{c[0]}" for c in rest)
        assert shown.text_content() == f"{len(rest)} of {len(claims)} claims shown"
        hidden = next(c[0] for c in claims if c[1] == common)
        assert page.eval_on_selector(f'mark[data-claim="{hidden}"]', "e => getComputedStyle(e).backgroundColor") \
            == "rgba(0, 0, 0, 0)", "a filtered-out claim keeps its highlight"
        kept = rest[0][0]
        assert page.eval_on_selector(f'mark[data-claim="{kept}"]', "e => getComputedStyle(e).backgroundColor") \
            != "rgba(0, 0, 0, 0)", "a shown claim lost its highlight"

        status = rest[0][2]
        for box in page.locator('fieldset[data-filter="status"] input').all():
            if box.get_attribute("value") != status:
                box.uncheck()
        both = [c for c in rest if c[2] == status]
        assert sorted(c["id"] for c in visible_cards(page)) == sorted(f"claim-{c[0]}" for c in both)
        rows = page.eval_on_selector_all(".row", "els => els.map(e => [e.offsetParent !== null, "
                                                 "[...e.querySelectorAll('article.card')].some(c => c.offsetParent !== null)])")
        assert all(shown_row == has_card for shown_row, has_card in rows), "passages without a shown claim stay"
        page.screenshot(path=str(ARTIFACTS / "source-filtered.png"))

        page.get_by_role("button", name="Show all").click()
        expect(shown).to_have_text(f"{len(claims)} of {len(claims)} claims shown")  # reset applies a tick later
        assert len(visible_cards(page)) == len(claims)
        assert page.locator(".row.folded").count() == 0
        visit.assert_clean(two_runs.reports)
    finally:
        visit.close()


def test_changes_page_filters_by_kind(two_runs, browser) -> None:
    counts = dict(query(two_runs.warehouse, "SELECT change, count(*) FROM claim_changes "
                                            "WHERE source_change <> 'dropped' GROUP BY 1"))
    visit = Visit(browser, two_runs.reports / "changes.html")
    try:
        page = visit.page
        items = "li.change-item"
        count_visible = f"[...document.querySelectorAll('{items}')].filter(e => e.offsetParent !== null).length"
        assert page.evaluate(count_visible) == sum(counts.values())
        page.locator('fieldset[data-filter="change"] input[value="regraded"]').uncheck()
        assert page.evaluate(count_visible) == sum(counts.values()) - counts["regraded"]
        kinds = page.eval_on_selector_all(items, "els => els.filter(e => e.offsetParent !== null)"
                                                 ".map(e => e.dataset.change)")
        assert set(kinds) == {"new", "removed"}
        visit.assert_clean(two_runs.reports)
    finally:
        visit.close()


def test_links_point_where_they_should(two_runs, browser) -> None:
    triage = query(two_runs.warehouse, "SELECT source, title, url FROM source_triage")  # warnings order
    sources = [r[0] for r in triage]
    labels = {source: source_label(source, title, url) for source, title, url in triage}
    visit = Visit(browser, two_runs.reports / "index.html")
    try:
        page = visit.page
        table_links = page.eval_on_selector_all("table.triage th.src > a", "els => els.map(e => e.getAttribute('href'))")
        assert table_links == [f"sources/{page_name(s)}" for s in sources]
        for source, href in zip(sources, table_links):
            page.locator(f'table.triage a[href="{href}"]').click()
            assert page.locator("h1").inner_text() == source
            assert page.title() == f"{labels[source]} · Evidence grades"  # a tab named by the page's title
            pmid_links = page.eval_on_selector_all(
                "article.card a", "els => els.filter(e => e.textContent.startsWith('PMID '))"
                                  ".map(e => [e.textContent, e.href])")
            for text, url in pmid_links:
                assert url == f"https://pubmed.ncbi.nlm.nih.gov/{text.removeprefix('PMID ')}/"
            page.go_back()
        for name in ("claims", "citations", "triage", "records", "reasons"):
            assert page.get_by_role("link", name=name, exact=True).get_attribute("href") == f"{name}.csv"

        page.get_by_role("link", name="Changes since the previous run").click()
        assert page.url.endswith("/changes.html")
        goto = page.locator("a.goto").first
        target = goto.get_attribute("href")
        goto.click()
        assert page.url.endswith(target)
        card = page.locator("article.card:target")
        assert card.count() == 1 and card.get_attribute("id") == target.split("#", 1)[1]
        assert card.is_visible() and card.bounding_box()["y"] < 900
        page.get_by_role("link", name="Overview").click()
        assert page.url.endswith("/index.html")
        visit.assert_clean(two_runs.reports)
    finally:
        visit.close()


def test_hostile_documents_stay_inert(two_runs, browser) -> None:
    hostile = [s for (s,) in query(two_runs.warehouse, "SELECT source FROM source_texts WHERE source LIKE ?",
                                   f"%{HOSTILE_STEM}%")]
    assert len(hostile) == 2
    for path in [two_runs.reports / "index.html", two_runs.reports / "changes.html",
                 *(two_runs.reports / "sources" / page_name(s) for s in hostile)]:
        visit = Visit(browser, path)
        try:
            page = visit.page
            for mark in page.locator("mark.hl").all()[:20]:  # a live onmouseover would fire now
                mark.hover()
            page.wait_for_timeout(200)  # and a live onerror or onload by now
            assert page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))") \
                in (["report.js"], ["../report.js"])
            assert page.evaluate("[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                                 ".filter(a => a.name.startsWith('on')).length") == 0
            assert page.locator("img, iframe, object, embed, svg:not(.chart):not(.minibar)").count() == 0
            protocols = set(page.eval_on_selector_all(  # chart links are SVG <a>: resolve them by hand
                "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).protocol)"))
            assert protocols <= {"file:", "http:", "https:"}, protocols
            text = page.locator("body").inner_text()
            if path.name != "changes.html":  # (changes lists a source only when its claims changed)
                assert HOSTILE_STEM in text, path.name
            if path.parent.name == "sources":
                assert re.search(r"<script>window\.__pwned|onerror=\"window\.__pwned", text), path.name
            visit.assert_clean(two_runs.reports)
        finally:
            visit.close()
