"""Risk of bias: what the abstract reports of randomisation, blinding, control and early stopping."""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.findings import sentence_at, words
from grading.engine.rules.base import has, rule, span_reason, text_span
from grading.models import Reason


@rule("risk_of_bias.trial_conduct")
def trial_conduct(body: Body) -> Iterable[Reason]:
    """A trial not described as randomized, or neither blinded nor placebo-controlled (−1). A
    single-arm trial is left to `no_control`: without a comparator, blinding is moot."""
    trials = [lk for lk in body.best if lk.evidence.design == "rct" or (
        lk.evidence.design == "nonrandomized_trial" and (has(lk.evidence.controlled) or has(lk.evidence.placebo)))]
    if not trials:
        return
    if any(has(lk.evidence.randomized) and (has(lk.evidence.blinded) or has(lk.evidence.placebo)) for lk in trials):
        return
    lk = trials[0]
    ev = lk.evidence
    missing = [w for w, v in (("randomized", ev.randomized), ("blinded or placebo-controlled", ev.blinded or ev.placebo))
               if not has(v)]
    yield span_reason("risk_of_bias.trial_conduct", -1, f"trial not described as {' or '.join(missing)}", lk,
                      text_span(ev.randomized) or ev.design_span)


@rule("risk_of_bias.stopped_early")
def stopped_early(body: Body) -> Iterable[Reason]:
    """A trial stopped early for benefit overestimates the effect (GRADE): −1. Stopped for harm
    (a safety signal) or futility, the estimate of benefit is not inflated: said, no change."""
    for lk in body.best:
        if has(lk.evidence.stopped_early):
            span = text_span(lk.evidence.stopped_early)
            if span is not None and span.where == "abstract" and words().harm_stop.search(sentence_at(lk.record.abstract_text,
                                                                                              span.start)[2]):
                yield span_reason("risk_of_bias.stopped_early", 0,
                                  "trial stopped early for harm or futility: no inflated benefit", lk, span)
                return
            yield span_reason("risk_of_bias.stopped_early", -1, "trial stopped early", lk, span)
            return


@rule("risk_of_bias.no_control")
def no_control(body: Body) -> Iterable[Reason]:
    """A single-arm (uncontrolled, open-label) trial: before-after change with no comparison (−1).
    Observational designs already start low for lack of randomization: not rated down again here."""
    uncontrolled = [lk for lk in body.best if lk.evidence.design == "nonrandomized_trial"
                    and not has(lk.evidence.controlled) and not has(lk.evidence.placebo)]
    if uncontrolled and len(uncontrolled) == len(body.best):
        yield span_reason("risk_of_bias.no_control", -1, "uncontrolled trial: no control group described",
                          uncontrolled[0], uncontrolled[0].evidence.design_span)




@rule("risk_of_bias.review_quality")
def review_quality(body: Body) -> Iterable[Reason]:
    """A systematic review whose abstract speaks against its included studies (their quality "varied
    widely" or was low, "high risk of bias", "methodological limitations", a call for "high-quality
    trials", open-label trials): −1. The review's design alone says nothing of its trials' conduct. A
    review that rates its own evidence has judged this already: its rating caps (review.stated_certainty)."""
    for lk in body.best:
        span = getattr(lk.evidence, "review_weakness", None)
        if lk.evidence.design == "systematic_review" and span is not None and not lk.evidence.stated_certainty:
            yield span_reason("risk_of_bias.review_quality", -1,
                              f"the review reports weaknesses of its included studies ({span.text})", lk, span)
            return
