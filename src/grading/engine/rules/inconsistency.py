"""Inconsistency: do the linked records point the same way?"""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.findings import sentence_at, words
from grading.engine.outcome_support import subset_finding
from grading.engine.rules.base import rule, span_reason
from grading.engine.terms import stems, terms
from grading.engine.topic import RecordSpan
from grading.models import Reason


@rule("inconsistency.directions")
def inconsistency(body: Body) -> Iterable[Reason]:
    usable = body.usable
    if len(usable) < 2:
        yield span_reason("inconsistency.directions", 0, "not assessable with one record")
        return
    directions = {lk.evidence.direction for lk in usable} - {"unknown"}
    if len(directions) <= 1 and "mixed" not in directions:
        return
    odd = next((lk for lk in usable if lk.evidence.direction in {"null", "negative", "mixed"}), usable[0])
    yield span_reason("inconsistency.directions", -1,
                      f"linked records point in different directions ({', '.join(sorted(directions))})", odd,
                      odd.evidence.direction_spans[0] if odd.evidence.direction_spans else None)




def main_clause(text: str) -> str:
    """The claim before its first bracket: what it asserts, without the figures it quotes."""
    return text.split("(", 1)[0]


@rule("inconsistency.heterogeneity")
def heterogeneity(body: Body) -> Iterable[Reason]:
    """A systematic review reporting marked heterogeneity in a sentence about the claim's comparison
    ("placebo-controlled trials showed marked heterogeneity"): −1."""
    for lk in body.best:
        if lk.evidence.design != "systematic_review":
            continue
        # what the claim compares, less what the review is about (its title: substance and condition)
        claim = stems(terms(main_clause(body.claim.text))) - stems(terms(lk.record.title))
        text = lk.record.abstract_text
        for m in words().heterogeneity.finditer(text):
            start, end, sentence = sentence_at(text, m.start())
            if claim & stems(terms(sentence)):
                yield span_reason("inconsistency.heterogeneity", -1,
                                  f"PMID {lk.record.pmid} reports heterogeneity among its trials for this comparison",
                                  lk, RecordSpan("abstract", start, end, sentence))
                return


@rule("inconsistency.subset")
def subset(body: Body) -> Iterable[Reason]:
    """A claim that reports what some of a review's studies found ("in 2 of the studies …"): the
    review's other studies did not find it, so the evidence is inconsistent: −1, and the record is
    labelled `partly`."""
    for lk in body.usable:
        if (finding := subset_finding(body.claim.text, lk.record)) is None:
            continue
        body.labels.setdefault(lk.record.pmid, []).append(("inconsistency.subset", finding))
        yield span_reason("inconsistency.subset", -1,
                          f"only a subset of PMID {lk.record.pmid}'s studies found this; the others did not",
                          lk, RecordSpan("abstract", finding.start or 0, finding.end or 0, finding.text))
        return
