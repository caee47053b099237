"""Publication bias: one research group, or only small studies."""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine.body import Body
from grading.engine.findings import sentence_at, words
from grading.engine.rules.base import ascii_fold, rule, span_reason
from grading.engine.topic import RecordSpan
from grading.models import Reason


@rule("publication_bias.one_group")
def one_group(body: Body) -> Iterable[Reason]:
    usable = body.usable
    if len(usable) < 2:
        return
    # Last name plus first initial: a shared surname alone ("Lee") is not a shared author.
    author_sets = [{f"{ascii_fold(a.last_name)} {ascii_fold(a.initials or '')[:1]}".strip()
                    for a in lk.record.authors if a.last_name} for lk in usable]
    common = set.intersection(*author_sets) if all(author_sets) else set()
    if common:
        name = min(common).title()
        yield span_reason("publication_bias.one_group", -1,
                          f"likely: all {len(usable)} records share an author ({name}); one research group")


@rule("publication_bias.small_studies")
def small_studies(body: Body) -> Iterable[Reason]:
    usable = body.usable
    small = body.rubric.threshold("small_body")
    if len(usable) >= 2 and all((lk.evidence.sample_size or 0) < small for lk in usable):
        yield span_reason("publication_bias.small_studies", -1, f"likely: only small studies (each < {int(small)})")




@rule("publication_bias.small_study_effects")
def small_study_effects(body: Body) -> Iterable[Reason]:
    """A systematic review whose abstract reports small-study effects or effects that depend on the
    trials' origin ("smaller trials … more favourable", "country of origin"): −1, "likely"."""
    if any(r.rule_id.startswith("publication_bias.") and r.change < 0 for r in body.reasons):
        return
    for lk in body.best:
        if lk.evidence.design != "systematic_review":
            continue
        if m := words().small_study_effects.search(lk.record.abstract_text):
            start, end, sentence = sentence_at(lk.record.abstract_text, m.start())
            yield span_reason("publication_bias.small_study_effects", -1,
                              f"likely: PMID {lk.record.pmid} reports effects that depend on trial size or origin",
                              lk, RecordSpan("abstract", start, end, sentence))
            return
