"""A systematic review's own GRADE rating caps the claim's."""

from __future__ import annotations

import re
from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.claim_reading import outcome_families
from grading.engine.rules.base import rule, span_reason
from grading.engine.terms import terms
from grading.engine.topic import specific_outcome_terms
from grading.models import CERTAINTY_LEVELS, Reason

SENTENCE_START = re.compile(r"(?:\.\s+(?=[A-Z])|[A-Z ]{4,}:\s)")


@rule("review.stated_certainty")
def stated_certainty(body: Body) -> Iterable[Reason]:
    """A systematic review that rated its own evidence with GRADE caps the body at that rating: for the
    claim's outcome when a rating sits in a sentence naming it, else at the review's highest rating."""
    reviews = [lk for lk in body.best if lk.evidence.design == "systematic_review" and lk.evidence.stated_certainty]
    if not reviews:
        return
    lk = reviews[0]
    text = lk.record.abstract_text
    wanted = specific_outcome_terms(body.reading)
    families = outcome_families(body.reading.outcome.text) if body.reading.outcome else frozenset()
    matching = []
    for level, span in lk.evidence.stated_certainty:
        starts = [m.end() for m in SENTENCE_START.finditer(text, 0, span.start)]
        sentence = text[starts[-1] if starts else 0:span.end]
        if (wanted & terms(sentence)) or (families & outcome_families(sentence)):
            matching.append((level, span))
    pool = matching or list(lk.evidence.stated_certainty)
    level_name, span = max(pool, key=lambda p: CERTAINTY_LEVELS.index(p[0]))
    stated = CERTAINTY_LEVELS.index(level_name)
    scope = "for the claim's outcome" if matching else "its highest rating (no rating names the claim's outcome)"
    if body.level <= stated:
        yield span_reason("review.stated_certainty", 0,
                          f"PMID {lk.record.pmid} rates its own evidence {level_name} ({scope}); no higher here", lk, span)
        return
    change = max(-2, stated - body.level)
    body.ceiling = stated
    yield span_reason("review.stated_certainty", change,
                      f"PMID {lk.record.pmid} rates its own evidence {level_name} ({scope}): capped there", lk, span)


