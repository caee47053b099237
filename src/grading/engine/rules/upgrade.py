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
    """A large relative effect (+1 at `large_effect`, +2 at `very_large_effect`), judged by the bound of
    its confidence interval nearest no effect: an estimate that may be small is not large. Not when the
    study says a confounder went unmeasured or unadjusted: a large effect may be that confounder's."""
    if not can_rate_up(body):
        return
    big, very = body.rubric.threshold("large_effect"), body.rubric.threshold("very_large_effect")
    for lk in body.best:
        for effect in lk.evidence.effects:
            if effect.kind not in {"ratio", "fold"}:
                continue
            point = effect.value if effect.value >= 1 else (1 / effect.value if effect.value > 0 else 0)
            if point < big:
                continue
            bound = effect.nearest_one if effect.kind == "ratio" else point
            interval = f", confidence interval {effect.ci[0]:g}-{effect.ci[1]:g}" if effect.ci else ""
            if bound < big:
                yield span_reason("upgrade.large_effect", 0,
                                  f"not rated up: {effect.span.text}{interval} could be an effect under {big:g}", lk,
                                  effect.span)
                return
            confounded = getattr(lk.evidence, "unmeasured_confounding", None)
            if confounded is not None:
                yield span_reason("upgrade.large_effect", 0,
                                  f"not rated up: {effect.span.text} with unmeasured confounding ({confounded.text})",
                                  lk, confounded)
                return
            change = 2 if bound >= very else 1
            yield span_reason("upgrade.large_effect", change, f"large effect ({effect.span.text}{interval})", lk,
                              effect.span)
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


