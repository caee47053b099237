"""The rubric's rules: one small function per rule, registered by GRADE domain.

A rule reads the `Body` and returns reasons. Screening rules (retraction, identity,
relevance) also add the PMIDs they exclude to `body.excluded`. Each reason carries the
rule id, the change (-2..+2), a one-line explanation and the text span it rests on.
Nothing here names a substance or an outcome: vocabularies are data files.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Callable, Iterable

from grading.body import Body, LinkedEvidence
from grading.models import CERTAINTY_LEVELS, Reason
from grading.settings import bundled_path
from grading.topic import match_topic

RuleFn = Callable[[Body], Iterable[Reason]]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    domain: str
    fn: RuleFn


REGISTRY: dict[str, Rule] = {}


@dataclass(frozen=True)
class Span:
    """A span a rule found itself (same shape as grading.evidence.TextSpan)."""

    where: str
    start: int
    end: int
    text: str


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    domain = rule_id.split(".", 1)[0]

    def register(fn: RuleFn) -> RuleFn:
        REGISTRY[rule_id] = Rule(rule_id, domain, fn)
        return fn

    return register


@cache
def outcome_vocabulary() -> dict[str, list[str]]:
    with open(bundled_path("outcome_vocabulary.toml"), "rb") as fh:
        return tomllib.load(fh)


def span_reason(rule_id: str, change: int, explanation: str, link: LinkedEvidence | None = None,
                span: object | None = None) -> Reason:
    """A reason resting on a record's text span (grading.evidence.TextSpan) or on nothing."""
    pmid = link.pmid if link else None
    if span is None:
        return Reason(rule_id, rule_id.split(".")[0], change, explanation, pmid)
    return Reason(rule_id, rule_id.split(".")[0], change, explanation, pmid, span.where, span.start, span.end,
                  span.text)


def claim_reason(rule_id: str, change: int, explanation: str, body: Body, start: int, end: int,
                 pmid: int | None = None) -> Reason:
    """A reason resting on a span of the claim (offsets within the claim text)."""
    return Reason(rule_id, rule_id.split(".")[0], change, explanation, pmid, "claim", start, end,
                  body.claim.text[start:end])


def has(value: object) -> bool:
    """Evidence flags are a TextSpan (present) or None; booleans are accepted too."""
    return bool(value)


def span_of(value: object) -> object | None:
    return value if hasattr(value, "start") else None


# --- screening -------------------------------------------------------------------------

@rule("retraction.excluded")
def retraction_excluded(body: Body) -> Iterable[Reason]:
    for link in body.usable:
        if link.record.retracted:
            body.excluded.add(link.record.pmid)
            yield span_reason("retraction.excluded", 0,
                              f"PMID {link.record.pmid} is retracted; excluded from the body of evidence",
                              link, None)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@rule("identity.mismatch")
def identity_mismatch(body: Body) -> Iterable[Reason]:
    """A citation that names authors/year and gives an id must point at that paper."""
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
        if problems:
            body.excluded.add(link.record.pmid)
            yield Reason("identity.mismatch", "identity", 0,
                         f"PMID {link.record.pmid} is not the paper the citation names: {'; '.join(problems)}",
                         link.record.pmid, "citation", None, None, m.raw)


@rule("relevance.off_topic")
def relevance_off_topic(body: Body) -> Iterable[Reason]:
    for link in body.usable:
        if link.link != "inline":
            continue  # inferred links were made on subject match already
        match = match_topic(body.claim.text, link.record, body.subjects)
        if not match.on_topic:
            body.excluded.add(link.record.pmid)
            yield span_reason("relevance.off_topic", 0, f"PMID {link.record.pmid}: {match.explanation}", link)


# --- start ---------------------------------------------------------------------------

DESIGN_NAMES = {
    "systematic_review": "a systematic review / meta-analysis", "rct": "a randomized controlled trial",
    "nonrandomized_trial": "a non-randomized trial", "observational": "an observational study",
    "case_report": "a case report", "animal": "an animal experiment", "in_vitro": "an in vitro / cell study",
    "review": "a narrative review", "opinion": "an editorial / letter / comment", "unknown": "of unstated design",
}


@rule("start.design")
def start_design(body: Body) -> Iterable[Reason]:
    for link in body.best[:3]:
        ev = link.evidence
        level = CERTAINTY_LEVELS[body.rubric.start_level(ev.design)]
        basis = {"publication_type": "publication type", "mesh": "MeSH tags", "text": "title/abstract wording"}
        yield span_reason("start.design", 0,
                          f"PMID {link.record.pmid} is {DESIGN_NAMES.get(ev.design, ev.design)} "
                          f"(from {basis.get(ev.design_basis, 'no information')}): starts at {level}",
                          link, ev.design_span)
        break  # the level comes from the best design; one reason says which record set it


# --- risk of bias --------------------------------------------------------------------

@rule("risk_of_bias.trial_conduct")
def trial_conduct(body: Body) -> Iterable[Reason]:
    trials = [lk for lk in body.best if lk.evidence.design in {"rct", "nonrandomized_trial"}]
    if not trials:
        return
    if any(has(lk.evidence.randomized) and (has(lk.evidence.blinded) or has(lk.evidence.placebo)) for lk in trials):
        return
    lk = trials[0]
    missing = [w for w, v in (("randomized", lk.evidence.randomized),
                              ("blinded or placebo-controlled", has(lk.evidence.blinded) or has(lk.evidence.placebo)))
               if not has(v)]
    yield span_reason("risk_of_bias.trial_conduct", -1,
                      f"trial not described as {' or '.join(missing)}", lk, None)


@rule("risk_of_bias.stopped_early")
def stopped_early(body: Body) -> Iterable[Reason]:
    for lk in body.best:
        if has(lk.evidence.stopped_early):
            yield span_reason("risk_of_bias.stopped_early", -1, "trial stopped early", lk,
                              span_of(lk.evidence.stopped_early))
            return


@rule("risk_of_bias.no_control")
def no_control(body: Body) -> Iterable[Reason]:
    uncontrolled = [lk for lk in body.best if lk.evidence.design in {"nonrandomized_trial", "observational"}
                    and not has(lk.evidence.controlled) and not has(lk.evidence.placebo)]
    if uncontrolled and len(uncontrolled) == len(body.best):
        yield span_reason("risk_of_bias.no_control", -1, "no control group described", uncontrolled[0])


# --- inconsistency -------------------------------------------------------------------

@rule("inconsistency.directions")
def inconsistency(body: Body) -> Iterable[Reason]:
    usable = body.usable
    if len(usable) < 2:
        yield span_reason("inconsistency.directions", 0, "not assessable with one record")
        return
    directions = {lk.evidence.direction for lk in usable} - {"unknown"}
    if len(directions) <= 1 and "mixed" not in directions:
        return
    best_dirs = {lk.evidence.direction for lk in body.best} - {"unknown"}
    if best_dirs and best_dirs <= {"null", "negative"}:
        yield span_reason("inconsistency.directions", -2,
                          "the best records contradict the claim (no effect or the opposite effect)", body.best[0])
    else:
        yield span_reason("inconsistency.directions", -1,
                          f"linked records point in different directions ({', '.join(sorted(directions))})")


# --- indirectness --------------------------------------------------------------------

NONHUMAN = {"animal", "in_vitro"}


@rule("indirectness.population")
def indirect_population(body: Body) -> Iterable[Reason]:
    best = body.best
    pops = {lk.evidence.population for lk in best}
    if body.claim_population == "human":
        if "human" in pops or "mixed" in pops or not (pops & NONHUMAN):
            return
        lk = best[0]
        kind = "animal" if lk.evidence.population == "animal" else "in vitro / cell"
        yield span_reason("indirectness.population", -2,
                          f"{kind} evidence for a claim about people", lk, span_of(lk.evidence.population_span))
    elif body.claim_population == "animal":
        if pops & {"animal", "human", "mixed"}:
            lk = next(lk for lk in best if lk.evidence.population in {"animal", "human", "mixed"})
            if lk.evidence.population == "animal":
                yield span_reason("indirectness.population", 0,
                                  "the claim is about animals: animal evidence is direct", lk,
                                  span_of(lk.evidence.population_span))
        elif "in_vitro" in pops:
            yield span_reason("indirectness.population", -1, "cell/in vitro evidence for a claim about animals",
                              best[0], span_of(best[0].evidence.population_span))


def find_phrase(text: str, phrases: Iterable[str]) -> re.Match[str] | None:
    for phrase in sorted(phrases, key=len, reverse=True):
        m = re.search(r"\b" + re.escape(phrase) + r"\b", text, re.IGNORECASE)
        if m:
            return m
    return None


@rule("indirectness.patient_group")
def indirect_patient_group(body: Body) -> Iterable[Reason]:
    if body.claim_population != "human":
        return
    vocab = outcome_vocabulary()
    healthy = find_phrase(body.claim.text, vocab["healthy_group"])
    patients = find_phrase(body.claim.text, vocab["patient_group"])
    claim_group = "healthy" if healthy else "patients" if patients else None
    if claim_group is None:
        return
    for lk in body.best:
        group = getattr(lk.evidence, "human_group", None)
        if lk.evidence.population != "human" or not group:
            continue
        record_group = "healthy" if str(group).startswith("healthy") else "patients"
        if record_group != claim_group:
            m = healthy or patients
            yield claim_reason("indirectness.patient_group", -1,
                               f"claim is about {claim_group} people; PMID {lk.record.pmid} studied {group}",
                               body, m.start(), m.end(), lk.record.pmid)
            return


@rule("indirectness.outcome")
def indirect_outcome(body: Body) -> Iterable[Reason]:
    if body.claim.claim_type not in {"efficacy", "safety"}:
        return
    vocab = outcome_vocabulary()
    if not find_phrase(body.claim.text, vocab["clinical"]):
        return
    surrogate_only = []
    for lk in body.best:
        text = f"{lk.record.title or ''} {lk.record.abstract_text}"
        if not lk.record.abstract_text or find_phrase(text, vocab["clinical"]):
            return  # a clinical outcome was measured, or we cannot tell without an abstract
        if find_phrase(text, vocab["surrogate"]):
            surrogate_only.append(lk)
    if len(surrogate_only) < len(body.best):
        return
    lk = body.best[0]
    m = find_phrase(lk.record.title or "", vocab["surrogate"])
    span = None
    if m:
        span = Span("title", m.start(), m.end(), m.group(0))
    yield span_reason("indirectness.outcome", -1,
                      "clinical claim, but the records report only surrogate outcomes", lk, span)


# --- imprecision ---------------------------------------------------------------------

@rule("imprecision.participants")
def imprecision(body: Body) -> Iterable[Reason]:
    sizes = [lk.evidence.sample_size for lk in body.usable]
    known = [s for s in sizes if s]
    total = sum(known)
    oim = body.rubric.threshold("optimal_information_size")
    small = body.rubric.threshold("small_body")
    spans = [lk for lk in body.usable if lk.evidence.sample_size]
    anchor = spans[0] if spans else (body.usable[0] if body.usable else None)
    span = span_of(anchor.evidence.sample_size_span) if anchor and spans else None
    unknown = len(known) < len(sizes)
    if (total < small) or (len(sizes) == 1 and (unknown or total < oim)):
        size = f"{total} participants" if known else "sample size not stated"
        why = f"{size}{' (some sizes unknown, counted as small)' if known and unknown else ''}"
        yield span_reason("imprecision.participants", -2, f"very imprecise: {why}", anchor, span)
    elif total < oim:
        yield span_reason("imprecision.participants", -1, f"imprecise: {total} participants in all (< {int(oim)})",
                          anchor, span)


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
        name = sorted(common)[0].title()
        yield span_reason("publication_bias.one_group", -1,
                          f"likely: all {len(usable)} records share an author ({name}); one research group")


@rule("publication_bias.small_studies")
def small_studies(body: Body) -> Iterable[Reason]:
    usable = body.usable
    small = body.rubric.threshold("small_body")
    if len(usable) >= 2 and all((lk.evidence.sample_size or 0) < small for lk in usable):
        yield span_reason("publication_bias.small_studies", -1, "likely: only small studies")


# --- rating up -----------------------------------------------------------------------

def can_rate_up(body: Body) -> bool:
    return body.down_so_far == 0 and all(lk.evidence.design == "observational" for lk in body.best)


@rule("upgrade.large_effect")
def large_effect(body: Body) -> Iterable[Reason]:
    if not can_rate_up(body):
        return
    big = body.rubric.threshold("large_effect")
    very = body.rubric.threshold("very_large_effect")
    for lk in body.best:
        for effect in getattr(lk.evidence, "effects", ()):
            if effect.kind in {"ratio", "fold"} and effect.value >= big:
                change = 2 if effect.value >= very else 1
                yield span_reason("upgrade.large_effect", change, f"large effect ({effect.span.text})", lk, effect.span)
                return


@rule("upgrade.dose_response")
def dose_response(body: Body) -> Iterable[Reason]:
    if not can_rate_up(body):
        return
    for lk in body.best:
        if has(lk.evidence.dose_response):
            yield span_reason("upgrade.dose_response", 1, "dose-response gradient reported", lk,
                              span_of(lk.evidence.dose_response))
            return


# --- numbers -------------------------------------------------------------------------

FIGURE_RE = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(?:-\s*)?(fold|×|x\b|%|percent|mcg|µg|μg|mg|g/kg|participants|patients|"
    r"subjects|volunteers|people|rats|mice|animals|hours?|h\b)", re.IGNORECASE)
UNIT_ALIASES = {"×": "fold", "x": "fold", "percent": "%", "µg": "mcg", "μg": "mcg"}


def claim_figures(text: str) -> list[re.Match[str]]:
    return list(FIGURE_RE.finditer(text))


@rule("numbers.figures")
def figures(body: Body) -> Iterable[Reason]:
    usable = body.usable
    if not usable:
        return
    change = int(body.rubric.threshold("figure_not_found_change"))
    for m in claim_figures(body.claim.text):
        number = m.group(1).replace(",", ".")
        unit = UNIT_ALIASES.get(m.group(2).lower(), m.group(2).lower())
        pattern = re.compile(r"(?<![\d.])" + re.escape(number).replace(r"\.", r"[.,]") + r"(?![\d])")
        for lk in usable:
            text = lk.record.abstract_text
            hit = pattern.search(text)
            if hit:
                yield Reason("numbers.figure_found", "numbers", 0,
                             f"figure {m.group(0).strip()} appears in PMID {lk.record.pmid}'s abstract",
                             lk.record.pmid, "abstract", hit.start(), hit.end(), text[hit.start():hit.end() + 12])
                break
        else:
            yield claim_reason("numbers.figure_missing", change,
                               f"figure {m.group(0).strip()} ({unit}) is not in the cited records' abstracts",
                               body, m.start(), m.end())

