"""The operator's views in a real browser (Debian's chromium through Playwright): the triage
overview sorted by warnings at 1400 and 420 px (full-page screenshots under a temporary folder,
checked: nothing wider than the window, the warnings in view), a permalink opening its claim,
a scratch check leaving the watch list's pages byte-identical, and the Prefect UI of a running
`grading serve` listing its flow runs."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.report_fixtures import HOSTILE_DIR, query

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[1]
WARNING_KEYS = ("not_supported", "retracted", "figure_missing", "preclinical_only", "clinical_wording")


@pytest.fixture(scope="module")
def chromium(browser):
    """The session's one Chromium (tests.test_browser): Playwright's sync API cannot start once a
    test in this process has left an asyncio loop running, so it is started once, early."""
    return browser


@pytest.fixture(scope="module")
def watch_list(tmp_path_factory, prefect_harness, seeds_dir: Path):
    """The seeds and a page of our own in a sources list with two tags, graded offline."""
    from grading.flows.grade_corpus import grade_corpus

    root = tmp_path_factory.mktemp("watch-list")
    (root / "vendors").mkdir()
    for path in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(path, root / "vendors" / path.name)
    shutil.copy(HOSTILE_DIR / "hostile.md", root / "blog.md")
    listing = root / "sources.toml"
    listing.write_text(f'[[source]]\npath = "{root / "vendors"}"\ntags = ["vendor"]\n\n'
                       f'[[source]]\npath = "{root / "blog.md"}"\ntags = ["blog"]\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADING_SOURCES_LIST", str(listing))
        grade_corpus(warehouse=str(root / "w.duckdb"), reports=str(root / "reports"), offline=True)
    return root


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as fh:
        head = fh.read(24)
    return struct.unpack(">II", head[16:24])


def warning_totals(page) -> list[int]:
    return page.eval_on_selector_all(
        "table.triage tbody tr", "rows => rows.filter(r => r.offsetParent !== null).map(r => "
        "[...r.querySelectorAll('td.warn')].slice(0, 5).reduce((n, td) => n + Number(td.dataset.value), 0))")


@pytest.mark.parametrize("width", [1400, 420])
def test_overview_sorted_by_warnings_fits_the_window(watch_list, chromium, tmp_path: Path, width: int) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((watch_list / "reports" / "index.html").as_uri())
        want = [r[0] for r in query(watch_list / "w.duckdb", "SELECT source FROM source_triage")]
        titles = {r[0]: r[1] for r in query(watch_list / "w.duckdb", "SELECT source, coalesce(title, '') FROM source_triage")}
        shown = page.eval_on_selector_all("table.triage tbody th.src .where", "els => els.map(e => e.textContent)")
        assert shown == want  # the view's order: most warnings first, not alphabetical
        totals = warning_totals(page)
        assert totals == sorted(totals, reverse=True) and totals[0] > 0
        first = page.locator("table.triage tbody tr").first
        assert titles[want[0]] in first.locator("th.src a").first.inner_text()
        shot = tmp_path / f"overview-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert png_size(shot)[0] == width, "the page is wider than the window: something is clipped"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The first source's non-zero warnings are on screen, labelled, without scrolling sideways.
        hits = first.locator("td.warn.hit")
        assert hits.count() > 0
        for i in range(hits.count()):
            box = hits.nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] < 900
        if width == 420:
            assert first.locator("td.warn.zero").first.is_hidden()  # only the warnings it has
            assert re.match(r".+: \d+", hits.first.evaluate(
                "e => getComputedStyle(e, '::before').content.replaceAll('\"', '') + e.textContent"))
        # Filter by tag (JavaScript): only the blog's row stays.
        page.locator("fieldset[data-filter=tags] input[value=vendor]").uncheck()
        visible = page.eval_on_selector_all("table.triage tbody tr", "rs => rs.filter(r => r.offsetParent).length")
        assert visible == 1
        page.locator("form.filters button[type=reset]").click()
        if width > 800:  # narrow screens show no column headings to sort by: the order by warnings stays
            page.locator("th.warn button.sort", has_text="No citation").click()
            uncited = page.eval_on_selector_all("table.triage tbody td.warn[data-label='No citation']",
                                                "els => els.map(e => Number(e.dataset.value))")
            assert uncited == sorted(uncited, reverse=True)
        assert errors == []
    finally:
        context.close()


def test_overview_order_holds_without_javascript(watch_list, chromium) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((watch_list / "reports" / "index.html").as_uri())
        assert warning_totals(page) == sorted(warning_totals(page), reverse=True)
        assert page.locator("form.filters").is_hidden()  # no filter that could not work
    finally:
        context.close()


def test_a_permalink_opens_its_claim(watch_list, chromium) -> None:
    source, claim_id = query(watch_list / "w.duckdb", "SELECT source, claim_id FROM claim_grades "
                                                      "ORDER BY char_start DESC LIMIT 1")[0]
    from grading.reports.html import page_name

    path = watch_list / "reports" / "sources" / page_name(source)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        link = page.locator(f"#claim-{claim_id} a.permalink")
        assert link.inner_text() == "link"
        link.click()
        assert page.url.endswith(f"#claim-{claim_id}")
        fresh = context.new_page()
        fresh.goto(page.url)  # as a reader opening a shared link
        card = fresh.locator(f"#claim-{claim_id}")
        assert card.evaluate("e => e.matches(':target')")
        assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(238, 244, 255)"
        box = card.bounding_box()
        assert box and 0 <= box["y"] < 900
        fresh.locator(f"#claim-{claim_id} details.cite-finding summary").click()
        cite = fresh.locator(f"#claim-{claim_id} details.cite-finding dl").inner_text()
        assert "Claim" in cite and "Retrieved" in cite and source in cite
    finally:
        context.close()


def test_the_cite_block_quotes_the_sentence_the_support_label_rests_on(watch_list, chromium) -> None:
    source, claim_id, label, sentence = query(
        watch_list / "w.duckdb", "SELECT source, claim_id, label, span_text FROM support_labels "
                                 "WHERE span_in = 'abstract' AND span_text IS NOT NULL ORDER BY claim_id, pmid LIMIT 1")[0]
    from grading.reports.html import page_name

    context = chromium.new_context(viewport={"width": 420, "height": 900})
    try:
        page = context.new_page()
        page.goto((watch_list / "reports" / "sources" / page_name(source)).as_uri() + f"#claim-{claim_id}")
        block = page.locator(f"#claim-{claim_id} details.cite-finding")
        block.locator("summary").click()
        text = block.locator("dl").inner_text()
        assert f"“{sentence}”" in text and label in text
        box = block.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 420  # readable on a phone too
    finally:
        context.close()


def test_source_pages_fit_a_phone(watch_list, chromium, tmp_path: Path) -> None:
    """At 420 px every source page is as wide as the window: no card (its GRADE domains table, its
    cite block) pushes the page sideways and cuts off its own text."""
    context = chromium.new_context(viewport={"width": 420, "height": 900})
    try:
        page = context.new_page()
        tables = 0
        for path in sorted((watch_list / "reports" / "sources").glob("*.html")):
            page.goto(path.as_uri())
            tables += page.locator("article.card table.domains").count()
            page.eval_on_selector_all("details.cite-finding", "els => els.forEach(e => e.open = true)")
            assert page.evaluate("document.documentElement.scrollWidth") <= 420, path.name
            wide = page.eval_on_selector_all(
                "article.card, article.card table.domains, article.card details",
                "els => els.filter(e => e.getBoundingClientRect().right > 420).length")
            assert wide == 0, path.name
            page.screenshot(path=str(tmp_path / f"{path.stem}-420.png"), full_page=True)
        assert tables > 0  # the check saw GRADE domains tables
    finally:
        context.close()


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_scratch_check_leaves_the_watch_list_pages_byte_identical(watch_list, chromium, tmp_path: Path) -> None:
    reports = watch_list / "reports"
    before = digest(reports)
    warehouse_before = hashlib.sha256((watch_list / "w.duckdb").read_bytes()).hexdigest()
    env = {**os.environ, "GRADING_SOURCES_LIST": str(watch_list / "sources.toml")}
    done = subprocess.run([sys.executable, "-m", "grading.cli", "check", "--offline", "--into", str(tmp_path / "c"),
                           str(HOSTILE_DIR / "hostile.html")], cwd=tmp_path, env=env, capture_output=True, check=False,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert digest(reports) == before
    assert hashlib.sha256((watch_list / "w.duckdb").read_bytes()).hexdigest() == warehouse_before
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto((tmp_path / "c" / "reports" / "index.html").as_uri())
        assert page.locator("table.triage tbody tr").count() == 1
        page.goto((reports / "changes.html").as_uri())
        assert "removed" not in page.locator("ul.change-list").all_inner_texts().__str__()
    finally:
        context.close()


def test_prefect_ui_lists_the_flow_runs_of_grading_serve(chromium, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1")
    warehouse = tmp_path / "w.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "grading.cli", "serve", "--interval", "5", "--offline", "--warehouse", str(warehouse),
         "--reports", str(tmp_path / "reports"), "--prefect-home", str(tmp_path / "prefect")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        match = re.search(r"\(UI: (\S+)\)", proc.stdout.readline())
        assert match
        ui = match.group(1)
        deadline = time.monotonic() + 150
        while not (warehouse.exists() and completed(warehouse)):
            assert proc.poll() is None and time.monotonic() < deadline, "no scheduled run landed"
            time.sleep(1)
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.goto(f"{ui}/runs")
            page.get_by_text("grade-corpus-scheduled").first.wait_for(timeout=60_000)
            assert "Can't connect to Server API" not in page.content()
            page.screenshot(path=str(tmp_path / "prefect-runs.png"), full_page=True)
        finally:
            context.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0


def completed(warehouse: Path) -> bool:
    try:
        return query(warehouse, "SELECT count(*) FROM runs WHERE status = 'completed'")[0][0] > 0
    except Exception:  # noqa: BLE001 - a run is writing right now
        return False
