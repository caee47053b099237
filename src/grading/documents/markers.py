"""Numbered citation markers in running text and the reference entries they point to.

"[2]", "[1, 3]", "[4-6]", superscripts ("¹²"), and flattened superscripts glued to the
punctuation or word before them ("bacteria.1, 2", "AAD.3, 4", "hippocampus1https://…").
Glued digits are only markers on a page with a numbered or ordered reference list, before
it, and only when the first number names an entry and the rest climb: elsewhere "CoQ10." or
"type 2," are words. Bracketed labels "(1)", "(1, 3)", "(a)", "(a,b)" are markers only on a
page whose reference entries carry such labels ("(1) Doe J…", "1. …", "(a) …", "a. …"): lettered
ones against a lettered list, numbered ones against a numbered list; elsewhere "(1)" numbers a
step or an item of prose.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from grading.documents.citation_patterns import LETTER_LABEL_RE
from grading.models import CitationMention

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
NUMBERS = r"\d{1,3}(?:\s*[,–-]\s*\d{1,3})*"
BRACKETED_RE = re.compile(rf"\[({NUMBERS})\]")
SUPERSCRIPT_RE = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+(?:[,⁻–-][⁰¹²³⁴⁵⁶⁷⁸⁹]+)*")
# Digits glued after a sentence's punctuation or a closing bracket ("bacteria.1, 2").
GLUED_PUNCT_RE = re.compile(rf"(?<=[^\W\d_][.,;:)])({NUMBERS})(?=\s|$|[A-Z(])")
# Digits glued to a word right before a link ("hippocampus1https://…").
GLUED_LINK_RE = re.compile(r"(?<=[a-z])(\d{1,3})(?=https?://|www\.)")
# "(1)", "(1, 3)", "(2-4)"; "(a)", "(a,b)", "(a-c)".
PAREN_NUMBERS_RE = re.compile(rf"\([ \t]*({NUMBERS})[ \t]*\)")
PAREN_LETTERS_RE = re.compile(r"\([ \t]*([a-z](?:[ \t]*[,–-][ \t]*[a-z])*)[ \t]*\)")
MAX_RANGE = 50  # "[1-400]" is not a footnote range


@dataclass(frozen=True)
class Marker:
    start: int
    end: int
    numbers: tuple[int, ...]
    glued: bool  # flattened digits or a bare "(1)"/"(a)": checked against the list before use


def parse_numbers(raw: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in re.split(r"\s*,\s*", raw.translate(SUPERSCRIPTS).replace("⁻", "-")):
        if m := re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", part):
            a, b = int(m.group(1)), int(m.group(2))
            if a <= b and b - a <= MAX_RANGE:
                out.extend(range(a, b + 1))
            continue
        if part.isdigit():
            out.append(int(part))
    return tuple(dict.fromkeys(out))


def letter_numbers(raw: str) -> str:
    """"a, c" -> "1, 3": letters as the numbers their entries carry."""
    return re.sub(r"[a-z]", lambda m: str(ord(m.group()) - ord("a") + 1), raw)


def find_markers(text: str, start: int, glued_ok: bool, labels: str | None = None) -> list[Marker]:
    """Every numbered marker after `start`, in order, none overlapping. `labels`: the list's
    label kind ("numbers" or "letters") when its entries carry labels, which lets bare
    bracketed labels count; a lettered list takes only lettered markers."""
    found: list[Marker] = []
    if labels == "letters":
        for m in PAREN_LETTERS_RE.finditer(text, start):
            found.append(Marker(m.start(), m.end(), parse_numbers(letter_numbers(m.group(1))), True))
        glued_ok = False
    else:
        for m in BRACKETED_RE.finditer(text, start):
            found.append(Marker(m.start(), m.end(), parse_numbers(m.group(1)), False))
        for m in SUPERSCRIPT_RE.finditer(text, start):
            found.append(Marker(m.start(), m.end(), parse_numbers(m.group(0)), False))
    if labels == "numbers":
        for m in PAREN_NUMBERS_RE.finditer(text, start):
            found.append(Marker(m.start(), m.end(), parse_numbers(m.group(1)), True))
    if glued_ok:
        for rx in (GLUED_PUNCT_RE, GLUED_LINK_RE):
            for m in rx.finditer(text, start):
                found.append(Marker(m.start(1), m.end(1), parse_numbers(m.group(1)), True))
    found.sort(key=lambda k: (k.start, -k.end))
    out: list[Marker] = []
    for k in found:
        if k.numbers and (not out or k.start >= out[-1].end):
            out.append(k)
    return out


def reference_entries(mentions: Sequence[CitationMention]) -> dict[int, int]:
    """Footnote number -> index of its reference-list mention. Numbered entries use their
    number; an unnumbered list (no entry carries one) is numbered by order."""
    entries = [(i, m) for i, m in enumerate(mentions) if m.in_reference_list]
    numbered = {m.footnote: i for i, m in entries if m.footnote is not None}
    if numbered:
        return numbered
    return {n: i for n, (i, _) in enumerate(sorted(entries, key=lambda e: e[1].char_start), start=1)}


def list_labels(mentions: Sequence[CitationMention]) -> str | None:
    """"letters" or "numbers" when the reference entries carry labels of their own, else None."""
    labelled = [m for m in mentions if m.in_reference_list and m.footnote is not None]
    if not labelled:
        return None
    if all(LETTER_LABEL_RE.match(m.raw) for m in labelled):
        return "letters"
    return "numbers"


def marker_links(text: str, body_start: int, mentions: Sequence[CitationMention]) -> list[tuple[Marker, list[int]]]:
    """Each marker in running text with the reference-list mentions it names.

    A glued marker counts only when all its numbers are entries; a bracketed one keeps the
    numbers that are. Markers inside reference entries are ignored.
    """
    entries = reference_entries(mentions)
    if not entries:
        return []
    ref_spans = sorted((m.char_start, m.char_end) for m in mentions if m.in_reference_list)
    starts = [s for s, _ in ref_spans]
    reach, far = [], -1  # reach[i]: the furthest end among spans 0..i (spans may nest)
    for _, e in ref_spans:
        far = max(far, e)
        reach.append(far)
    first_ref = ref_spans[0][0] if ref_spans else len(text)
    out = []
    for k in find_markers(text, body_start, glued_ok=True, labels=list_labels(mentions)):
        i = bisect.bisect_right(starts, k.start) - 1
        if i >= 0 and reach[i] > k.start:
            continue
        named = [entries[n] for n in k.numbers if n in entries]
        # Glued digits: the first must name an entry and the rest climb ("11, 12, 13" where a
        # cut-off list ends at 11); otherwise they are part of the prose.
        climbing = all(a < b for a, b in zip(k.numbers, k.numbers[1:]))
        if k.glued and (k.numbers[0] not in entries or not climbing or k.start > first_ref):
            continue
        if named:
            out.append((k, named))
    return out
