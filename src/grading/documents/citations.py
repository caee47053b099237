"""Finding citations in a document's plain text.

`extract_citations(text)` returns every citation with exact offsets
(`text[m.char_start:m.char_end] == m.raw`), sorted by position. It is pure and total: any
string gives a list, never an exception. Forms found, in order of precedence when spans
overlap:

1. links (grading.documents.citation_links): PubMed, PMC, Europe PMC and DOI links (also
   scheme-less, also DOIs inside publisher URLs, also URLs broken by a stray space) and any other
   URL (kind `url`), with the footnote number glued to or standing before each;
2. labelled identifiers: `PMID: N`, `PubMed ID: N`, `PMCID: PMC123`, `doi: 10.x/y`, bare DOIs;
3. reference entries: a line starting with a Vancouver/AMA (`Dolotov OV, Karpenko EA, et al.`)
   or APA (`Dolotov, O. V., & Karpenko, E. A. (2006).`) author list. An entry becomes ONE
   mention: of its identifier's kind when it carries one, else `author_list`;
4. journal references without authors: `Brain Res. 2006;1117(1):54-60`, `Otol Lett. 2011;42:113-119`,
   Cochrane review numbers `Cochrane Database Syst Rev. 2015[7]:CD012345` (`[7]` is the issue);
5. author-year markers: `(Dolotov et al., 2006)`, `Dolotov et al. (2006)`, `(Smith & Jones, 2010;
   Lee 2012)`;
6. citations with no id (grading.documents.citation_cues): narrative cues (kind `narrative`: a
   journal, a trial acronym, a lead author, a researcher and institution, authors without a
   year), printed paper titles (kind `title`; one above a study card's author line becomes that
   entry's title), and `[n]` markers whose entry is missing but whose sentence names a journal.
   Study cards "Authors (2008) • Journal" are entries; affiliation digits glued to initials
   ("Vartola U1") are dropped.

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

from grading.documents.citation_cues import extract_cues, unlisted_markers
from grading.documents.citation_links import (
    DOI_START_RE,
    MAX_PMID_DIGITS,
    Lines,
    clean_doi,
    extract_links,
    trim_end,
)
from grading.models import CitationMention

MAX_ENTRY_CHARS = 2000  # longer lines are prose, not one reference entry
ID_KINDS = ("pmid", "pmcid", "doi")  # preference when an entry carries several ids

# --- labelled identifiers --------------------------------------------------------------

PMID_LABEL_RE = re.compile(r"\b(?:PMID|PubMed[ \t]*ID|PubMed[ \t]*(?=:))[ \t]*(?:[:#][ \t]*)?([0-9]{1,12})(?![0-9])",
                           re.IGNORECASE)
PMCID_LABEL_RE = re.compile(r"\bPMCID[ \t]*(?:[:#][ \t]*)?(?:PMC)?([0-9]{1,12})(?![0-9])|(?<![A-Za-z0-9/])PMC"
                            r"([0-9]{3,12})(?![0-9])", re.IGNORECASE)
DOI_RE = re.compile(r"(?:\bdoi[ \t]*(?::[ \t]*)?)?(?<![A-Za-z0-9./_\-])10\.[0-9]{4,9}/[^\s\"'\[\]{}|\\^`"
                    r"\u2018-\u201f]+", re.IGNORECASE)

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
# "Cochrane Database Syst Rev. 2015[7]:CD012345": a review number; "[7]"/"(7)" is the issue, not a marker
REVIEW_NUMBER_RE = re.compile(rf"{AMA_DATE}[ \t]*(?:\[(?P<issue>[0-9]{{1,2}})\]|\((?P<issue2>[0-9]{{1,2}})\))?"
                              rf"[ \t]*[:;][ \t]*(?:Art\.?[ \t]*No\.?:?[ \t]*)?(?P<page>CD[0-9]{{6}})(?![0-9])")
# ", 1117(1), 54–60" after an APA title and journal
APA_CORE_RE = re.compile(r",[ \t]*(?P<vol>[0-9]{1,6})(?:[ \t]*\([^()\n]{1,20}\))?,[ \t]*"
                         r"(?P<page>[A-Za-z]?[0-9]{1,7}[A-Za-z]?)")
YEAR_RE = re.compile(rf"(?<![0-9]){YEAR}(?![0-9])")
# "(2011) • Otology Letters" after a card's author list; the bullet may be mojibake
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


def extract_citations(text: str, start: int = 0) -> list[CitationMention]:
    """Every citation in `text`, sorted by char_start, with `text[start:end] == raw`.
    `start`: where the body begins (Source.body_start): a header line before it holds none."""
    if start:
        return [m for m in extract_citations(text) if m.char_start >= start]
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
    if card:  # a study card: "Vartola U, et al. (2011) • Otology Letters"
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
