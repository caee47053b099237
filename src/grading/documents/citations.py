"""Finding citations in a document's plain text.

`extract_citations(text)` returns every citation with exact offsets
(`text[m.char_start:m.char_end] == m.raw`), sorted by position. It is pure and total: any
string gives a list, never an exception. Forms found, in order of precedence when spans
overlap:

1. links (grading.documents.citation_links): PubMed, PMC, Europe PMC and DOI links (also
   scheme-less, also DOIs inside publisher URLs, also URLs broken by a stray space) and any other
   URL (kind `url`), with the footnote number glued to or standing before each;
2. labelled identifiers: `PMID: N`, `PubMed ID: N`, `PMCID: PMC123`, `doi: 10.x/y`, bare DOIs;
3. reference entries (grading.documents.reference_entries): a line starting with a Vancouver/AMA (`Dolotov OV, Karpenko EA, et al.`)
   or APA (`Dolotov, O. V., & Karpenko, E. A. (2006).`) author list. An entry becomes ONE
   mention: of its identifier's kind when it carries one, else `author_list`; under a
   reference-list heading, a numbered or bulleted line that is only a paper's title is an entry
   of kind `title`;
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
from dataclasses import replace

from grading.documents.citation_cues import extract_cues, unlisted_markers
from grading.documents.citation_links import (
    DOI_START_RE,
    MAX_PMID_DIGITS,
    Lines,
    clean_doi,
    extract_links,
    trim_end,
)
from grading.documents.citation_patterns import (
    AY_PART_RE,
    DOI_RE,
    ET_AL,
    JOURNAL_CORE_RE,
    JOURNAL_LEAD_RE,
    JOURNAL_TAIL_RE,
    NARRATIVE_RE,
    PAREN_RE,
    PMCID_LABEL_RE,
    PMID_LABEL_RE,
    REVIEW_NUMBER_RE,
    vocabulary,
)
from grading.documents.reference_entries import mark_reference_lists, merge_reference_entries, title_entries
from grading.models import CitationMention


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
    found, title_lines = title_entries(text, lines, found, entry_lines)
    entry_lines |= title_lines
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
                           year=int(m.group("year")), journal=m.group("journal"))


def names_of(names: str) -> tuple[str, ...]:
    """"Smith, Lee & Jones" -> ("Smith", "Lee", "Jones"); "Dolotov et al." -> ("Dolotov",); () if a
    name is a word like "Since" or "March"."""
    names = re.sub(rf"[ \t]+{ET_AL}", "", names)
    out = tuple(n.strip() for n in re.split(r",|[ \t]&[ \t]|[ \t]and[ \t]", names) if n.strip())
    if any(n.split()[-1].lower().strip("'’") in vocabulary().not_authors for n in out):
        return ()
    return out
