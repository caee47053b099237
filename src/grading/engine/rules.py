"""The rubric's rules: one small function per rule, registered by GRADE domain.

A rule reads the `Body` and returns reasons. Screening rules (retraction, identity, relevance) also
add the PMIDs they exclude to `body.excluded`. Each reason carries the rule id, the change (-2..+2),
a one-line explanation and the text span it rests on: a stretch of the claim, or of a record's title
or abstract, with offsets. Nothing here names a substance or an outcome: vocabularies are data files
(data/*_vocabulary.toml); thresholds and which rules run come from the rubric (data/rubric.toml).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from grading.engine.body import Body, LinkedEvidence
from grading.engine.claim_reading import Mention, find_figure, outcome_families, route_words
from grading.engine.topic import RecordSpan, match_record, match_topic, specific_outcome_terms, terms
from grading.folding import fold
from grading.models import CERTAINTY_LEVELS, Reason

RuleFn = Callable[[Body], Iterable[Reason]]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    domain: str
    fn: RuleFn


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    domain = rule_id.split(".", 1)[0]

    def register(fn: RuleFn) -> RuleFn:
        REGISTRY[rule_id] = Rule(rule_id, domain, fn)
        return fn

    return register


class Spanned(Protocol):
    where: str
    start: int | None
    end: int | None
    text: str


def span_reason(rule_id: str, change: int, explanation: str, link: LinkedEvidence | None = None,
                span: Spanned | None = None, domain: str | None = None) -> Reason:
    """A reason resting on a record's text span (grading.engine.record_reading.TextSpan, topic.RecordSpan) or on nothing."""
    pmid = link.pmid if link else None
    domain = domain or rule_id.split(".")[0]
    if span is None or span.where not in ("title", "abstract"):
        return Reason(rule_id, domain, change, explanation, pmid)
    return Reason(rule_id, domain, change, explanation, pmid, span.where, span.start, span.end,  # type: ignore[arg-type]
                  span.text)


def claim_reason(rule_id: str, change: int, explanation: str, span: Mention | None,
                 pmid: int | None = None, domain: str | None = None) -> Reason:
    """A reason resting on a span of the claim (offsets within the claim text)."""
    domain = domain or rule_id.split(".")[0]
    if span is None:
        return Reason(rule_id, domain, change, explanation, pmid)
    return Reason(rule_id, domain, change, explanation, pmid, "claim", span.start, span.end, span.text)


def has(value: object) -> bool:
    """Evidence flags are a TextSpan (stated), True (indexed) or None: truthy means present."""
    return bool(value)


def text_span(value: object) -> Spanned | None:
    return value if hasattr(value, "start") else None  # type: ignore[return-value]


def ascii_fold(text: str) -> str:
    return fold(text)  # the shared folding: Løvås = Lovas, Strauß = Strauss


# --- screening -------------------------------------------------------------------------

@rule("retraction.excluded")
def retraction_excluded(body: Body) -> Iterable[Reason]:
    for link in body.usable:
        if link.record.retracted:
            body.excluded.add(link.record.pmid)
            basis = getattr(link.evidence, "retracted_basis", None)
            how = {"publication_type": "publication type Retracted Publication",
                   "retraction_in": "a RetractionIn notice"}.get(basis or "", "PubMed")
            yield span_reason("retraction.excluded", 0,
                              f"PMID {link.record.pmid} is retracted ({how}); excluded from the body of evidence", link)


@rule("identity.mismatch")
def identity_mismatch(body: Body) -> Iterable[Reason]:
    """A citation that names authors, a year or a title and gives an id must point at that paper."""
    for link in body.usable:
        m = link.mention
        if link.resolution.method != "direct" and m.kind not in {"doi", "pmcid"}:
            continue  # found by searching on those very names: nothing to cross-check
        problems = []
        if m.authors:
            first = ascii_fold(m.authors[0].split()[0])
            names = {ascii_fold(a.last_name or a.collective_name or "") for a in link.record.authors}
            if first and first not in names:
                problems.append(f"no author named {m.authors[0].split()[0]}")
        if m.year and link.record.year and abs(m.year - link.record.year) > 1:
            problems.append(f"published {link.record.year}, cited as {m.year}")
        if m.title and link.record.title:
            cited, actual = terms(m.title), terms(link.record.title)
            if len(cited) >= 3 and len(cited & actual) < max(2, len(cited) // 3):
                problems.append("its title is not the cited title")
        if problems:
            body.excluded.add(link.record.pmid)
            yield Reason("identity.mismatch", "identity", 0,
                         f"PMID {link.record.pmid} is not the paper the citation names: {'; '.join(problems)}",
                         link.record.pmid, "citation", None, None, m.raw)


@rule("relevance.off_topic")
def relevance_off_topic(body: Body) -> Iterable[Reason]:
    """An inline citation whose record is about another substance, or about the substance but not the
    claim's outcome, is not evidence for the claim. Inferred links were made on this test already."""
    reading = body.reading
    for link in body.usable:
        if link.link != "inline":
            continue
        if reading.substance_basis == "none":  # no substance to look for: term overlap decides
            match = match_topic(body.claim.text, link.record, body.subjects)
            if not match.on_topic:
                body.excluded.add(link.record.pmid)
                yield span_reason("relevance.off_topic", 0, f"PMID {link.record.pmid}: {match.explanation}", link)
            continue
        rel = match_record(reading, link.record)
        if rel.substance is False and any(match_record_terms(m.text, link) for m in reading.substances[1:]):
            continue  # about another substance the claim also names ("like X, Y …")
        if not rel.on_topic:
            body.excluded.add(link.record.pmid)
            where = reading.substances[0] if rel.substance is False and reading.substances else reading.outcome
            yield claim_reason("relevance.off_topic", 0, f"PMID {link.record.pmid}: {rel.explanation}", where,
                               link.record.pmid)


def match_record_terms(phrase: str, link: LinkedEvidence) -> bool:
    from grading.engine.topic import record_terms

    wanted = {t for t in terms(phrase) if len(t) > 3}
    return bool(wanted) and bool(wanted & record_terms(link.record))


# --- start ---------------------------------------------------------------------------

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
    level = CERTAINTY_LEVELS[body.rubric.start_level(ev.design)]
    others = f" ({len(body.usable)} records in all)" if len(body.usable) > 1 else ""
    yield span_reason("start.design", 0,
                      f"PMID {link.record.pmid} is {DESIGN_NAMES.get(ev.design, ev.design)} "
                      f"(from {BASIS.get(ev.design_basis, 'no information')}): starts at {level}{others}",
                      link, ev.design_span)


# --- risk of bias --------------------------------------------------------------------

@rule("risk_of_bias.trial_conduct")
def trial_conduct(body: Body) -> Iterable[Reason]:
    trials = [lk for lk in body.best if lk.evidence.design in {"rct", "nonrandomized_trial"}]
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
    for lk in body.best:
        if has(lk.evidence.stopped_early):
            yield span_reason("risk_of_bias.stopped_early", -1, "trial stopped early", lk,
                              text_span(lk.evidence.stopped_early))
            return


@rule("risk_of_bias.no_control")
def no_control(body: Body) -> Iterable[Reason]:
    uncontrolled = [lk for lk in body.best if lk.evidence.design in {"nonrandomized_trial", "observational"}
                    and not has(lk.evidence.controlled) and not has(lk.evidence.placebo)]
    if uncontrolled and len(uncontrolled) == len(body.best):
        yield span_reason("risk_of_bias.no_control", -1, "no control group described", uncontrolled[0],
                          uncontrolled[0].evidence.design_span)


# --- inconsistency -------------------------------------------------------------------

@rule("inconsistency.contradicts_claim")
def contradicts_claim(body: Body) -> Iterable[Reason]:
    """The claim asserts an effect; the best records found none, or the opposite (−2)."""
    if body.reading.direction != "effect":
        return
    best = [lk for lk in body.best if lk.evidence.direction != "unknown"]
    if best and all(lk.evidence.direction in {"null", "negative"} for lk in best):
        lk = best[0]
        said = "no effect" if lk.evidence.direction == "null" else "the opposite effect or harm"
        yield span_reason("inconsistency.contradicts_claim", -2,
                          f"the claim asserts an effect; PMID {lk.record.pmid} reports {said}", lk,
                          lk.evidence.direction_spans[0] if lk.evidence.direction_spans else None)


@rule("inconsistency.directions")
def inconsistency(body: Body) -> Iterable[Reason]:
    usable = body.usable
    if len(usable) < 2:
        yield span_reason("inconsistency.directions", 0, "not assessable with one record")
        return
    directions = {lk.evidence.direction for lk in usable} - {"unknown"}
    if len(directions) <= 1 and "mixed" not in directions:
        return
    if any(r.rule_id == "inconsistency.contradicts_claim" for r in body.reasons):
        return  # already rated down for the best records contradicting the claim
    odd = next((lk for lk in usable if lk.evidence.direction in {"null", "negative", "mixed"}), usable[0])
    yield span_reason("inconsistency.directions", -1,
                      f"linked records point in different directions ({', '.join(sorted(directions))})", odd,
                      odd.evidence.direction_spans[0] if odd.evidence.direction_spans else None)


# --- indirectness --------------------------------------------------------------------

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
    """Healthy people and a patient group are different populations (GRADE: −1)."""
    claim_group, span = body.reading.human_group, body.reading.group_span
    if body.claim_population != "human" or claim_group is None:
        return
    for lk in body.best:
        group = lk.evidence.human_group
        if lk.evidence.population != "human" or not group:
            continue
        record_group = "healthy" if str(group).startswith("healthy") else "patients"
        if record_group != claim_group:
            yield claim_reason("indirectness.patient_group", -1,
                               f"the claim is about {claim_group} people; PMID {lk.record.pmid} studied {group}",
                               span, lk.record.pmid)
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
    if reading.outcome_kind != "clinical":
        return
    families = outcome_families(reading.outcome.text if reading.outcome else body.claim.text)
    specific = specific_outcome_terms(reading)
    from grading.engine.claim_reading import vocabulary

    v = vocabulary()
    surrogate_only = []
    for lk in body.best:
        text = f"{lk.record.title or ''} {lk.record.abstract_text}"
        if not lk.record.abstract_text:
            return
        measured = (families & outcome_families(text)) or (specific & terms(text))
        if measured:
            return  # the claim's clinical outcome was measured
        if v.surrogate.search(text):
            surrogate_only.append(lk)
    if not surrogate_only or len(surrogate_only) < len(body.best):
        return
    lk = surrogate_only[0]
    m = v.surrogate.search(lk.record.title or "") or v.surrogate.search(lk.record.abstract_text)
    where = "title" if m and m.string == (lk.record.title or "") else "abstract"
    span = RecordSpan(where, m.start(), m.end(), m.group(0)) if m else None  # type: ignore[arg-type]
    yield span_reason("indirectness.outcome", -1,
                      f"the claim's outcome is clinical ({reading.outcome_kind_span.text if reading.outcome_kind_span else 'clinical'}); "
                      f"the records report only surrogate outcomes", lk, span)


# --- imprecision ---------------------------------------------------------------------

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
    if total < small or (single and (unknown or total < oim)):
        yield span_reason("imprecision.participants", -2, f"very imprecise: {size} (< {int(small)}, or one small study)",
                          anchor, span)
    elif total < oim:
        yield span_reason("imprecision.participants", -1, f"imprecise: {size} (< {int(oim)})", anchor, span)


# --- publication bias ----------------------------------------------------------------

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


# --- rating up -----------------------------------------------------------------------

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


# --- a review's own rating -------------------------------------------------------------

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


# --- numbers -------------------------------------------------------------------------

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
