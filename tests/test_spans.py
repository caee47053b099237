"""grading.documents.spans.Spans answers what a pass over every span would (the look-ups a page
citing thousands of ids makes once per citation), including nested, touching and empty spans."""

from __future__ import annotations

import random

from grading.documents.links import strip_mentions
from grading.documents.spans import Spans


def naive_strip(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    pieces, pos = [], start
    for s, e in sorted(spans):
        if e <= start or s >= end:
            continue
        pieces.append(text[pos:max(pos, s)])
        pos = max(pos, e)
    pieces.append(text[pos:end])
    return "".join(pieces)


def test_overlapping_and_containing_agree_with_a_pass_over_every_span() -> None:
    rng = random.Random(16)
    text = "".join(rng.choice("abcdefgh ") for _ in range(120))
    for _ in range(2000):
        raw = [(s, s + rng.randint(0, 15)) for s in (rng.randint(0, 90) for _ in range(rng.randint(0, 8)))]
        spans = Spans(raw)
        start = rng.randint(0, 100)
        end = rng.randint(start, 110)
        assert strip_mentions(text, start, end, spans) == naive_strip(text, start, end, raw), (raw, start, end)
        pos = rng.randint(0, 110)
        assert (spans.containing(pos) is not None) == any(s <= pos < e for s, e in raw), (raw, pos)


def test_overlapping_lists_the_merged_spans_touching_the_stretch() -> None:
    spans = Spans([(10, 20), (15, 30), (40, 45), (50, 50), (60, 70)])
    assert spans.overlapping(25, 61) == [(10, 30), (40, 45), (50, 50), (60, 70)]
    assert spans.overlapping(30, 40) == []
    text = "x" * 10 + "[marker-1]" + "y" * 10 + " tail"
    assert strip_mentions(text, 5, 35, spans) == "xxxxx tail"
    assert strip_mentions(text, 5, 35, Spans([(10, 20), (12, 14)])) == "xxxxx" + "y" * 10 + " tail"
