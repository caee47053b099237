"""Citation markers as opaque spans: never split inside, stripped from a claim's end.

The document's mentions, bare links and bracketed or superscript numbers, and numbered
markers flattened into the prose ("bacteria.1, 2") that name a reference entry.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from grading.documents.citation_patterns import vocabulary
from grading.documents.markers import marker_links
from grading.models import CitationMention

# Markers recognised even when the caller passes no mentions: bare links (with a footnote
# number glued in front), bracketed numbers, superscript digits. They are never claim text.
FALLBACK_MARKER_RE = re.compile(
    r"\d{0,3}(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:)\]]|\[\d+(?:\s*[,–-]\s*\d+)*\]|[¹²³⁰⁴-⁹]+")
# Narrative mentions and printed titles are prose a reader reads ("a phase 3 study"), not markers.
PROSE_KINDS = frozenset({"narrative", "title"})
# A bracket around citations may also hold a source label: "(Ex Med J, 2021, PMID 123)".
LABEL_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+|\S")
LABEL_PUNCT = frozenset(",;:.&-–/()")
MAX_LABEL = 160  # characters a source label's bracket may span


class Spans:
    """Sorted, merged, non-overlapping [start, end) spans with point and range look-ups."""

    def __init__(self, spans: list[tuple[int, int]]):
        merged: list[list[int]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def containing(self, pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and self.ends[i] > pos:
            return self.starts[i], self.ends[i]
        return None

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.ends, start + 1)  # first span ending after start
        return i < len(self.starts) and self.starts[i] < end

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        """The spans with some part inside [start, end), in order."""
        i = bisect.bisect_right(self.ends, start)  # first span ending after start
        out = []
        while i < len(self.starts) and self.starts[i] < end:
            out.append((self.starts[i], self.ends[i]))
            i += 1
        return out

    def within(self, start: int, end: int) -> list[tuple[int, int]]:
        i = bisect.bisect_left(self.starts, start)
        out = []
        while i < len(self.starts) and self.ends[i] <= end:
            out.append((self.starts[i], self.ends[i]))
            i += 1
        return out


def citation_brackets(text: str, mentions: Sequence[CitationMention]) -> list[tuple[int, int]]:
    """The "(…)" around inline citations when all else inside is a source label (capitalised
    journal words, years, volume numbers, "PMID"): "(Ex Med J, 2021, PMID 123)". The whole
    bracket is then one marker: it ends the sentence it follows and starts none."""
    inline = sorted((m.char_start, m.char_end) for m in mentions
                    if not m.in_reference_list and m.kind not in PROSE_KINDS)
    out, words = [], vocabulary().source_label_words
    starts = [a for a, _ in inline]
    for s, e in inline:
        opener = text.rfind("(", max(0, s - MAX_LABEL), s)
        closer = text.find(")", e, e + MAX_LABEL)
        if opener < 0 or closer < 0 or "\n" in text[opener:closer] or ")" in text[opener:s] or "(" in text[e:closer]:
            continue
        pos, rest = opener + 1, []
        # only the mentions starting inside the bracket (bisected: a page may cite thousands)
        for a, b in inline[bisect.bisect_left(starts, opener):bisect.bisect_right(starts, closer)]:
            if b <= closer:
                rest.append(text[pos:max(pos, a)])
                pos = max(pos, b)
        rest.append(text[pos:closer])
        tokens = LABEL_TOKEN_RE.findall(" ".join(rest))
        if all(t[0].isupper() or t.isdigit() or t.lower() in words or t in LABEL_PUNCT for t in tokens):
            out.append((opener, closer + 1))
    return out


def opaque_spans(text: str, mentions: Sequence[CitationMention]) -> tuple[Spans, Spans]:
    """(all citation markers, reference-list entries) as spans clipped to the text."""
    n = len(text)
    # Narrative mentions and printed titles are prose a reader reads ("a phase 3 study"), not markers.
    clipped = [(max(0, m.char_start), min(n, m.char_end), m.in_reference_list) for m in mentions
               if m.kind not in PROSE_KINDS or m.in_reference_list]
    clipped = [c for c in clipped if c[0] < c[1]]
    markers = [(s, e) for s, e, _ in clipped]
    markers += [m.span() for m in FALLBACK_MARKER_RE.finditer(text)]
    markers += citation_brackets(text, mentions)
    # Numbered markers flattened into the prose ("bacteria.1, 2 This ...") end a sentence too.
    markers += [(k.start, k.end) for k, _ in marker_links(text, 0, mentions)]
    return Spans(markers), Spans([(s, e) for s, e, ref in clipped if ref])
