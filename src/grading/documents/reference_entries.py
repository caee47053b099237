"""Reference entries and reference lists: a line starting with a Vancouver/AMA or APA author list
becomes ONE mention (of its identifier's kind when it carries one, else `author_list`); mentions on
reference-list lines (after a heading such as "References", or in a run of lines that are each a
reference) get `in_reference_list=True`. Under a reference heading, a numbered or bulleted line that
is only a paper's title becomes an entry of kind `title`. Used by grading.documents.citations.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from grading.documents.citation_links import (
    Lines,
    trim_end,
)
from grading.documents.citation_patterns import (
    AMA_CORE_RE,
    APA_CORE_RE,
    APA_NAME_RE,
    APA_RE,
    CARD_TAIL_RE,
    ENTRY_LEAD_RE,
    ENTRY_START_RE,
    ID_KINDS,
    LIST_ENTRY_MAX_CHARS,
    LIST_KINDS,
    MAX_ENTRY_CHARS,
    NOT_INITIAL_RE,
    SENTENCE_END_RE,
    VANCOUVER_NAME_RE,
    VANCOUVER_RE,
    YEAR_RE,
    label_number,
    vocabulary,
)
from grading.models import CitationMention

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
        footnote = label_number(number) if number else next((m.footnote for m in ids if m.footnote), None)
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


# --- entries that are titles only --------------------------------------------------------------

SENTENCE_BREAK_RE = re.compile(r"[.!?][ \t]+(?=[A-Z0-9])")
PERSONAL_RE = re.compile(r"\b(?:I|we|our|us|you|your|my)\b", re.IGNORECASE)
TITLE_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")


def title_entries(text: str, lines: Lines, found: list[CitationMention], entry_lines: set[int]
                  ) -> tuple[list[CitationMention], set[int]]:
    """Under a reference-list heading, a numbered or bulleted line that holds no citation and
    reads as a paper's title ("1. Effect of X on Y: a randomized trial.") is an entry of kind
    `title`, numbered like the line: "[1]" in the text then names it, and the title search
    (grading.pubmed.ladder, checked by identity) resolves it. The list ends at the first line
    that is neither an entry nor such a title."""
    on_line = {lines.index(m.char_start) for m in found}
    out, lines_added = [], set()
    for heading in vocabulary().heading.finditer(text):
        n = lines.index(heading.start()) + 1
        while n < len(lines.starts):
            ls, le = lines.span(n)
            n += 1
            if not text[ls:le].strip():
                continue
            if n - 1 in entry_lines or n - 1 in on_line:
                continue  # an entry the other rules read: the list goes on
            mention = title_entry(text, ls, le)
            if mention is None:
                break
            out.append(mention)
            lines_added.add(n - 1)
    return sorted([*found, *out], key=lambda c: c.char_start), lines_added


def title_entry(text: str, start: int, end: int) -> CitationMention | None:
    """The `title` mention for one numbered or bulleted list line that reads as a paper title:
    up to 40 words (a bullet: at least 4), opening with a capital, no question, no first or
    second person, no link."""
    lead = ENTRY_LEAD_RE.match(text, start, end)
    if end - start > LIST_ENTRY_MAX_CHARS or lead.end() == start + len(text[start:end]) - len(text[start:end].lstrip()):
        return None  # neither numbered nor bulleted
    s = lead.end()
    e = s + len(text[s:end].rstrip())
    body = text[s:e]
    parts = SENTENCE_BREAK_RE.split(body)
    title = parts[0].rstrip(" .")
    words = TITLE_WORD_RE.findall(title)
    number = lead.group("number")
    # A numbered line is the entry its markers name even when it reads as no title ("Personal
    # communication, 2019"): the claim citing it is cited, its citation not found. A bullet
    # must read as a title.
    fewest = 1 if number else 4
    if (not fewest <= len(words) <= 40 or not title[:1].isupper() or "?" in body or "://" in body
            or "www." in body or PERSONAL_RE.search(title)):
        return None
    years = YEAR_RE.findall(body)
    footnote = label_number(number) if number else None
    raw = text[lead.start("number") if number else s:e]
    mention = CitationMention(lead.start("number") if number else s, e, raw, "title", "", footnote, True,
                              year=int(years[-1]) if years else None, title=title)
    return replace(mention, value=f"ti={title}" + (f" | dp={mention.year}" if mention.year else ""))
