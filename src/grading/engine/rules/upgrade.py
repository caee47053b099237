"""Rating up, for observational bodies with nothing rated down."""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.rules.base import has, rule, span_reason, text_span
from grading.models import Reason


def can_rate_up(body: Body) -> bool:
    return body.down_so_far == 0 and all(lk.evidence.design == "observational" for lk in body.best)


@rule("upgrade.large_effect")
def large_effect(body: Body) -> Iterable[Reason]:
    if not can_rate_up(body):
        return
    big, very = body.rubric.threshold("large_effect"), body.rubric.threshold("very_large_effect")
    for lk in body.best:
        for effect in lk.evidence.effects:
            value = effect.value if effect.value >= 1 else (1 / effect.value if effect.value > 0 else 0)
            if effect.kind in {"ratio", "fold"} and value >= big:
                change = 2 if value >= very else 1
                yield span_reason("upgrade.large_effect", change, f"large effect ({effect.span.text})", lk, effect.span)
                return


@rule("upgrade.dose_response")
def dose_response(body: Body) -> Iterable[Reason]:
    if not can_rate_up(body):
        return
    for lk in body.best:
        if has(lk.evidence.dose_response):
            yield span_reason("upgrade.dose_response", 1, "dose-response gradient reported", lk,
                              text_span(lk.evidence.dose_response))
            return


