"""Identifiers that look like PubMed or PMC ids but cannot be: said, never dropped in silence.

Citation detection reads `PMID: N` with up to 12 ASCII digits (9 to 12 then get "not a valid
PMID" from resolution). A labelled id it does not read at all - 13 or more digits, a sign,
full-width digits, `PMC` with more than 12 - would otherwise vanish: the claim then reads as
uncited. Each becomes a warning naming the document and the text as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from grading.documents.spans import Spans
from grading.models import CitationMention

DIGITS = r"[-\u2212+]?[0-9\uff10-\uff19]+"
LABELLED = (
    ("PMID", re.compile(r"\b(?:PMID|PubMed[ \t]*ID)[ \t]*(?:[:#][ \t]*)?(" + DIGITS + ")", re.IGNORECASE)),
    ("PMCID", re.compile(r"\bPMC(?:ID)?[ \t]*(?:[:#][ \t]*)?(?:PMC)?(" + DIGITS + ")", re.IGNORECASE)),
)


def why_invalid(kind: str, digits: str) -> str:
    if not digits.isascii():
        return f"written with full-width digits (read as {unicodedata.normalize('NFKC', digits)!r} it would be " \
               "looked up; write it in ASCII digits)"
    if digits[0] in "-\u2212+":
        return "signed"
    limit = "1 to 8" if kind == "PMID" else "1 to 12"
    return f"{len(digits)} digits ({limit} expected)"


def id_warnings(source: str, text: str, mentions: Sequence[CitationMention]) -> list[tuple[str, str]]:
    """(subject, message) per labelled id that no detected citation covers."""
    covered = Spans([(m.char_start, m.char_end) for m in mentions])
    out: list[tuple[str, str]] = []
    for kind, pattern in LABELLED:
        for m in pattern.finditer(text):
            digits = m.group(1)
            if covered.containing(m.start(1)) is not None:
                continue  # read as a citation: resolution says what it is
            if digits.isascii() and digits.isdigit() and len(digits) <= 12:
                continue  # a well-formed id detection chose not to read here (e.g. inside a longer token)
            shown = m.group(0)[:60]
            why = why_invalid(kind, digits)
            out.append((shown, f"in {source}: {shown!r} is not a valid {kind}: {why}; not looked up"))
    return out
