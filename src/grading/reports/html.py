"""HTML pages from the marts: an overview, one page per source, and what changed since the
previous run.

Everything from documents is untrusted. Jinja2 autoescapes every value (no `|safe`, no Markup
built from document text); links are emitted only for URLs built here (PubMed, PMC, doi.org)
or checked to be http(s) with a host; pages run no inline script (the CSP allows only the
bundled report.js and report.css).
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, get_args

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grading.models import STATUS_LABELS, Certainty, ClaimStatus, ClaimType
from grading.reports.marts import Marts
from grading.reports.text import display_text

CERTAINTY_ORDER = list(get_args(Certainty))
STATUS_ORDER = list(get_args(ClaimStatus))
TYPE_ORDER = list(get_args(ClaimType))
CHANGE_ORDER = ["new", "regraded", "removed"]
LABELS = {"regraded": "re-graded"}  # how a value reads, where its data spelling differs
TOP_RECORDS = 50  # the overview lists the records cited most; records.csv has them all

Row = dict[str, Any]


# --- links: only URLs built here or checked to be http(s) ---------------------------------

def safe_url(url: str | None) -> str | None:
    """An http(s) URL with a host, else None: javascript:, data:, file: and friends never
    become links (nor do URLs with spaces or control characters that browsers would strip)."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    parts = urllib.parse.urlsplit(url)
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


def pubmed_url(pmid: int | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/" if pmid else None


def citation_href(kind: str, value: str | None, pmid: int | None) -> str | None:
    """Where a citation points: its PubMed record when resolved, else the identifier's home."""
    if pmid:
        return pubmed_url(pmid)
    if not value:
        return None
    if kind == "doi" and value.startswith("10."):
        return "https://doi.org/" + urllib.parse.quote(value, safe="/:;()._-")
    if kind == "pmcid" and re.fullmatch(r"PMC\d+", value):
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{value}/"
    if kind == "url":
        return safe_url(value)
    return None


def page_name(source: str) -> str:
    """A file name for a source's page: readable, safe on every file system, and unique
    (a hash of the full source name, since two folders can hold the same file name)."""
    parts = urllib.parse.urlsplit(source)
    tail = PurePosixPath(parts.path.replace("\\", "/")).name or parts.netloc or "source"
    slug = re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-")[:48].strip("-") or "source"
    return f"{slug}-{hashlib.sha256(source.encode('utf-8')).hexdigest()[:8]}.html"


# --- the source text with its claims highlighted -------------------------------------------

@dataclass
class Piece:
    """A run of source text; `claim` is the claim it belongs to, or None for plain text."""

    text: str
    claim: Row | None = None
    first: bool = False  # the claim's first piece carries its number


@dataclass
class TextRow:
    """Lines of the source from one claim's line to the next; its claims' cards sit beside it."""

    start: int
    pieces: list[Piece] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)


def line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def highlight_rows(text: str, claims: list[Row]) -> list[TextRow]:
    """Split `text` into rows that start at the line where a claim starts, each row's text cut
    into pieces at claim boundaries. Overlapping claims are clipped so no text shows twice;
    every claim still gets its card. The pieces, in order, spell `text` exactly."""
    n = len(text)
    ordered = sorted(claims, key=lambda c: (c["char_start"], c["char_end"], c["claim_id"]))
    spans: list[tuple[int, int, Row]] = []
    cursor = 0
    for c in ordered:
        start, end = max(c["char_start"], cursor), min(c["char_end"], n)
        if start < end:
            spans.append((start, end, c))
            cursor = end
    bounds = sorted({0} | {line_start(text, min(max(c["char_start"], 0), n)) for c in ordered}) + [n]
    rows = [TextRow(start=a) for a in bounds[:-1]]
    for c in ordered:
        rows[bisect.bisect_right(bounds, min(max(c["char_start"], 0), n), hi=len(rows)) - 1].claims.append(c)
    i = 0
    for row, a, b in zip(rows, bounds, bounds[1:]):
        pos = a
        while i < len(spans) and spans[i][0] < b:
            start, end, c = spans[i]
            start = max(start, a)
            if start > pos:
                row.pieces.append(Piece(text[pos:start]))
            row.pieces.append(Piece(text[start:min(end, b)], c, first=start == spans[i][0]))
            pos = min(end, b)
            if end > b:
                break  # the claim runs on into the next row
            i += 1
        if pos < b:
            row.pieces.append(Piece(text[pos:b]))
    return rows


# --- the chart: one stacked bar per source, drawn as inline SVG ------------------------------

CHART_WIDTH, LABEL_WIDTH, BAR_X, BAR_WIDTH, ROW_HEIGHT, BAR_HEIGHT = 760, 250, 260, 440, 26, 18
LABEL_CHARS = 36
MIN_SEGMENT_LABEL = 22  # px: narrower segments show their count on hover only


def shared_folder(sources: list[str]) -> str:
    """The folder (or site) every source is under, to leave out of chart labels; "" if none."""
    prefix = os.path.commonprefix(sources) if len(sources) > 1 else (sources[0] if sources else "")
    return prefix[:prefix.rfind("/") + 1]


def short_label(label: str, limit: int = LABEL_CHARS) -> str:
    """Keep the end of a long source name: the file or page name is what tells sources apart."""
    return label if len(label) <= limit else "…" + label[-(limit - 1):]


def bar_chart(bars: list[Row]) -> Row:
    """Geometry for stacked bars. `bars`: dicts with label, href and counts {certainty: n};
    bar length is proportional to the number of claims, so size and make-up read together."""
    longest = max([sum(b["counts"].values()) for b in bars] + [1])
    rows = []
    for i, bar in enumerate(bars):
        y, total, done, segments = i * ROW_HEIGHT, sum(bar["counts"].values()), 0, []
        for certainty in CERTAINTY_ORDER:
            count = bar["counts"].get(certainty, 0)
            if not count:
                continue
            x0 = BAR_X + BAR_WIDTH * done / longest
            x1 = BAR_X + BAR_WIDTH * (done + count) / longest
            segments.append({"certainty": certainty, "count": count, "x": f"{x0:.1f}", "width": f"{x1 - x0:.1f}",
                             "mid": f"{(x0 + x1) / 2:.1f}", "labelled": x1 - x0 >= MIN_SEGMENT_LABEL})
            done += count
        rows.append({"label": bar["label"], "short": short_label(bar["label"]), "href": bar["href"],
                     "y": y, "bar_y": y + (ROW_HEIGHT - BAR_HEIGHT) // 2, "text_y": y + ROW_HEIGHT // 2 + 4,
                     "total": total, "total_x": f"{BAR_X + BAR_WIDTH * total / longest + 6:.1f}",
                     "segments": segments})
    return {"rows": rows, "width": CHART_WIDTH, "height": max(len(rows), 1) * ROW_HEIGHT, "label_x": LABEL_WIDTH,
            "bar_height": BAR_HEIGHT}


# --- page contexts ----------------------------------------------------------------------------

def ordered_values(values: list[str], canonical: list[str]) -> list[str]:
    """Known values in their natural order, then any others alphabetically."""
    present = set(values)
    return [v for v in canonical if v in present] + sorted(present - set(canonical))


def filter_group(name: str, label: str, values: list[str], canonical: list[str]) -> Row:
    counts = Counter(values)
    return {"name": name, "label": label,
            "options": [{"value": v, "label": LABELS.get(v, v), "count": counts[v]}
                        for v in ordered_values(values, canonical)]}


def when(ts: datetime | None) -> str:
    return f"{ts:%Y-%m-%d %H:%M:%S} UTC" if ts else "unknown"


def run_context(run: Row) -> Row:
    return {**run, "finished": when(run.get("finished_at"))}


def first_abstract_quote(reasons: list[Row], pmid: int) -> str | None:
    """The sentence of a record's abstract the grade quoted first (a reason's span in the abstract)."""
    return next((r["span_text"] for r in reasons
                 if r["pmid"] == pmid and r["span_in"] == "abstract" and r["span_text"]), None)


def finding_quote(citation: Row, support: Row | None, reasons: list[Row]) -> Row:
    """What a "cite this finding" block quotes for one record: the sentence its support label rests
    on (claim_support: what the record says about the claim), else the abstract sentence a reason quoted."""
    quote = {"pmid": citation["pmid"], "record": citation["record"], "href": citation["href"],
             "label": support["label"] if support else None, "sentence": None, "quoted_in": None}
    if support and support.get("span_text") and support.get("span_in") in ("abstract", "title"):
        quote.update(sentence=support["span_text"], quoted_in=support["span_in"])
    elif (sentence := first_abstract_quote(reasons, citation["pmid"])) is not None:
        quote.update(sentence=sentence, quoted_in="abstract")
    return quote


def claim_cards(marts: Marts) -> dict[str, Row]:
    """Each claim of the latest run with its citations (and their records) and reasons. A record
    cited twice by one claim (a footnote and an inline link, say) is one entry, listing every
    way it was cited."""
    records = {r["pmid"]: r for r in marts.records}
    cards: dict[str, Row] = {c["claim_id"]: {**c, "display_text": display_text(c["claim_text"]), "citations": [],
                                             "reason_rows": []} for c in marts.claims}
    by_record: dict[tuple[str, int], Row] = {}
    for cite in marts.citations:
        if cite["claim_id"] not in cards:
            continue
        if cite["pmid"] is not None and (cite["claim_id"], cite["pmid"]) in by_record:
            entry = by_record[(cite["claim_id"], cite["pmid"])]
            if cite["raw"] not in entry["raws"]:
                entry["raws"].append(cite["raw"])
            if entry["footnote"] is None:
                entry["footnote"] = cite["footnote"]
            continue
        entry = {**cite, "href": citation_href(cite["kind"], cite["value"], cite["pmid"]),
                 "record": records.get(cite["pmid"]), "raws": [cite["raw"]]}
        cards[cite["claim_id"]]["citations"].append(entry)
        if cite["pmid"] is not None:
            by_record[(cite["claim_id"], cite["pmid"])] = entry
    for reason in marts.reasons:
        if reason["claim_id"] in cards:
            cards[reason["claim_id"]]["reason_rows"].append(reason)
    for card in cards.values():  # certainty only on graded claims; everything else says why in words
        status = card.setdefault("status", "graded")
        card["verdict"] = card["certainty"] if status == "graded" else STATUS_LABELS.get(status, status)
        card["support_rows"], card["domains"], card["upgrades"] = [], [], []
        card["circles"], card["meaning"] = CERTAINTY_SYMBOLS.get(card["certainty"], ("", ""))
    for row in marts.support:
        if row["claim_id"] in cards:
            cards[row["claim_id"]]["support_rows"].append(row)
    for row in marts.evidence_profile:
        if row["claim_id"] in cards:
            cards[row["claim_id"]]["domains"] = [(DOMAIN_NAMES[d], row[d] or "not assessed") for d in DOMAIN_NAMES]
            cards[row["claim_id"]]["upgrades"] = row["upgrades"] or []
    support = {(row["claim_id"], row["pmid"]): row for row in marts.support}
    for card in cards.values():
        card["quotes"] = [finding_quote(ct, support.get((card["claim_id"], ct["pmid"])), card["reason_rows"])
                          for ct in card["citations"] if ct["pmid"] is not None and ct["record"]]
    return cards


# GRADE's symbols and the standard meaning of each level (GRADE handbook, "Quality of evidence").
CERTAINTY_SYMBOLS = {
    "high": ("⊕⊕⊕⊕", "the true effect is probably close to the estimate"),
    "moderate": ("⊕⊕⊕◯", "the true effect is probably close to the estimate, but may be substantially different"),
    "low": ("⊕⊕◯◯", "the true effect may be substantially different from the estimate"),
    "very low": ("⊕◯◯◯", "the true effect is likely to be substantially different from the estimate"),
}
# Soft hyphens (U+00AD) where a long name may break in a narrow card: "incon-sistency", never "inconsisten-cy".
DOMAIN_NAMES = {"risk_of_bias": "risk of bias", "inconsistency": "incon\u00adsistency",
                "indirectness": "indi\u00adrectness", "imprecision": "impre\u00adcision",
                "publication_bias": "publication bias"}


def certainty_counts(claims: list[Row]) -> dict[str, int]:
    counts = {c: 0 for c in CERTAINTY_ORDER}
    for claim in claims:
        counts[claim["certainty"]] = counts.get(claim["certainty"], 0) + 1
    return counts


PAGE_TEXT_CHARS = 500_000  # a source page shows the text up to here, or a little past its last claim


def shown_text(text: str, claims: list[Row]) -> str:
    """The text a source page shows: folded after PAGE_TEXT_CHARS (or just after its last claim) with
    a note, so a 20 MB dump does not make a page no browser opens; the warehouse keeps it whole."""
    end = max([PAGE_TEXT_CHARS] + [c["char_end"] + 1000 for c in claims])
    if len(text) <= end:
        return text
    return (text[:end] + f"\n\n[… {len(text) - end:,} more characters of this document are not shown here; "
            "the full text is in the warehouse: source_versions.text]")


def source_contexts(marts: Marts) -> dict[str, Row]:
    """One context per source page, keyed by the page's file name."""
    cards = claim_cards(marts)
    by_source: dict[str, list[Row]] = {}
    for claim in marts.claims:
        by_source.setdefault(claim["source"], []).append(cards[claim["claim_id"]])
    for claims in by_source.values():  # numbers tie each highlight to its card
        claims.sort(key=lambda c: (c["char_start"], c["char_end"], c["claim_id"]))
        for number, card in enumerate(claims, 1):
            card["number"] = number
    unlinked: dict[str, list[Row]] = {}
    for cite in marts.citations:
        if cite["claim_id"] is None:
            unlinked.setdefault(cite["source"], []).append(
                {**cite, "href": citation_href(cite["kind"], cite["value"], cite["pmid"])})
    pages = {}
    for doc in marts.texts:
        claims = by_source.get(doc["source"], [])
        counts = certainty_counts(claims)
        pages[page_name(doc["source"])] = {
            "source": doc, "href": safe_url(doc["source"]), "page_url": safe_url(doc.get("url")) or safe_url(doc["source"]),
            "label": source_label(doc["source"], doc.get("title"), doc.get("url")),
            "retrieved": when(marts.run.get("started_at")), "rows": highlight_rows(shown_text(doc["text"] or "", claims), claims),
            "n_claims": len(claims), "unlinked": unlinked.get(doc["source"], []),
            "bar": mini_bar(counts, max(len(claims), 1)), "bar_width": MINI_BAR_WIDTH,
            "filters": [filter_group("certainty", "Certainty", [c["certainty"] for c in claims], CERTAINTY_ORDER),
                        filter_group("status", "Status", [c["status"] for c in claims], STATUS_ORDER),
                        filter_group("type", "Claim type", [c["claim_type"] for c in claims], TYPE_ORDER)]}
    return pages


# The warnings of the triage overview, in column order: (source_triage column, heading, what it counts).
WARNINGS = (
    ("not_supported", "Not supported", "cites a paper that does not support the claim, contradicts it or is off-topic"),
    ("retracted", "Retracted", "cites a retracted paper"),
    ("figure_missing", "Figure not in paper", "quotes a figure the cited paper does not contain"),
    ("preclinical_only", "Human claim, preclinical evidence",
     "a claim about people resting only on animal or cell studies"),
    ("clinical_wording", "“Clinical” wording", "calls preclinical evidence clinical"),
    ("uncited", "No citation", "a claim with no citation at all"),
)
NO_TAG = "-"  # the tag filter's value for sources listed without tags
MINI_BAR_WIDTH = 100  # viewBox units of the inline certainty bar


def source_label(source: str, title: str | None, url: str | None) -> str:
    """What a reader calls a source: its page title, else its address, else its file name."""
    if title and title.strip():
        return title.strip()
    if url:
        return url
    return PurePosixPath(source.replace("\\", "/")).name or source


def mini_bar(counts: dict[str, int], longest: int) -> list[Row]:
    """Segments of a small inline bar (SVG user units out of MINI_BAR_WIDTH): its length is the
    source's claims against the source with most, its colours the certainties."""
    done, segments = 0, []
    for certainty in CERTAINTY_ORDER:
        count = counts.get(certainty, 0)
        if count:
            x0, x1 = MINI_BAR_WIDTH * done / longest, MINI_BAR_WIDTH * (done + count) / longest
            segments.append({"certainty": certainty, "count": count, "x": f"{x0:.2f}", "width": f"{x1 - x0:.2f}"})
            done += count
    return segments


def overview_context(marts: Marts) -> Row:
    pages = {doc["source"]: page_name(doc["source"]) for doc in marts.texts}
    claims_by_source: dict[str, list[Row]] = {s: [] for s in pages}
    for claim in marts.claims:
        claims_by_source.setdefault(claim["source"], []).append(claim)
    longest = max([len(c) for c in claims_by_source.values()] + [1])
    sources = []
    for rank, row in enumerate(marts.triage, 1):  # in source_triage's order: most warnings first
        counts = certainty_counts(claims_by_source.get(row["source"], []))
        url = safe_url(row["url"]) or safe_url(row["source"])
        sources.append({**row, "rank": rank, "label": source_label(row["source"], row["title"], row["url"]),
                        "href_url": url, "page": "sources/" + pages[row["source"]] if row["source"] in pages else None,
                        "tags": list(row["tags"] or []), "counts": counts, "bar": mini_bar(counts, longest)})
    tags = sorted({t for s in sources for t in s["tags"]})
    if tags and any(not s["tags"] for s in sources):
        tags.append(NO_TAG)
    for s in sources:
        s["tag_values"] = s["tags"] or [NO_TAG]
    top = sorted(marts.records, key=lambda r: (-r["n_claims"], r["pmid"]))[:TOP_RECORDS]
    return {"sources": sources, "totals": certainty_counts(marts.claims), "n_claims": len(marts.claims),
            "warnings": [{"key": k, "heading": h, "means": m, "total": sum(s[k] for s in sources)}
                         for k, h, m in WARNINGS],
            "tag_filter": {"name": "tags", "label": "Tags",
                           "options": [{"value": t, "label": "no tag" if t == NO_TAG else t,
                                        "count": sum(t in s["tag_values"] for s in sources)}
                                       for t in tags]} if tags else None,
            "records": [{**r, "href": pubmed_url(r["pmid"])} for r in top], "n_records": len(marts.records),
            "changes": change_summary(marts), "bar_width": MINI_BAR_WIDTH}


def change_summary(marts: Marts) -> Row:
    kinds = [c["change"] for c in marts.changes]
    return {"previous": run_context(marts.previous) if marts.previous else None,
            "counts": {k: kinds.count(k) for k in CHANGE_ORDER}, "retracted": len(marts.retracted),
            "n_unchecked": len(marts.unchecked)}


def changes_context(marts: Marts) -> Row:
    pages = {doc["source"]: "sources/" + page_name(doc["source"]) for doc in marts.texts}
    cited = {r["pmid"]: r for r in marts.records}
    groups: dict[str, Row] = {}
    for change in marts.changes:
        group = groups.setdefault(change["source"], {"source": change["source"], "page": pages.get(change["source"]),
                                                     "source_change": change["source_change"], "items": []})
        certainty = change["certainty"] or change["previous_certainty"]
        group["items"].append({**change, "filter_certainty": certainty, "display_text": display_text(change["claim_text"])})
    items = [i for g in groups.values() for i in g["items"]]
    return {**change_summary(marts), "groups": [groups[s] for s in sorted(groups)], "unchecked": marts.unchecked,
            "records": [{**cited.get(r["pmid"], {}), **r, "href": pubmed_url(r["pmid"])} for r in marts.retracted],
            "filters": [filter_group("change", "Change", [i["change"] for i in items], CHANGE_ORDER),
                        filter_group("certainty", "Certainty (now, or before if removed)",
                                     [i["filter_certainty"] for i in items], CERTAINTY_ORDER)]}


# --- rendering --------------------------------------------------------------------------------

def css_name(value: object) -> str:
    """A class-name fragment for an enumerated value ("very low" -> "very-low")."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")


def signed(change: int | None) -> str:
    return "" if not change else (f"+{change}" if change > 0 else f"−{-change}")


def template_environment() -> Environment:
    env = Environment(loader=PackageLoader("grading.reports", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters.update(css=css_name, signed=signed, words=lambda s: LABELS.get(s, str(s).replace("_", " ")))
    return env


def render_pages(marts: Marts) -> dict[str, str]:
    """Every HTML page, keyed by its path relative to the reports folder."""
    env = template_environment()
    common = {"run": run_context(marts.run), "certainties": CERTAINTY_ORDER}
    pages = {"index.html": env.get_template("index.html.j2").render(root="", **common, **overview_context(marts)),
             "changes.html": env.get_template("changes.html.j2").render(root="", **common,
                                                                         **changes_context(marts))}
    source_page = env.get_template("source.html.j2")
    for name, context in source_contexts(marts).items():
        pages[f"sources/{name}"] = source_page.render(root="../", **common, **context)
    return pages
