"""Imprecision: the body's size against the optimal information size (GRADE 6)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.findings import words
from grading.engine.rules.base import rule, span_reason
from grading.models import Reason

# a quoted claim opens with its quotation mark: "“Given the low risk …, patients may …”"
LEAD_CLAUSE = re.compile(r"^\s*[\"“‘'(]?\s*(?:given|because|since|as|with|despite)\b[^,]*,", re.IGNORECASE)


@rule("imprecision.participants")
def imprecision(body: Body) -> Iterable[Reason]:
    """Total participants (or animals) across the body against the rubric's optimal information size."""
    total, unknown = body.total_participants
    oim, small = body.rubric.threshold("optimal_information_size"), body.rubric.threshold("small_body")
    sized = [lk for lk in body.usable if lk.evidence.sample_size]
    anchor = sized[0] if sized else body.usable[0]
    span = anchor.evidence.sample_size_span if sized else None
    # one small trial or cohort is very imprecise; one review pools several, so only its total counts
    single = len(body.usable) == 1 and body.usable[0].evidence.design != "systematic_review"
    size = f"{total} in all" if sized else "sample size not stated"
    if unknown and sized:
        size += f", {unknown} record(s) of unstated size counted as small"
    harms = body.rubric.threshold("harms_information_size")
    w = words()
    main = LEAD_CLAUSE.sub("", body.claim.text)  # "Given the low risk of adverse effects, …" asserts no harm
    if (w.subgroup.search(main) or w.harms.search(main)) and total < harms:
        what = "no difference between subgroups" if w.subgroup.search(body.claim.text) else "a harm or tolerability"
        if total < oim or w.subgroup.search(body.claim.text):
            yield span_reason("imprecision.participants", -2, f"very imprecise for {what}: {size} (rare events or "
                              f"subgroups need far more than {int(oim)})", anchor, span)
        else:
            yield span_reason("imprecision.participants", -1, f"imprecise for {what}: {size} (rare events need "
                              f"more than {int(harms)})", anchor, span)
        return
    if total < small or (single and (unknown or total < oim)):
        why = f"one study under {int(oim)}" if sized and total >= small else f"< {int(small)}, or one small study"
        yield span_reason("imprecision.participants", -2, f"very imprecise: {size} ({why})", anchor, span)
    elif total < oim:
        yield span_reason("imprecision.participants", -1, f"imprecise: {size} (< {int(oim)})", anchor, span)


