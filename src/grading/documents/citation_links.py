"""Links in plain text and the footnote numbers glued to them.

PubMed, PMC, Europe PMC and DOI links (also scheme-less, also DOIs inside publisher URLs, also
URLs broken by a stray space after a dot: "https://www. example.org/…") and any other URL (kind
`url`), each with the footnote number glued to or standing before it (see `decide_footnotes`).
Split from grading.documents.citations, which re-exports what others import.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import unquote

from grading.models import CitationKind, CitationMention

DOI_START_RE = re.compile(r"10\.[0-9]")
MAX_PMID_DIGITS = 8
MAX_FOOTNOTE_DIGITS = 3

# --- links -----------------------------------------------------------------------------

# Where a link begins: a scheme, or "www."/a scholarly host written without one. Digits may
# stand right before (a glued footnote), letters or URL punctuation may not.
LINK_START_RE = re.compile(
    r"(?:https?|ftp)://|(?<![A-Za-z./@=:_\-])(?:www\.|(?:dx\.)?doi\.org/|(?:pubmed\.|pmc\.)?ncbi\.nlm\.nih\.gov/"
    r"|europepmc\.org/)", re.IGNORECASE)
URL_RUN_RE = re.compile(r"[^\s\"<>\[\]{}|\\^`\u2018-\u201f\u00ab\u00bb\u2013\u2014\u2026]*")
# a stray space inside a host, after its dot: "www. example.com/…", "journalsite. org/…"
BROKEN_HOST_RE = re.compile(r"(?<=\.) (?=[a-z0-9\-]+(?:\.[a-z0-9\-]+)*/)")
URL_PARTS_RE = re.compile(r"(?:[A-Za-z]+://)?([^/?#]*)(.*)", re.DOTALL)
HOST_RE = re.compile(r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+(?::[0-9]+)?")
ID_HOSTS = ("ncbi.nlm.nih.gov", "europepmc.org")  # hosts whose paths carry PubMed/PMC ids
PMCID_IN_URL_RE = re.compile(r"(?<![A-Za-z0-9])PMC([0-9]{1,12})(?![0-9])", re.IGNORECASE)
PMID_IN_URL_RE = re.compile(
    r"^/(?:(?:m/)?pubmed/|pmc/articles/pmid/|(?:abstract|article|abs)/med/)?(?:\?term=)?([0-9]+)(?=$|[/?#&])"
    r"|[?&](?:list_uids|term|uid)=([0-9]+)(?=$|[&#])", re.IGNORECASE)
DOI_IN_URL_RE = re.compile(r"(?:^|[/=])(10\.[0-9]{4,9}/[^?#&\s]+)")
PII_IN_URL_RE = re.compile(r"/pii/(S?[0-9][0-9A-Za-z()\-]{9,24})(?=$|[/?#.])", re.IGNORECASE)
# what publishers append to a DOI in their URLs: ".../10.3389/fnins.2019.00123/full"
DOI_VIEW_SEGMENTS = frozenset({"full", "abstract", "abs", "pdf", "epdf", "epub", "fulltext", "full.pdf", "html",
                               "meta", "references", "figures", "suppl", "supplementary", "summary", "tables",
                               "metrics", "citedby", "info", ""})
TRAILING_PUNCT = ".,;:!?'\"*"
CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}

# Footnote markers that are unambiguous: [3], (3), superscript digits; and "3." opening a line.
MARKER_TAIL_RE = re.compile(r"(?:\[([0-9]{1,3})\]|\(([0-9]{1,3})\)|([\u2070\u00b9\u00b2\u00b3\u2074-\u2079]{1,3}))"
                            r"[ \t]{0,2}$")
LINE_NUMBER_RE = re.compile(r"[ \t]*([0-9]{1,3})[.)][ \t]+")
SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789")

# Costs of readings of a digit run glued before a link (lower is likelier); see decide_footnotes.
REPEAT_COST = 0.5  # a number used before, for the same target: the same reference cited again
CLASH_COST = 50.0  # a number used before for another target
RENUMBER_COST = 20.0  # a target cited before under another number
LEFTOVER_COST = 3.0  # per digit left glued to the word before the footnote
NOT_A_NUMBER_COST = 15.0  # digits glued to a word before a link, read as no footnote at all
CHAIN_NO_NUMBER_COST = 4.0  # two glued links with no footnote between them
INVALID_ID_COST = 100.0  # the reading leaves the previous link an impossible id (PMID > 8 digits)
NO_ID_COST = 3.0  # the reading leaves a PubMed/PMC link with no id


class Lines:
    """Line positions of a text: a newline ends a line; a carriage return before it is not part of it."""

    def __init__(self, text: str) -> None:
        self.text = text
        # start of line i = total length of lines before it + i line breaks; all in C, fast on 1 MB
        self.starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))[:-1]

    def index(self, pos: int) -> int:
        """The number of the line holding position `pos`."""
        return bisect.bisect_right(self.starts, pos) - 1

    def span(self, n: int) -> tuple[int, int]:
        """(start, end) of line n, end excluding the line break."""
        end = self.starts[n + 1] - 1 if n + 1 < len(self.starts) else len(self.text)
        if end > self.starts[n] and self.text[end - 1] == "\r":
            end -= 1
        return self.starts[n], end


# --- links -----------------------------------------------------------------------------

@dataclass
class Link:
    """One link while footnotes are decided. Offsets into the text."""

    start: int  # where the link text begins (scheme, "www.", or host)
    extent: int  # where its run of URL characters stops (the next link's start when glued)
    marker: int = -1  # where its footnote marker begins (== start when none)
    footnote: int | None = None
    end: int = -1  # end of the URL once trailing punctuation and the next footnote are cut off


@dataclass
class Footnotes:
    """What the document's footnote numbering has shown so far."""

    used: set[int]
    target: dict[int, tuple[str, str]]  # number -> (kind, value) it was first given to
    number_of: dict[tuple[str, str], int]
    last_new: int | None = None  # the last number used for the first time


def extract_links(text: str, lines: Lines) -> list[CitationMention]:
    """Links with their footnotes: scholarly ids (pmid/pmcid/doi) or kind `url`."""
    links: list[Link] = []
    run_end = -1
    for m in LINK_START_RE.finditer(text):
        if m.start() >= run_end:  # one scan per run of URL characters, however many links it holds
            run_end = URL_RUN_RE.match(text, m.start()).end()
            while (broken := BROKEN_HOST_RE.match(text, run_end)) and "/" not in text[m.end():run_end]:
                run_end = URL_RUN_RE.match(text, broken.end()).end()  # "https://www. example.org/…"
        if links and links[-1].extent > m.start():
            links[-1].extent = m.start()
        links.append(Link(m.start(), run_end))
    decide_footnotes(text, links, lines.starts)
    out = []
    for link in links:
        url = text[link.start:link.end].replace(" ", "")
        host = URL_PARTS_RE.match(url).group(1)
        if not HOST_RE.fullmatch(host):
            continue  # "www." or "https://" with nothing usable after it
        kind, value, _ = classify_url(url)
        out.append(CitationMention(link.marker, link.end, text[link.marker:link.end], kind, value, link.footnote))
    return out


def decide_footnotes(text: str, links: list[Link], line_starts: list[int]) -> None:
    """Set each link's footnote, marker start and URL end, left to right.

    Web pages flattened to text glue footnote numbers to the links they introduce:
    "dopamine2https://…/pubmed/150883893https://…/pubmed/16362768". The digit run right before
    a link is read in each possible way: its last 1-3 digits are the footnote (no leading zero),
    or none are. What precedes the footnote stays with the word before it, or, when the run
    continues the previous link (the two links are glued), with that link's URL: so the split
    also decides where the previous link's id ends. Each reading gets a cost:

    - the previous link's id must stay possible: a PMID has at most 8 digits (INVALID_ID_COST);
    - a number used before must name the same target (REPEAT_COST, else CLASH_COST), and a target
      cited before should keep its number (RENUMBER_COST). The current link's own id may still
      lose digits to the next footnote, so a known target that is a prefix of it also matches;
    - a new number should continue the running sequence (the last new number + 1, cost 0), or
      restart at 1 / continue an earlier run (cost 1); otherwise 2 + the distance to it (max 12).
      The first number of a document costs 0, since documents may start mid-sequence;
    - digits left glued to a word cost LEFTOVER_COST each, and reading no footnote costs
      NOT_A_NUMBER_COST (CHAIN_NO_NUMBER_COST between glued links).

    The cheapest reading wins; ties go to the longer footnote. Explicit markers ("[3]", "(3)",
    superscripts, "3." opening the line) are taken as they stand.
    """
    notes = Footnotes(set(), {}, {})
    for i, link in enumerate(links):
        prev = links[i - 1] if i else None
        glued = prev is not None and prev.extent == link.start
        if prev is not None and not glued:
            prev.end = trim_end(text, prev.start, prev.extent)
            remember(text, prev, notes)
        left = prev.start if glued else (prev.extent if prev else 0)
        marker, footnote = explicit_marker(text, link.start, left, line_starts)
        if marker is None:
            marker, footnote = read_glued_digits(text, link, prev if glued else None, left, links, i, notes)
        link.marker, link.footnote = marker, footnote
        if glued:
            prev.end = trim_end(text, prev.start, marker)
            remember(text, prev, notes)
        if footnote is not None:
            if footnote not in notes.used:
                notes.last_new = footnote
            notes.used.add(footnote)
    if links:
        links[-1].end = trim_end(text, links[-1].start, links[-1].extent)
        remember(text, links[-1], notes)


def explicit_marker(text: str, start: int, left: int, line_starts: list[int]) -> tuple[int | None, int | None]:
    """(marker start, number) for "[3]", "(3)", superscripts or "3. " opening the line; else (None, None)."""
    m = MARKER_TAIL_RE.search(text, max(left, start - 10), start)
    if m:
        digits = next(g for g in m.groups() if g)
        return m.start(), int(digits.translate(SUPERSCRIPTS))
    line_start = line_starts[bisect.bisect_right(line_starts, start) - 1]
    if line_start >= left and start - line_start <= 12:
        m = LINE_NUMBER_RE.fullmatch(text, line_start, start)
        if m:
            return m.start(1), int(m.group(1))
    return None, None


def read_glued_digits(text: str, link: Link, prev: Link | None, left: int, links: list[Link], i: int,
                      notes: Footnotes) -> tuple[int, int | None]:
    """(marker start, footnote) for the cheapest reading of the digits glued before `link`."""
    run_start = link.start
    while run_start > left and "0" <= text[run_start - 1] <= "9":
        run_start -= 1
    run = text[run_start:link.start]
    if not run:
        return link.start, None
    # this link's target as far as known: its id may still lose digits to the next footnote
    open_end = i + 1 < len(links) and links[i + 1].start == link.extent
    own_kind, own_value, _ = classify_url(text[link.start:trim_end(text, link.start, link.extent)])
    best: tuple[float, int, int | None] | None = None
    for n in range(min(MAX_FOOTNOTE_DIGITS, len(run)) + 1):
        if n and run[-n] == "0":
            continue
        footnote = int(run[-n:]) if n else None
        cost = 0.0
        if prev is not None:  # the rest of the run ends the previous link's URL
            kind, value, id_cost = classify_url(text[prev.start:trim_end(text, prev.start, link.start - n)])
            cost += id_cost
            if prev.footnote in notes.target and notes.target[prev.footnote] != (kind, value):
                cost += CLASH_COST
        else:
            cost += LEFTOVER_COST * (len(run) - n)
        if footnote is None:
            cost += (CHAIN_NO_NUMBER_COST if prev is not None else NOT_A_NUMBER_COST) if run else 0.0
        else:
            cost += number_cost(footnote, (own_kind, own_value), open_end, notes)
        if best is None or (cost, -n) < (best[0], -best[1]):
            best = (cost, n, footnote)
    _, n, footnote = best
    return link.start - n, footnote


def number_cost(number: int, target: tuple[str, str], open_end: bool, notes: Footnotes) -> float:
    """How unlikely `number` is as the footnote of a link to `target`, given the numbering so far."""
    if number in notes.target:
        known = notes.target[number]
        same = known == target or (open_end and known[0] == target[0] and target[1].startswith(known[1]))
        return REPEAT_COST if same else CLASH_COST
    if number in notes.used:
        return CLASH_COST  # the number of the previous, still open, link: another target
    cost = RENUMBER_COST if notes.number_of.get(target, number) != number else 0.0
    if notes.last_new is None or number == notes.last_new + 1:
        return cost
    if number == 1 or number - 1 in notes.used:
        return cost + 1.0
    return cost + 2.0 + min(abs(number - notes.last_new - 1), 10)


def remember(text: str, link: Link, notes: Footnotes) -> None:
    """Record which target a link's footnote number stands for, once its URL is final."""
    if link.footnote is None:
        return
    kind, value, _ = classify_url(text[link.start:link.end].replace(" ", ""))
    notes.target.setdefault(link.footnote, (kind, value))
    notes.number_of.setdefault((kind, value), link.footnote)


def classify_url(url: str) -> tuple[CitationKind, str, float]:
    """(kind, normalised value, cost): a PubMed/PMC id on NCBI or Europe PMC, a DOI anywhere in
    the URL, else `url`. The cost is INVALID_ID_COST for an impossible PMID, NO_ID_COST for an
    NCBI/Europe PMC link without id, else 0."""
    host, rest = URL_PARTS_RE.match(url.replace(" ", "")).groups()
    host = host.lower()
    if host.endswith(ID_HOSTS):
        m = PMCID_IN_URL_RE.search(rest)
        if m:
            return "pmcid", "PMC" + m.group(1), 0.0
        m = PMID_IN_URL_RE.search(rest)
        if m:
            digits = m.group(1) or m.group(2)
            if len(digits) > 12:
                return "url", url, INVALID_ID_COST
            ok = len(digits) <= MAX_PMID_DIGITS and int(digits) > 0
            return "pmid", str(int(digits)) if ok else digits, 0.0 if ok else INVALID_ID_COST
    m = DOI_IN_URL_RE.search(unquote(rest, errors="replace"))
    if m:
        doi = clean_doi(m.group(1))
        if DOI_START_RE.match(doi) and "/" in doi:
            return "doi", doi, 0.0
    m = PII_IN_URL_RE.search(rest)
    if m:
        return "pii", re.sub(r"[^0-9A-Z]", "", m.group(1).upper()), 0.0
    return "url", url, NO_ID_COST if host.endswith(ID_HOSTS) else 0.0


def clean_doi(doi: str) -> str:
    """Lower-cased DOI without a publisher's view suffix ("/full", "/pdf") or trailing punctuation."""
    prefix_end, end = doi.find("/"), len(doi)
    while (cut := doi.rfind("/", 0, end)) > prefix_end and doi[cut + 1:end].lower() in DOI_VIEW_SEGMENTS:
        end = cut
    return doi[:trim_end(doi, 0, end)].lower()


def trim_end(text: str, start: int, end: int) -> int:
    """End of text[start:end] without trailing sentence punctuation or quotes, nor closing
    brackets that close nothing inside it ("(see https://x.org/a)" ends at "a")."""
    balance: dict[str, int] = {}  # opened minus closed, counted once per bracket kind
    while end > start:
        c = text[end - 1]
        if c in TRAILING_PUNCT:
            end -= 1
            continue
        if c not in CLOSERS:
            break
        if c not in balance:
            balance[c] = text.count(CLOSERS[c], start, end) - text.count(c, start, end)
        if balance[c] >= 0:
            break
        balance[c] += 1
        end -= 1
    return end
