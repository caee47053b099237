"""The starting level, from the best design among the usable records (a systematic review that pools
non-randomized designs starts as they do)."""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.rules.base import rule, span_reason
from grading.models import CERTAINTY_LEVELS, Reason

DESIGN_NAMES = {
    "systematic_review": "a systematic review / meta-analysis", "rct": "a randomized controlled trial",
    "nonrandomized_trial": "a non-randomized trial", "observational": "an observational study",
    "case_report": "a case report or series", "animal": "an animal experiment", "in_vitro": "an in vitro / cell study",
    "review": "a narrative review", "opinion": "an editorial / letter / comment", "unknown": "of unstated design",
}
BASIS = {"publication_type": "its publication type", "mesh": "its MeSH check tags", "text": "its title/abstract wording"}


@rule("start.design")
def start_design(body: Body) -> Iterable[Reason]:
    """The body starts at its best design; one reason names the record that set the level and why."""
    link = body.best[0]
    ev = link.evidence
    level = CERTAINTY_LEVELS[body.best_level]
    others = f" ({len(body.usable)} records in all)" if len(body.usable) > 1 else ""
    pooled = getattr(ev, "review_designs", None) if ev.design == "systematic_review" else None
    why = (f" that pools non-randomized designs ({pooled.text}): starts at {level}, like observational evidence"
           if pooled else f": starts at {level}")
    yield span_reason("start.design", 0,
                      f"PMID {link.record.pmid} is {DESIGN_NAMES.get(ev.design, ev.design)} "
                      f"(from {BASIS.get(ev.design_basis, 'no information')}){why}{others}",
                      link, pooled or ev.design_span)


