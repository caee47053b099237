"""Indirectness: population, patient group, intervention and outcome against the claim's."""

from __future__ import annotations

import re
from collections.abc import Iterable

from grading.engine.body import Body, LinkedEvidence
from grading.engine.claim_reading import Mention, outcome_families, route_words, vocabulary
from grading.engine.findings import words
from grading.engine.rules.base import claim_reason, rule, span_reason, text_span
from grading.engine.terms import terms
from grading.engine.topic import RecordSpan, specific_outcome_terms
from grading.models import Reason

NONHUMAN = {"animal", "in_vitro"}


@rule("indirectness.population")
def indirect_population(body: Body) -> Iterable[Reason]:
    """People, animals or cells: evidence from a population further from the claim's is indirect."""
    best, claim = body.best, body.claim_population
    pops = {lk.evidence.population for lk in best}
    reading = body.reading
    if claim == "human":
        if "human" in pops or "mixed" in pops or not (pops & NONHUMAN):
            return
        lk = best[0]
        kind = "animal" if lk.evidence.population == "animal" else "in vitro / cell"
        who = "people" if reading.population == "human" else "people (no population named)"
        yield span_reason("indirectness.population", -2, f"{kind} evidence for a claim about {who}", lk,
                          text_span(lk.evidence.population_span))
    elif claim == "animal":
        animal = [lk for lk in best if lk.evidence.population in {"animal", "mixed"}]
        if animal:
            lk = animal[0]
            other = {s for s in lk.evidence.species if s != "human"}
            if reading.species and other and not (other & reading.species):
                yield claim_reason("indirectness.population", -1,
                                   f"the claim is about {', '.join(sorted(reading.species))}; PMID {lk.record.pmid} "
                                   f"studied {', '.join(sorted(other))}", reading.population_span, lk.record.pmid)
            else:
                yield claim_reason("indirectness.population", 0, "the claim is about animals: animal evidence is direct",
                                   reading.population_span, lk.record.pmid)
        elif "in_vitro" in pops:
            yield span_reason("indirectness.population", -1, "cell/in vitro evidence for a claim about animals",
                              best[0], text_span(best[0].evidence.population_span))
    elif claim == "cells":
        yield claim_reason("indirectness.population", 0, "the claim is about cells: laboratory evidence is direct",
                           reading.population_span, best[0].record.pmid)


@rule("indirectness.patient_group")
def indirect_patient_group(body: Body) -> Iterable[Reason]:
    """Healthy people and a patient group are different populations (GRADE: −1). A record that studied
    several groups (a review of patients and healthy volunteers) is direct if any of them is the claim's."""
    claim_group, span = body.reading.human_group, body.reading.group_span
    if body.claim_population != "human" or claim_group is None:
        return
    for lk in body.best:
        groups = [g for g, _ in getattr(lk.evidence, "human_groups", ())] or [lk.evidence.human_group]
        groups = [str(g) for g in groups if g]
        if lk.evidence.population != "human" or not groups:
            continue
        kinds = {"healthy" if g.startswith("healthy") else "patients" for g in groups}
        if claim_group not in kinds:
            yield claim_reason("indirectness.patient_group", -1,
                               f"the claim is about {claim_group} people; PMID {lk.record.pmid} studied "
                               f"{'; '.join(dict.fromkeys(groups))}", span, lk.record.pmid)
            return


@rule("indirectness.intervention")
def indirect_intervention(body: Body) -> Iterable[Reason]:
    """A related but different preparation (the claim's "fish oil", the record's "krill oil"),
    or another route (oral for intranasal): −1."""
    reading = body.reading
    named = reading.substance_basis == "named" and reading.substances
    claim_routes = route_words(body.claim.text)
    for lk in body.best:
        if named and (other := other_preparation(reading.substances[0], reading.substance_terms, lk)):
            mine, theirs = other
            yield claim_reason("indirectness.intervention", -1,
                               f"PMID {lk.record.pmid} studies a related preparation ({theirs}), not the claim's {mine}",
                               reading.substances[0], lk.record.pmid)
            return
        record_routes = route_words(f"{lk.record.title or ''} {lk.record.abstract_text}")
        if claim_routes and record_routes and not (claim_routes & record_routes):
            yield span_reason("indirectness.intervention", -1,
                              f"the claim's route is {', '.join(sorted(claim_routes))}; PMID {lk.record.pmid} "
                              f"gave it {', '.join(sorted(record_routes))}", lk)
            return


WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def other_preparation(mention: Mention, wanted: frozenset[str], lk: LinkedEvidence) -> tuple[str, str] | None:
    """(the claim's name, the record's) when both qualify the same substance word differently and the
    record never uses the claim's qualifier: "green tea extract" against "black tea extract"."""
    words = [w.lower() for w in WORD.findall(mention.text)]
    low = f"{lk.record.title or ''} {lk.record.abstract_text}".lower()
    heads = [i for i in range(1, len(words)) if words[i] in wanted or words[i].rstrip("s") in wanted]
    if not heads or words[heads[-1] - 1] not in wanted:
        return None
    head, qualifier = words[heads[-1]].rstrip("s"), words[heads[-1] - 1]
    if re.search(rf"(?<![^\W_]){re.escape(qualifier)}", low):
        return None  # the record names the claim's own preparation ("short" finds "shorter" too)
    theirs = re.search(rf"([^\W_]+)\s+{re.escape(head)}", low)
    if theirs and theirs.group(1) not in {"of", "the", "a", "and", "with", "or", "to", "in", "for", "by"}:
        return f"{qualifier} {head}", f"{theirs.group(1)} {head}"
    return None


@rule("indirectness.outcome")
def indirect_outcome(body: Body) -> Iterable[Reason]:
    """A clinical claim (memory, recovery, pain) resting only on records that measured surrogates
    (a level, an mRNA, a receptor): −1. Records without an abstract cannot tell and are left alone."""
    reading = body.reading
    v = vocabulary()
    # "results that suggest clinically relevant benefits": no outcome named, but a clinical one claimed
    relevance = words().clinical_relevance.search(body.claim.text) if reading.outcome is None else None
    if relevance is None and (reading.outcome_kind != "clinical" or reading.outcome is None):
        return  # a study description ("… in patients recovering from X") states no outcome
    families = outcome_families(reading.outcome.text) if reading.outcome else frozenset()
    specific = specific_outcome_terms(reading) if reading.outcome else frozenset()
    surrogate_only = []
    for lk in body.best:
        text = f"{lk.record.title or ''} {lk.record.abstract_text}"
        if not lk.record.abstract_text:
            return
        measured = (families & outcome_families(text)) or (specific & terms(text))
        if measured or (relevance and v.clinical.search(text)):
            return  # the claim's clinical outcome was measured
        if v.surrogate.search(text):
            surrogate_only.append(lk)
    if not surrogate_only or len(surrogate_only) < len(body.best):
        return
    lk = surrogate_only[0]
    m = v.surrogate.search(lk.record.title or "") or v.surrogate.search(lk.record.abstract_text)
    where = "title" if m and m.string == (lk.record.title or "") else "abstract"
    span = RecordSpan(where, m.start(), m.end(), m.group(0)) if m else None  # type: ignore[arg-type]
    said = relevance.group(0) if relevance else (reading.outcome_kind_span.text if reading.outcome_kind_span
                                                 else "clinical")
    yield span_reason("indirectness.outcome", -1,
                      f"the claim's outcome is clinical ({said}); the records report only surrogate outcomes", lk, span)




@rule("indirectness.clinical_wording")
def clinical_wording(body: Body) -> Iterable[Reason]:
    """A claim worded as clinical ("clinically proven", "clinical studies show", "in patients") resting
    only on animal or cell work: said, and two steps down unless the population rule already took them."""
    m = words().clinical_wording.search(body.claim.text)
    best = body.best
    if not m or not best or any(lk.evidence.population not in NONHUMAN for lk in best):
        return
    already = any(r.rule_id == "indirectness.population" and r.change <= -2 for r in body.reasons)
    kind = "animal" if best[0].evidence.population == "animal" else "in vitro / cell"
    yield claim_reason("indirectness.clinical_wording", 0 if already else -2,
                       f"clinical wording ({m.group(0)!r}) for {kind} evidence", Mention(m.start(), m.end(), m.group(0)),
                       best[0].record.pmid)


@rule("indirectness.generalisation")
def generalisation(body: Body) -> Iterable[Reason]:
    """A claim that extends the finding beyond the people and products studied ("may be widely
    applicable", "for everyone"): −1 for indirectness of population."""
    m = words().generalisation.search(body.claim.text)
    if m and body.best:
        yield claim_reason("indirectness.generalisation", -1,
                           f"the claim extends the finding beyond those studied ({m.group(0)!r})",
                           Mention(m.start(), m.end(), m.group(0)), body.best[0].record.pmid)
