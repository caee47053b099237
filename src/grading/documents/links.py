"""Attaching citations to claims.

Inline citations attach to the claim they follow (or sit inside). A document whose only
citations are a reference list gets *inferred* links later, by subject (grading.engine.topic),
once the referenced records are known.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from grading.documents.spans import Spans, citation_brackets
from grading.models import CitationMention, Claim

# What may stand between a claim's end and its citation marker: spaces, punctuation,
# brackets, "see", and other markers (a chain of glued footnotes).
GAP_RE = re.compile(r"^[\s.,;:!?)\]}\[(\-–—*†‡^\"'’”]*(?:see|cf\.?|e\.g\.,?)?[\s.,;:)\]}\[(\-–—*†‡^\"'’”]*$",
                    re.IGNORECASE)

# A footnote number written before a link ("[2](https://…)"): part of the same marker.
BRACKET_MARKER_RE = re.compile(r"\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]")


def attach_inline(text: str, claims: Sequence[Claim], mentions: Sequence[CitationMention]) -> list[str | None]:
    """For each mention (same order), the claim_id it supports, or None.

    A mention inside a claim's span belongs to it; otherwise to the nearest claim ending
    before it when only punctuation and other markers lie between. Reference-list entries
    are never attached here.
    """
    ordered = sorted(claims, key=lambda c: c.char_start)
    ends = [c.char_end for c in ordered]
    spans = Spans([(m.char_start, m.char_end) for m in mentions] + citation_brackets(text, mentions))
    out: list[str | None] = []
    for m in mentions:
        if m.in_reference_list:
            out.append(None)
            continue
        out.append(claim_for(text, ordered, ends, spans, m))
    return out


def claim_for(text: str, ordered: Sequence[Claim], ends: list[int], spans: Spans,
              m: CitationMention) -> str | None:
    i = bisect.bisect_right(ends, m.char_start) - 1  # last claim ending at or before the mention
    after = i + 1
    if after < len(ordered) and ordered[after].char_start <= m.char_start < ordered[after].char_end:
        return ordered[after].claim_id
    if i < 0:
        return None
    claim = ordered[i]
    gap = BRACKET_MARKER_RE.sub("", strip_mentions(text, claim.char_end, m.char_start, spans))
    return claim.claim_id if GAP_RE.match(gap) else None


def strip_mentions(text: str, start: int, end: int, spans: Spans) -> str:
    """The text between start and end with other citation markers removed."""
    pieces, pos = [], start
    for s, e in spans.overlapping(start, end):
        pieces.append(text[pos:max(pos, s)])
        pos = max(pos, e)
    pieces.append(text[pos:end])
    return "".join(pieces)


def has_inline_scholarly(mentions: Sequence[CitationMention]) -> bool:
    return any(not m.in_reference_list and m.kind != "url" for m in mentions)
