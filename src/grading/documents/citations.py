"""Finding citations in a document's plain text.

`extract_citations(text)` returns every citation with exact offsets
(`text[m.char_start:m.char_end] == m.raw`), sorted by position. It is pure and total: any
string gives a list, never an exception. Forms found, in order of precedence when spans
overlap:

1. links: PubMed, PMC, Europe PMC and DOI links (also scheme-less, also DOIs inside publisher
   URLs) and any other URL (kind `url`), with the footnote number glued to or standing before
   each (see `decide_footnotes` for how glued digit runs are split);
2. labelled identifiers: `PMID: N`, `PubMed ID: N`, `PMCID: PMC123`, `doi: 10.x/y`, bare DOIs;
3. reference entries: a line starting with a Vancouver/AMA (`Dolotov OV, Karpenko EA, et al.`)
   or APA (`Dolotov, O. V., & Karpenko, E. A. (2006).`) author list. An entry becomes ONE
   mention: of its identifier's kind when it carries one, else `author_list`;
4. journal references without authors: `Brain Res. 2006;1117(1):54-60`;
5. author-year markers: `(Dolotov et al., 2006)`, `Dolotov et al. (2006)`, `(Smith & Jones, 2010;
   Lee 2012)`.

Mentions on reference-list lines (after a heading such as "References", or in a run of lines
that are each a reference) get `in_reference_list=True`. Word lists (reference-list headings,
citation labels, capitalised words that are not author names) live in
data/citation_vocabulary.toml. Every pattern is written so that it cannot backtrack
quadratically: time stays linear in the text's length.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from itertools import accumulate
from urllib.parse import unquote

from grading.documents.citation_cues import extract_cues, unlisted_markers
from grading.models import CitationKind, CitationMention

MAX_PMID_DIGITS = 8
MAX_FOOTNOTE_DIGITS = 3
MAX_ENTRY_CHARS = 2000  # longer lines are prose, not one reference entry
ID_KINDS = ("pmid", "pmcid", "doi")  # preference when an entry carries several ids

# --- links -----------------------------------------------------------------------------

# Where a link begins: a scheme, or "www."/a scholarly host written without one. Digits may
# stand right before (a glued footnote), letters or URL punctuation may not.
LINK_START_RE = re.compile(
    r"(?:https?|ftp)://|(?<![A-Za-z./@=:_\-])(?:www\.|(?:dx\.)?doi\.org/|(?:pubmed\.|pmc\.)?ncbi\.nlm\.nih\.gov/"
    r"|europepmc\.org/)", re.IGNORECASE)
URL_RUN_RE = re.compile(r"[^\s\"<>\[\]{}|\\^`\u2018-\u201f\u00ab\u00bb\u2013\u2014\u2026]*")
# a stray space inside a host, after its dot: "www. sciencedirect.com/…", "frontiersin. org/…"
BROKEN_HOST_RE = re.compile(r"(?<=\.) (?=[a-z0-9\-]+(?:\.[a-z0-9\-]+)*/)")
URL_PARTS_RE = re.compile(r"(?:[A-Za-z]+://)?([^/?#]*)(.*)", re.DOTALL)
HOST_RE = re.compile(r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+(?::[0-9]+)?")
ID_HOSTS = ("ncbi.nlm.nih.gov", "europepmc.org")  # hosts whose paths carry PubMed/PMC ids
PMCID_IN_URL_RE = re.compile(r"(?<![A-Za-z0-9])PMC([0-9]{1,12})(?![0-9])", re.IGNORECASE)
PMID_IN_URL_RE = re.compile(
    r"^/(?:(?:m/)?pubmed/|pmc/articles/pmid/|(?:abstract|article|abs)/med/)?(?:\?term=)?([0-9]+)(?=$|[/?#&])"
    r"|[?&](?:list_uids|term|uid)=([0-9]+)(?=$|[&#])", re.IGNORECASE)
DOI_IN_URL_RE = re.compile(r"(?:^|[/=])(10\.[0-9]{4,9}/[^?#&\s]+)")
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

# --- labelled identifiers --------------------------------------------------------------

PMID_LABEL_RE = re.compile(r"\b(?:PMID|PubMed[ \t]*ID|PubMed[ \t]*(?=:))[ \t]*(?:[:#][ \t]*)?([0-9]{1,12})(?![0-9])",
                           re.IGNORECASE)
PMCID_LABEL_RE = re.compile(r"\bPMCID[ \t]*(?:[:#][ \t]*)?(?:PMC)?([0-9]{1,12})(?![0-9])|(?<![A-Za-z0-9/])PMC"
                            r"([0-9]{3,12})(?![0-9])", re.IGNORECASE)
DOI_RE = re.compile(r"(?:\bdoi[ \t]*(?::[ \t]*)?)?(?<![A-Za-z0-9./_\-])10\.[0-9]{4,9}/[^\s\"'\[\]{}|\\^`"
                    r"\u2018-\u201f]+", re.IGNORECASE)
DOI_START_RE = re.compile(r"10\.[0-9]")

# --- names, years, journals ------------------------------------------------------------

UPPER = "A-ZÀ-ÖØ-Þ"
PARTICLE_WORDS = r"(?:van|von|de|der|den|del|della|da|di|du|dos|le|la)"
PARTICLES = rf"(?:{PARTICLE_WORDS}[ \t]+){{0,3}}"
SURNAME = rf"{PARTICLES}[{UPPER}][^\W\d_]*(?:['’\-][^\W\d_]+)*"
SURNAME_FULL = rf"{SURNAME}(?:[ \t]+[{UPPER}][^\W\d_]*[a-zà-ÿ](?:['’\-][^\W\d_]+)*){{0,2}}"
INITIALS = r"(?:(?:[A-Z]\.[ \t]?-?){1,3}|[A-Z]{1,3})(?![^\W\d_])"
AFFILIATION_DIGITS = r"(?:[0-9]{1,2}(?:,[0-9]{1,2})*(?=,|[ \t]|$)|[\u00b9\u00b2\u00b3\u2070-\u2079]{1,3})?"
VANCOUVER_NAME = rf"{SURNAME_FULL}[ \t]+{INITIALS}{AFFILIATION_DIGITS}"
APA_NAME = rf"{SURNAME_FULL},[ \t]+(?:[A-Z]\.[ \t]?-?){{1,4}}"
APA_NAME_RE = re.compile(APA_NAME)
VANCOUVER_NAME_RE = re.compile(rf"(?P<surname>{SURNAME_FULL})[ \t]+(?P<initials>{INITIALS}){AFFILIATION_DIGITS}")
NOT_INITIAL_RE = re.compile(r"[^A-Z]")
YEAR = r"(?:1[89]|20)[0-9]{2}"
ET_AL = r"et[ \t]+al\b\.?"

VANCOUVER_RE = re.compile(rf"(?P<authors>{VANCOUVER_NAME}(?:,[ \t]*{VANCOUVER_NAME}){{0,60}})"
                          rf"(?P<etal>,?[ \t]+et[ \t]+al\b)?(?:(?<=\.)[ \t]|[ \t]*(?:[.;:]|$))")
APA_RE = re.compile(rf"(?P<authors>{APA_NAME}(?:,?[ \t]+(?:&[ \t]+|and[ \t]+|\.\.\.[ \t]+|…[ \t]+)?{APA_NAME})"
                    rf"{{0,60}})(?P<etal>,?[ \t]+{ET_AL})?[ \t]*\((?P<year>{YEAR})[a-z]?(?:,[^()\n]{{0,30}})?\)\.?")
# "2006 Oct;1117(1):54-60" after an AMA/Vancouver title and journal
AMA_DATE = rf"(?<![0-9])(?P<year>{YEAR})(?:[ \t]+[A-Z][a-z]{{2,8}}\.?(?:[-/][A-Z][a-z]{{2,8}})?(?:[ \t]+[0-9]{{1,2}})?)?"
AMA_VOLUME = r"[ \t]*;[ \t]*(?P<vol>[0-9]{1,6}[A-Za-z]?)(?:[ \t]*\([^()\n]{1,20}\))?"
AMA_PAGES = r"[ \t]*:[ \t]*(?P<page>[A-Za-z]?[0-9]{1,7}[A-Za-z]?)(?:[ \t]*[-–][ \t]*[A-Za-z]?[0-9]{1,7}[A-Za-z]?)?"
AMA_CORE_RE = re.compile(rf"{AMA_DATE}{AMA_VOLUME}(?:{AMA_PAGES})?")
JOURNAL_CORE_RE = re.compile(rf"{AMA_DATE}{AMA_VOLUME}{AMA_PAGES}")  # without authors, demand the pages
# "Cochrane Database Syst Rev. 2008[4]:CD000448": a review number; "[4]"/"(4)" is the issue, not a marker
REVIEW_NUMBER_RE = re.compile(rf"{AMA_DATE}[ \t]*(?:\[(?P<issue>[0-9]{{1,2}})\]|\((?P<issue2>[0-9]{{1,2}})\))?"
                              rf"[ \t]*[:;][ \t]*(?:Art\.?[ \t]*No\.?:?[ \t]*)?(?P<page>CD[0-9]{{6}})(?![0-9])")
# ", 1117(1), 54–60" after an APA title and journal
APA_CORE_RE = re.compile(r",[ \t]*(?P<vol>[0-9]{1,6})(?:[ \t]*\([^()\n]{1,20}\))?,[ \t]*"
                         r"(?P<page>[A-Za-z]?[0-9]{1,7}[A-Za-z]?)")
YEAR_RE = re.compile(rf"(?<![0-9]){YEAR}(?![0-9])")
# "(2008) • Annals of Internal Medicine" after a card's author list; the bullet may be mojibake
CARD_TAIL_RE = re.compile(rf"[ \t]*\((?P<year>{YEAR})[a-z]?\)[.,]?[ \t]*(?:[^A-Za-z0-9 \t(]{{1,4}}[ \t]*)?"
                          rf"(?P<journal>[A-Z][^()\n]{{2,120}})?$")
SENTENCE_END_RE = re.compile(r"(?<=[.?!])[ \t]+")
JOURNAL_WORD = r"[A-Z][A-Za-z&'\-]*\.?"
# sentence words before a journal name: "Published in Brain Res. 2006;…"
JOURNAL_LEAD_RE = re.compile(r"(?:(?:[A-Z][a-z]+ed|See|Source|Sources|From|In|Also|Ref|Available)[ \t]+"
                             r"(?:(?:in|at|by|from|as)[ \t]+)?)+")
JOURNAL_TAIL_RE = re.compile(rf"(?<![\w.])(?P<journal>{JOURNAL_WORD}(?:[ \t]+(?:(?:of|and|the|in|for|&)[ \t]+)?"
                             rf"{JOURNAL_WORD}){{0,8}})[ \t]*(?:[.,][ \t]*)?$")

# --- author-year markers ---------------------------------------------------------------

AY_NAMES = rf"{SURNAME}(?:(?:,[ \t]*{SURNAME}){{0,5}},?[ \t]+(?:&|and)[ \t]+{SURNAME}|[ \t]+{ET_AL})?"
AY_PART_RE = re.compile(
    rf"[ \t]*(?:(?:see(?:[ \t]+also)?|e\.g\.,?|cf\.?|i\.e\.,?|reviewed[ \t]+(?:in|by))[ \t]+)?"
    rf"(?P<names>{AY_NAMES})(?P<comma>,)?[ \t]+(?P<year>{YEAR})[a-z]?(?:,[ \t]*{YEAR}[a-z]?)*"
    rf"(?:,[ \t]*pp?\.[ \t]*[0-9]+(?:[ \t]*[-–][ \t]*[0-9]+)?)?[ \t]*")
PAREN_RE = re.compile(r"\(([^()\n]{4,400})\)")
NARRATIVE_RE = re.compile(rf"(?<![\w'’\-])(?P<names>{SURNAME}(?:[ \t]+{ET_AL}|[ \t]+&[ \t]+{SURNAME}))"
                          rf"[ \t]*\([ \t]*(?P<year>{YEAR})[a-z]?[ \t]*\)")
# --- reference lists -------------------------------------------------------------------

ENTRY_START_RE = re.compile(rf"^[ \t]*(?:[•·▪◦*\-–][ \t]+)?(?:(?:\[[0-9]{{1,3}}\]|[0-9]{{1,3}}[.)])[ \t]*)?"
                            rf"(?:[{UPPER}]|{PARTICLE_WORDS}[ \t])", re.MULTILINE)
ENTRY_LEAD_RE = re.compile(r"[ \t]*(?:[•·▪◦*\-–][ \t]+)?(?:(?P<number>\[[0-9]{1,3}\]|[0-9]{1,3}[.)])[ \t]*)?")
LIST_ENTRY_MAX_CHARS = 400  # a title-first entry under a heading ("Title. Journal. 2006. https://…")
LIST_KINDS = frozenset({"pmid", "pmcid", "doi", "url", "journal_ref"})


@dataclass(frozen=True)
class Vocabulary:
    """The word lists of data/citation_vocabulary.toml, compiled."""

    heading: re.Pattern[str]  # a line that opens a reference list
    label_words: frozenset[str]  # may stand beside a citation on a citation-only line
    not_authors: frozenset[str]  # capitalised words before a year that are not names


@cache
def vocabulary() -> Vocabulary:
    """Load and compile data/citation_vocabulary.toml (once, on first use)."""
    with (resources.files("grading") / "data" / "citation_vocabulary.toml").open("rb") as fh:
        data = tomllib.load(fh)
    names = sorted(data["reference_list"]["headings"], key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[ \t]+").replace(r"\-", r"[- \t]") for n in names)
    initials = re.escape("".join(sorted({n[0] for n in names})))  # skips most lines at once
    heading = re.compile(rf"^[#*= \t]*(?:[0-9]+\.?[ \t]*)?(?=[{initials}])(?:{alternatives})(?:[ \t]*:)?[#*= \t]*\r?$",
                         re.IGNORECASE | re.MULTILINE)
    return Vocabulary(heading, frozenset(data["reference_list"]["label_words"].split()),
                      frozenset(data["author_year"]["not_authors"].split()))


def extract_citations(text: str) -> list[CitationMention]:
    """Every citation in `text`, sorted by char_start, with `text[start:end] == raw`."""
    if not isinstance(text, str) or not text:
        return []
    lines = Lines(text)
    found = extract_links(text, lines)
    for tier in (extract_identifiers(text), extract_journal_refs(text), extract_author_years(text)):
        found = without_overlaps(found, tier)
    found, entry_lines = merge_reference_entries(text, lines, found)
    found = mark_reference_lists(text, lines, found, entry_lines)
    listed = {m.footnote for m in found if m.in_reference_list and m.footnote is not None}
    cues = unlisted_markers(text, 0, extract_cues(text), listed)
    found, cues = titled_cards(text, found, cues)
    return without_overlaps(found, cues)


def titled_cards(text: str, found: list[CitationMention], cues: list[CitationMention]
                 ) -> tuple[list[CitationMention], list[CitationMention]]:
    """A title line right above an author line that names no title is that entry's title
    (a study card: title, then "Authors (year) • Journal"): one citation, not two."""
    by_start = {m.char_start: i for i, m in enumerate(found)}
    kept = []
    for cue in cues:
        if cue.kind == "title":
            nxt = cue.char_end + len(text[cue.char_end:]) - len(text[cue.char_end:].lstrip(" \t.\r\n"))
            i = by_start.get(nxt)
            if i is not None and found[i].kind in ("author_list", "author_year") and not found[i].title:
                found[i] = replace(found[i], title=cue.title, topic=cue.topic, figures=cue.figures,
                                   design=cue.design, context_start=cue.context_start, context_end=cue.context_end)
                continue
        kept.append(cue)
    return found, kept


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


def without_overlaps(kept: list[CitationMention], new: list[CitationMention]) -> list[CitationMention]:
    """`kept` plus the mentions of `new` that overlap none of `kept` (nor an earlier one of `new`)."""
    kept = sorted(kept, key=lambda m: m.char_start)
    starts = [m.char_start for m in kept]
    accepted, last_end = [], -1
    for m in sorted(new, key=lambda c: c.char_start):
        i = bisect.bisect_left(starts, m.char_end)  # kept[:i] start before m ends; kept never overlap
        if (i and kept[i - 1].char_end > m.char_start) or m.char_start < last_end:
            continue
        accepted.append(m)
        last_end = m.char_end
    return sorted(kept + accepted, key=lambda c: c.char_start)


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


# --- labelled identifiers --------------------------------------------------------------

def extract_identifiers(text: str) -> list[CitationMention]:
    """`PMID: N`, `PubMed ID: N`, `PMCID: PMC123`, bare `PMC123`, `doi: 10.x/y` and bare DOIs."""
    out = []
    for m in PMID_LABEL_RE.finditer(text):
        digits = m.group(1)
        value = str(int(digits)) if len(digits) <= MAX_PMID_DIGITS and int(digits) > 0 else digits
        out.append(CitationMention(m.start(), m.end(), m.group(), "pmid", value))
    for m in PMCID_LABEL_RE.finditer(text):
        out.append(CitationMention(m.start(), m.end(), m.group(), "pmcid", "PMC" + (m.group(1) or m.group(2))))
    for m in DOI_RE.finditer(text):
        end = trim_end(text, m.start(), m.end())
        raw = text[m.start():end]
        doi = clean_doi(raw[DOI_START_RE.search(raw).start():])
        if "/" in doi and not doi.endswith("/"):
            out.append(CitationMention(m.start(), end, raw, "doi", doi))
    return sorted(out, key=lambda c: c.char_start)


# --- journal references and author-year markers ----------------------------------------

def extract_journal_refs(text: str) -> list[CitationMention]:
    """"Brain Res. 2006;1117(1):54-60": journal, year, volume and first page, no authors."""
    out = []
    cores = [*JOURNAL_CORE_RE.finditer(text), *REVIEW_NUMBER_RE.finditer(text)]
    for m in sorted(cores, key=lambda c: c.start()):
        tail = JOURNAL_TAIL_RE.search(text, max(0, m.start() - 100), m.start())
        if not tail:
            continue
        lead = JOURNAL_LEAD_RE.match(text, tail.start(), m.start())
        start, end = lead.end() if lead else tail.start(), trim_end(text, m.start(), m.end())
        if start >= m.start():
            continue
        start = journal_start(text, start, m.start())
        raw = text[start:end]
        journal = text[start:m.start()].strip(" \t.,")
        groups = m.groupdict()
        out.append(CitationMention(start, end, raw, "journal_ref", " ".join(raw.split()), year=int(m.group("year")),
                                   journal=journal, volume=groups.get("vol"), first_page=m.group("page"),
                                   issue=groups.get("issue") or groups.get("issue2")))
    return out


def journal_start(text: str, start: int, end: int) -> int:
    """Where the journal name begins in text[start:end], past title words the capitalised run
    swept up: "… on Memory. Brain Res." -> "Brain Res."; "Semax Improves Memory In Rats. J. Neurosci.
    Res." -> "J. Neurosci. Res.". A part of three words or more before a full stop is a title; so is
    a first part that continues a lower-case sentence."""
    parts = list(re.finditer(r"[^.]+(?:\.|$)", text[start:end].rstrip()))
    continues = bool(re.search(r"[a-z][ \t]+$", text[max(0, start - 20):start]))
    for i, p in enumerate(parts[:-1]):
        words = p.group().split()
        if len(words) >= 3 or (i == 0 and continues):
            start_of_rest = start + parts[i + 1].start()
            start = start_of_rest + len(text[start_of_rest:end]) - len(text[start_of_rest:end].lstrip())
            return journal_start(text, start, end) if i + 1 < len(parts) - 1 else start
        break
    return start


def extract_author_years(text: str) -> list[CitationMention]:
    """Parenthetical "(Smith & Jones, 2010; Lee 2012)" (one mention per part; a lone part keeps its
    parentheses) and narrative "Dolotov et al. (2006)" / "Smith & Jones (2010)"."""
    out = []
    for m in PAREN_RE.finditer(text):
        parts, pos = [], m.start(1)
        for piece in m.group(1).split(";"):
            parts.append((pos, pos + len(piece)))
            pos += len(piece) + 1
        found = [mention for s, e in parts if (mention := author_year_part(text, s, e))]
        if len(found) == len(parts) == 1:
            only = found[0]
            found = [replace(only, char_start=m.start(), char_end=m.end(), raw=m.group())]
        out.extend(found)
    for m in NARRATIVE_RE.finditer(text):
        authors = names_of(m.group("names"))
        if authors:
            out.append(CitationMention(m.start(), m.end(), m.group(), "author_year", " ".join(m.group().split()),
                                       authors=authors, year=int(m.group("year"))))
    return sorted(out, key=lambda c: c.char_start)


def author_year_part(text: str, start: int, end: int) -> CitationMention | None:
    """One "Name[ & Name| et al.][,] Year" piece of a parenthesis, or None."""
    m = AY_PART_RE.fullmatch(text, start, end)
    if not m:
        return None
    authors = names_of(m.group("names"))
    if not authors or (len(authors) == 1 and authors[0].isupper() and not m.group("comma")):
        return None  # "(FY 2010)"-like acronyms pass only in the "(WHO, 2010)" form
    s, e = m.start("names"), m.end() - (len(m.group()) - len(m.group().rstrip()))
    raw = text[s:e]
    return CitationMention(s, e, raw, "author_year", " ".join(raw.split()), authors=authors,
                           year=int(m.group("year")))


def names_of(names: str) -> tuple[str, ...]:
    """"Smith, Lee & Jones" -> ("Smith", "Lee", "Jones"); "Dolotov et al." -> ("Dolotov",); () if a
    name is a word like "Since" or "March"."""
    names = re.sub(rf"[ \t]+{ET_AL}", "", names)
    out = tuple(n.strip() for n in re.split(r",|[ \t]&[ \t]|[ \t]and[ \t]", names) if n.strip())
    if any(n.split()[-1].lower().strip("'’") in vocabulary().not_authors for n in out):
        return ()
    return out


# --- reference entries -----------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """What a reference entry names."""

    authors: tuple[str, ...]
    year: int | None = None
    title: str | None = None
    journal: str | None = None
    volume: str | None = None
    first_page: str | None = None


def parse_reference_entry(entry: str) -> Entry | None:
    """Parse a line that starts with a Vancouver/AMA or APA author list, else None.

    Vancouver: "Dolotov OV, Karpenko EA, et al. Title. Brain Res. 2006;1117(1):54-60."
    APA: "Dolotov, O. V., & Karpenko, E. A. (2006). Title. Brain Research, 1117(1), 54–60."
    A Vancouver list needs "et al.", a year after it, or two authors one of whom has two
    initials (so "Vitamin D, Vitamin K." is not one).
    """
    m = APA_RE.match(entry)
    if m:
        core = APA_CORE_RE.search(entry, m.end())
        title, journal = title_and_journal(entry[m.end():core.start() if core else len(entry)])
        return Entry(tuple(apa_author(a) for a in APA_NAME_RE.findall(m.group("authors"))), int(m.group("year")),
                     title, journal, core and core.group("vol"), core and core.group("page"))
    m = VANCOUVER_RE.match(entry)
    if not m:
        return None
    authors = tuple(vancouver_author(a) for a in m.group("authors").split(","))
    rest = entry[m.end():]
    card = CARD_TAIL_RE.match(rest)
    if card:  # a study card: "Nass R, et al. (2008) • Annals of Internal Medicine"
        journal = card.group("journal")
        return Entry(authors, int(card.group("year")), None, journal.strip(" .") if journal else None)
    core = AMA_CORE_RE.search(rest)
    year_m = core or YEAR_RE.search(rest)
    two_initials = any(len(a.split()[-1]) >= 2 for a in authors)
    if not (m.group("etal") or year_m or (len(authors) >= 2 and two_initials)):
        return None
    title, journal = title_and_journal(rest[:year_m.start() if year_m else len(rest)])
    year = int(core.group("year")) if core else int(year_m.group()) if year_m else None
    return Entry(authors, year, title, journal, core and core.group("vol"), core and core.group("page"))


def apa_author(name: str) -> str:
    """"Dolotov, O. V." -> "Dolotov OV"."""
    surname, _, initials = name.partition(",")
    return " ".join(surname.split()) + " " + NOT_INITIAL_RE.sub("", initials)


def vancouver_author(name: str) -> str:
    """"Dolotov O.V." -> "Dolotov OV"."""
    m = VANCOUVER_NAME_RE.fullmatch(name.strip())
    if not m:
        return " ".join(name.split())
    return " ".join(m.group("surname").split()) + " " + NOT_INITIAL_RE.sub("", m.group("initials"))


def title_and_journal(between: str) -> tuple[str | None, str | None]:
    """Split "Title. Journal." (what lies between authors and year/volume) into its two parts."""
    between = between.strip(" \t.,;")
    if not between:
        return None, None
    parts = SENTENCE_END_RE.split(between)
    if len(parts) == 1:
        return between, None
    return " ".join(parts[:-1]).rstrip(".") or None, parts[-1].rstrip(". ") or None


def merge_reference_entries(text: str, lines: Lines, found: list[CitationMention]
                            ) -> tuple[list[CitationMention], set[int]]:
    """Turn each reference-entry line into one mention, absorbing the ids, links and journal
    references on it. Returns the mentions and the numbers of entry lines."""
    found = sorted(found, key=lambda c: c.char_start)
    starts = [m.char_start for m in found]
    absorbed: set[int] = set()
    entries, entry_lines = [], set()
    for candidate in ENTRY_START_RE.finditer(text):  # only lines that can open an entry
        n = lines.index(candidate.start())
        ls, le = lines.span(n)
        if le - ls > MAX_ENTRY_CHARS:
            continue
        lead = ENTRY_LEAD_RE.match(text, ls, le)
        end = ls + len(text[ls:le].rstrip())
        entry = parse_reference_entry(text[lead.end():end])
        if entry is None:
            continue
        inside = range(bisect.bisect_left(starts, ls), bisect.bisect_left(starts, le))
        ids = [found[i] for i in inside if found[i].kind in ID_KINDS]
        if any(len({m.value for m in ids if m.kind == k}) > 1 for k in ID_KINDS):
            continue  # several papers on one line: not one entry
        number = lead.group("number")
        start = min([lead.start("number") if number else lead.end(), *(found[i].char_start for i in inside)])
        end = max([end, *(found[i].char_end for i in inside)])
        footnote = int(number.strip("[].)")) if number else next((m.footnote for m in ids if m.footnote), None)
        best = min(ids, key=lambda m: ID_KINDS.index(m.kind)) if ids else None
        raw = text[start:end]
        kind, value = (best.kind, best.value) if best else ("author_list", " ".join(raw.split()))
        entries.append(CitationMention(start, end, raw, kind, value, footnote, True, entry.authors, entry.year,
                                       entry.title, entry.journal, entry.volume, entry.first_page))
        absorbed.update(inside)
        entry_lines.add(n)
    kept = [m for i, m in enumerate(found) if i not in absorbed]
    return sorted(kept + entries, key=lambda c: c.char_start), entry_lines


def mark_reference_lists(text: str, lines: Lines, found: list[CitationMention],
                         entry_lines: set[int]) -> list[CitationMention]:
    """Set in_reference_list for mentions on reference-list lines: entry lines; lines after a
    reference heading while each carries a citation; runs of two or more lines that hold
    nothing but a citation (and label words). Only lines with a heading, an entry or a mention
    are visited; any other non-blank line between them ends a list."""
    on_line: dict[int, list[int]] = {}
    for i, m in enumerate(found):
        on_line.setdefault(lines.index(m.char_start), []).append(i)
    headings = {lines.index(h.start()) for h in vocabulary().heading.finditer(text)}
    listed, run, after_heading, prev_end = set(entry_lines), [], False, 0
    for n in sorted(headings | entry_lines | set(on_line)):
        ls, le = lines.span(n)
        if text[prev_end:ls].strip():  # prose between: no list continues across it
            after_heading, run = False, flush(run, listed)
        prev_end = le
        if n in headings:
            after_heading, run = True, flush(run, listed)
            continue
        cites = [found[i] for i in on_line.get(n, []) if found[i].kind in LIST_KINDS]
        pure = bool(cites) and labels_only(text, ls, le, cites)
        after_heading = after_heading and (n in entry_lines or pure or listed_entry(text, ls, le, cites))
        if after_heading:
            listed.add(n)
        if n in entry_lines or pure:
            run.append(n)
        else:
            run = flush(run, listed)
    flush(run, listed)
    marked = {i for n in listed for i in on_line.get(n, [])}
    return [replace(m, in_reference_list=True) if i in marked and not m.in_reference_list else m
            for i, m in enumerate(found)]


def flush(run: list[int], listed: set[int]) -> list[int]:
    """Mark a finished run of citation-only lines as a list when it has two or more; start anew."""
    if len(run) >= 2:
        listed.update(run)
    return []


def labels_only(text: str, start: int, end: int, cites: list[CitationMention]) -> bool:
    """True when text[start:end] holds nothing but the citations, list numbers and label words."""
    pieces, pos = [], start
    for m in sorted(cites, key=lambda c: c.char_start):
        pieces.append(text[pos:max(pos, m.char_start)])
        pos = max(pos, m.char_end)
    pieces.append(text[pos:end])
    words = re.findall(r"[^\W\d_]+", " ".join(pieces))
    return all(w.lower() in vocabulary().label_words for w in words)


def listed_entry(text: str, start: int, end: int, cites: list[CitationMention]) -> bool:
    """A line under a reference heading that reads as one entry: a short line that starts or
    ends with its citation ("Title. Journal. 2006. https://…"), not prose with a link inside."""
    if not cites or end - start > LIST_ENTRY_MAX_CHARS:
        return False
    lead = ENTRY_LEAD_RE.match(text, start, end).end()
    tail = trim_end(text, start, start + len(text[start:end].rstrip()))
    return any(m.char_start <= lead or m.char_end >= tail for m in cites)
