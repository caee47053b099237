"""Numbers: each figure the claim states, looked for in the linked abstracts."""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.figures import find_figure
from grading.engine.rules.base import claim_reason, rule, span_reason
from grading.engine.topic import RecordSpan
from grading.models import Reason


@rule("numbers.figures")
def figures(body: Body) -> Iterable[Reason]:
    """Each figure the claim states is looked for, with its unit, in the linked abstracts."""
    change = int(body.rubric.threshold("figure_not_found_change"))
    for figure in body.reading.figures:
        for lk in body.usable:
            if hit := find_figure(figure, lk.record.abstract_text):
                yield span_reason("numbers.figure_found", 0,
                                  f"figure {figure.span.text} appears in PMID {lk.record.pmid}'s abstract", lk,
                                  RecordSpan("abstract", hit.start(), hit.end(), hit.group(0)), domain="numbers")
                break
        else:
            yield claim_reason("numbers.figure_missing", change,
                               f"figure {figure.span.text} is not in the cited records' abstracts", figure.span,
                               domain="numbers")
