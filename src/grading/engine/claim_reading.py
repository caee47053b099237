"""Reading one claim: its substance(s), population, outcome (clinical or surrogate), direction and
the figures it states. `read_claim(text, subjects) -> ClaimReading` is pure.

The reading is syntactic and vocabulary-driven, general to biomedicine: the agent of the claim's
effect verb is its substance ("Curcumin lowers CRP"; "supplementation of X prevents …"), the words
after the verb are its outcome, "in rats" / "in vitro" / "healthy" / "patients with" scope its
population. A claim whose agent is a pronoun ("It improves memory") takes the document's subject
(`subjects`, see grading.engine.topic.document_subjects). Every reading carries the span of the claim text
it rests on (offsets into the claim), so a reason can quote it. Words live in
data/claim_reading_vocabulary.toml and data/outcome_vocabulary.toml; the population is read by
grading.documents.population (the same reader as the stored claim population).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Literal

from grading.documents import population as population_reader
from grading.documents.claims import vocabulary as claim_vocabulary  # the predicate word lists
from grading.engine.terms import terms
from grading.settings import bundled_path

PopulationKind = Literal["human", "animal", "cells", "unspecified"]
OutcomeKind = Literal["clinical", "surrogate", "unknown"]
ClaimDirection = Literal["effect", "no_effect", "unknown"]
FigureKind = Literal["fold", "percent", "count", "dose", "duration", "frequency"]


@dataclass(frozen=True)
class Mention:
    """A stretch of the claim: text == claim[start:end]."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Figure:
    """A number the claim states, with its unit: "1.4-fold", "24 participants", "50 mcg/kg", "20-24 hours"."""

    kind: FigureKind
    values: tuple[float, ...]  # one value, or the two ends of a range
    unit: str  # normalised: fold, %, participants, animals, mcg, mg, mcg/kg, mg/kg, g, hours, days, weeks, per day
    span: Mention


@dataclass(frozen=True)
class ClaimReading:
    """What one claim asserts. Grain: one per claim."""

    substances: tuple[Mention, ...]  # named in the claim, the agent first
    substance_terms: frozenset[str]  # what a record must name to be about the claim's substance
    substance_basis: Literal["named", "document", "none"]
    population: PopulationKind
    population_span: Mention | None
    species: frozenset[str]  # "rat", "mouse" … when the claim is scoped to animals
    human_group: Literal["healthy", "patients"] | None
    group_span: Mention | None
    outcome: Mention | None  # the words after the effect verb
    outcome_terms: frozenset[str]
    claim_terms: frozenset[str]  # every content term after the effect verb (outcome, mechanism, scope), no people
    outcome_kind: OutcomeKind
    outcome_kind_span: Mention | None  # the word that made it clinical or surrogate
    direction: ClaimDirection
    direction_span: Mention | None
    figures: tuple[Figure, ...]


# --- vocabulary ----------------------------------------------------------------------------------

def _load(name: str) -> dict:
    with open(bundled_path(name), "rb") as fh:
        return tomllib.load(fh)


def words_pattern(phrases: list[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive alternation, longest first; "x*" matches any ending of x."""
    parts = [p[:-1] + r"\w*" if p.endswith("*") else p for p in sorted(phrases, key=len, reverse=True)]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)


def literal_words(phrases: list[str]) -> list[str]:
    """Plain phrases (outcome vocabulary) as regex parts, keeping the "*" wildcard; a plural counts
    ("strokes" is "stroke")."""
    return [re.escape(p[:-1]) + "*" if p.endswith("*") else re.escape(p) + "(?:s|es)?" for p in phrases]


@dataclass(frozen=True)
class Vocabulary:
    effect: re.Pattern[str]
    lead_ins: tuple[re.Pattern[str], ...]
    anaphora: frozenset[str]
    agent_ends: frozenset[str]
    intervention_before: re.Pattern[str]
    intervention_after: re.Pattern[str]
    not_substance: frozenset[str]
    healthy: re.Pattern[str]
    patients: re.Pattern[str]
    no_effect: re.Pattern[str]
    effect_nouns: re.Pattern[str]
    surrogate: re.Pattern[str]
    clinical: re.Pattern[str]
    families: dict[str, re.Pattern[str]]
    # Per family, the lower-case words one of which every match contains (None: no such test):
    # in ASCII text, a family none of whose words occurs needs no regex search.
    family_words: dict[str, tuple[str, ...] | None]
    routes: dict[str, re.Pattern[str]]


@cache
def vocabulary() -> Vocabulary:
    reading, outcome = _load("claim_reading_vocabulary.toml"), _load("outcome_vocabulary.toml")
    word = r"(?:[\w()'’/-]+)"
    return Vocabulary(
        effect=words_pattern(reading["effect_verbs"]),
        lead_ins=tuple(re.compile(p, re.IGNORECASE) for p in reading["lead_ins"]),
        anaphora=frozenset(reading["anaphora"]),
        agent_ends=frozenset(reading["agent_ends"]),
        intervention_before=re.compile(  # "supplementation of fish oil": up to three words after
            rf"(?<!\w)(?:{'|'.join(reading['intervention_before'])}) (?P<x>{word}(?: {word}){{0,2}}?)"
            r"(?=\s*(?:\(|,|\.|;|$| (?:has|have|is|are|was|were|may|can|could|results?|leads?|produces?|shows?|"
            r"showed|and|or|in|for|to|at|on|with|by|from|as|which|that)\b))", re.IGNORECASE),
        intervention_after=re.compile(rf"(?P<x>{word}(?: {word})?) (?:{'|'.join(reading['intervention_after'])})\b",
                                      re.IGNORECASE),
        not_substance=frozenset(reading["not_substance"].split()),
        healthy=words_pattern(reading["population"]["healthy"]),
        patients=words_pattern(reading["population"]["patients"]),
        no_effect=words_pattern(reading["direction"]["no_effect"]),
        effect_nouns=words_pattern(reading["direction"]["effect_nouns"]),
        surrogate=words_pattern(literal_words(outcome["surrogate"])),
        clinical=words_pattern(literal_words(outcome["clinical"])),
        families={k: words_pattern(literal_words(v)) for k, v in outcome["families"].items()},
        family_words={k: required_words(v) for k, v in outcome["families"].items()},
        routes={k: words_pattern(v) for k, v in reading["routes"].items()},
    )


def mention(text: str, m: re.Match[str], group: int | str = 0) -> Mention:
    return Mention(m.start(group), m.end(group), text[m.start(group):m.end(group)])


# --- substance -----------------------------------------------------------------------------------

def strip_lead_in(text: str) -> int:
    """Where the claim proper starts, past "Research demonstrates that" and "Key finding:"."""
    start, moved = 0, True
    while moved:
        moved = False
        for pattern in vocabulary().lead_ins:
            m = pattern.match(text, start)
            if m and m.end() > start:
                start, moved = m.end(), True
    return start


def substance_terms(phrase: str) -> frozenset[str]:
    """The words of a phrase that could name a substance: not routes, forms, people or outcomes."""
    v = vocabulary()
    return frozenset(t for t in terms(phrase) if t not in v.not_substance and not t[0].isdigit()
                     and not v.clinical.fullmatch(t) and not v.surrogate.fullmatch(t))


FUNCTION_WORDS = frozenset(["that", "the", "a", "an", "of", "to", "and", "or", "with", "for", "daily", "regular", "this", "these", "its", "their", "some", "any"])
AGENT_BOUNDARY = re.compile(r"[,;:(]|\b(?:that|which|who|and|but|while|because|since|where|when)\b", re.IGNORECASE)
AUXILIARY = re.compile(r"\b(?:has|have|is|are|was|were|may|might|can|could|will|would|had|been|also|not|does|do|"
                       r"did|to|significantly|further|reportedly|actually|clearly|strongly)\b", re.IGNORECASE)


def first_verb(segment: str) -> int:
    """Where the first finite verb of a segment starts ("Metformin shares the …" -> before "shares")."""

    ends = claim_vocabulary().inflected | vocabulary().agent_ends
    for m in re.finditer(r"[A-Za-z][A-Za-z'’-]*", segment):
        if m.start() and m.group(0).lower() in ends:
            return m.start()
    return len(segment)


def agent_span(text: str, verb: re.Match[str] | None) -> Mention | None:
    """The noun phrase the effect verb follows: from the last clause boundary before the verb, cut at
    the first auxiliary ("Curcumin has also been shown to lower" -> "Curcumin"). None for a pronoun."""
    start = strip_lead_in(text)
    end = verb.start() if verb else start + first_verb(text[start:])  # no effect verb: up to the first verb
    if end >= len(text) or end <= start:
        return None
    bounds = [m.end() for m in AGENT_BOUNDARY.finditer(text, start, end)]
    for begin in reversed([start] + bounds):
        segment = text[begin:end]
        cut = AUXILIARY.search(segment)
        segment = segment[:cut.start()] if cut else segment
        segment = segment[:first_verb(segment)]
        stripped = segment.strip(" ,;:()")
        if stripped.lower() in vocabulary().anaphora:
            return None
        if stripped and substance_terms(stripped) and not stripped[0].isdigit():
            first = begin + segment.find(stripped)
            return Mention(first, first + len(stripped), stripped)
    return None


def read_substances(text: str, verb: re.Match[str] | None, subjects: frozenset[str]
                    ) -> tuple[tuple[Mention, ...], frozenset[str], Literal["named", "document", "none"]]:
    """Substance mentions, agent first: the intervention phrase nearest before the verb ("supplementation
    of X"), else the verb's subject, then the document's subject terms the claim names. The terms a
    record must name: the document subject's within the agent if any, else the agent's own. None
    named: the document's subject stands in."""
    v = vocabulary()
    limit = verb.start() if verb else len(text)
    found: list[Mention] = []
    for pattern in (v.intervention_before, v.intervention_after):
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 4):m.start()].lower()
            last = m["x"].split()[-1].lower()
            if m.start() < limit and substance_terms(m["x"]) and not before.endswith(("for ", "as ")) \
                    and last not in FUNCTION_WORDS:
                found.append(mention(text, m, "x"))
    found.sort(key=lambda x: -x.start)  # the one nearest the verb is the agent
    intervention_found = list(found)
    agent = agent_span(text, verb)
    if agent and not any(f.start < agent.end and agent.start < f.end for f in found):
        found.append(agent)
    low = text.lower()
    for term in sorted(subjects):
        for m in re.finditer(rf"(?<!\w){re.escape(term)}\w*", low):
            if not any(f.start <= m.start() < f.end for f in found):
                found.append(Mention(m.start(), m.end(), text[m.start():m.end()]))
    if not found:
        return (), subjects, ("document" if subjects else "none")
    # The document's subject named before the verb outranks a grammatical subject that is no
    # intervention ("Drug X is approved …, demonstrating efficacy in improving …").
    before_verb = {t for t in subjects if re.search(rf"(?<!\w){re.escape(t)}", low[:limit])}
    named = substance_terms(found[0].text)
    if before_verb and not (named & subjects) and found[0] not in intervention_found:
        named = frozenset(before_verb)
    return tuple(found), (named & subjects) or named or subjects, "named"


# --- population, outcome, direction ----------------------------------------------------------------

def read_population(text: str, substances: tuple[Mention, ...] = ()) -> tuple[PopulationKind, Mention | None,
                                                                               frozenset[str]]:
    """The population the claim names (grading.documents.population, the one reader); the claim's
    substances name none ("fish oil" is no fish)."""
    found = population_reader.read_population(text, [(s.start, s.end) for s in substances])
    span = Mention(found.span[0], found.span[1], text[found.span[0]:found.span[1]]) if found.span else None
    return found.kind, span, found.species


def read_group(text: str) -> tuple[Literal["healthy", "patients"] | None, Mention | None]:
    v = vocabulary()
    hits = [(m.start(), "healthy", m) for m in v.healthy.finditer(text)]
    hits += [(m.start(), "patients", m) for m in v.patients.finditer(text)]
    if not hits:
        return None, None
    _, group, m = min(hits, key=lambda h: h[0])
    return group, mention(text, m)  # type: ignore[return-value]


OUTCOME_END = re.compile(r"[.;:!?]|,\s|\s\(|\s(?:in|among|after|following|when|through|by|via|compared|while|but|"
                         r"without|whereas|because|due|which|that)\s", re.IGNORECASE)


def read_outcome(text: str, verb: re.Match[str] | None) -> Mention | None:
    """The words after the effect verb, up to a scope ("in the liver", "in healthy people") or a clause end."""
    if verb is None:
        return None
    start = verb.end()
    while start < len(text) and text[start] == " ":
        start += 1
    m = OUTCOME_END.search(text, start)
    if lead := re.match(r"(?:in|of|on|to)\s+", text[start:], re.IGNORECASE):  # "1.4-fold increase in IL-6"
        start += lead.end()
        m = OUTCOME_END.search(text, start)
    end = m.start() if m else len(text)
    if end <= start:
        return None
    return Mention(start, end, text[start:end])


def outcome_kind(outcome: Mention | None, text: str) -> tuple[OutcomeKind, Mention | None]:
    """Surrogate when the outcome names a biomarker, a level, a gene or a receptor and no clinical
    outcome; clinical when it names one; else unknown (the whole claim is the fallback)."""
    v = vocabulary()
    where = outcome.text if outcome else text
    offset = outcome.start if outcome else 0
    clinical, surrogate = v.clinical.search(where), v.surrogate.search(where)
    if clinical:
        return "clinical", Mention(offset + clinical.start(), offset + clinical.end(), clinical.group(0))
    if surrogate:
        return "surrogate", Mention(offset + surrogate.start(), offset + surrogate.end(), surrogate.group(0))
    return "unknown", None


def read_direction(text: str, verb: re.Match[str] | None) -> tuple[ClaimDirection, Mention | None]:
    if m := vocabulary().no_effect.search(text):
        return "no_effect", mention(text, m)
    if verb is not None:
        return "effect", mention(text, verb)
    if m := vocabulary().effect_nouns.search(text):  # "GI motility effects independent of X"
        return "effect", mention(text, m)
    return "unknown", None


# --- figures -------------------------------------------------------------------------------------

NUMBER = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?"
RANGE = rf"(?P<a>{NUMBER})(?:\s*(?:-|–|to)\s*(?P<b>{NUMBER}))?"
FIGURE_PATTERNS: tuple[tuple[FigureKind, re.Pattern[str]], ...] = (
    ("frequency", re.compile(rf"(?<![\w.,]){RANGE}\s*(?:x|×|times)\s*(?P<u>daily|a day|per day|a week|per week|weekly)\b",
                             re.IGNORECASE)),
    ("fold", re.compile(rf"(?<![\w.,]){RANGE}\s*(?:-\s*)?(?P<u>fold|×|x(?=\s|$|[A-Za-z]))", re.IGNORECASE)),
    ("percent", re.compile(rf"(?<![\w.,]){RANGE}\s*(?P<u>%|percent|per cent)", re.IGNORECASE)),
    ("dose", re.compile(rf"(?<![\w.,]){RANGE}\s*(?P<u>(?:mcg|µg|μg|ug|mg|g|iu|ml)(?:\s*/\s*kg)?)(?![\w])", re.IGNORECASE)),
    ("duration", re.compile(rf"(?<![\w.,]){RANGE}\s*(?P<u>h|hrs?|hours?|days?|weeks?|months?|years?|min|minutes?)(?![\w])",
                            re.IGNORECASE)),
    ("count", re.compile(rf"(?<![\w.,]){RANGE}\s+(?:[a-z-]+\s+){{0,2}}?(?P<u>participants|patients|subjects|volunteers|"
                         r"people|adults|children|women|men|individuals|rats|mice|animals)\b", re.IGNORECASE)),
)
UNITS = {"daily": "per day", "a day": "per day", "a week": "per week", "weekly": "per week", "×": "fold", "x": "fold", "percent": "%", "per cent": "%", "µg": "mcg", "μg": "mcg", "ug": "mcg", "h": "hours",
         "hr": "hours", "hrs": "hours", "hour": "hours", "min": "minutes", "minute": "minutes", "day": "days",
         "week": "weeks", "month": "months", "year": "years"}
COUNT_UNITS = {"rats": "animals", "mice": "animals", "animals": "animals"}


def normal_unit(kind: FigureKind, unit: str) -> str:
    u = re.sub(r"\s+", "", unit.lower())
    if kind == "count":
        return COUNT_UNITS.get(u, "participants")
    base, _, per = u.partition("/")
    return UNITS.get(base, base) + (f"/{per}" if per else "")


def read_figures(text: str) -> tuple[Figure, ...]:
    """Every figure with a unit, left to right; a span taken by one kind is not read again."""
    taken: list[tuple[int, int]] = []
    out = []
    for kind, pattern in FIGURE_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            values = tuple(float(x.replace(",", "")) for x in (m["a"], m["b"]) if x)
            out.append(Figure(kind, values, normal_unit(kind, m["u"]), mention(text, m)))
            taken.append((m.start(), m.end()))
    return tuple(sorted(out, key=lambda f: f.span.start))


# --- the claim -------------------------------------------------------------------------------------

def main_verb(text: str) -> re.Match[str] | None:
    return vocabulary().effect.search(text, strip_lead_in(text))


def read_claim(text: str, subjects: frozenset[str] = frozenset()) -> ClaimReading:
    """Everything the rubric needs from one claim; spans are offsets into `text`."""
    verb = main_verb(text)
    substances, sterms, basis = read_substances(text, verb, frozenset(subjects))
    population, population_span, species = read_population(text, substances)
    group, group_span = read_group(text) if population == "human" else (None, None)
    outcome = read_outcome(text, verb)
    kind, kind_span = outcome_kind(outcome, text)
    direction, direction_span = read_direction(text, verb)
    # an aside in brackets ("(the parent hormone)") is no part of what was measured
    oterms = terms(re.sub(r"\([^()]*\)", " ", outcome.text)) - sterms if outcome else frozenset()
    tail = text[verb.end():] if verb else ""
    cterms = frozenset(t for t in terms(re.sub(r"\([^()]*\)", " ", tail)) - sterms
                       if not population_reader.is_people_word(t))
    return ClaimReading(
        substances=substances, substance_terms=sterms, substance_basis=basis, population=population,
        population_span=population_span, species=species, human_group=group, group_span=group_span,
        outcome=outcome, outcome_terms=frozenset(oterms), claim_terms=cterms, outcome_kind=kind, outcome_kind_span=kind_span,
        direction=direction, direction_span=direction_span, figures=read_figures(text))


def outcome_families(text: str) -> frozenset[str]:
    """The outcome families (data/outcome_vocabulary.toml [families]) a text names."""
    v = vocabulary()
    low = text.lower() if text.isascii() else None  # ASCII: case-insensitive equality is lower() equality
    return frozenset(name for name, pattern in v.families.items()
                     if (low is None or may_occur(low, v.family_words[name])) and pattern.search(text))


def required_words(phrases: list[str]) -> tuple[str, ...] | None:
    """The lower-cased literal of each plain phrase (`literal_words`; "x*": x), or None when one
    is not ASCII or empty (case-insensitive matching could then reach beyond lower())."""
    found = tuple(p.removesuffix("*").lower() for p in phrases)
    return found if all(w and w.isascii() for w in found) else None


def may_occur(low: str, words: tuple[str, ...] | None) -> bool:
    return words is None or any(w in low for w in words)


def route_words(text: str) -> frozenset[str]:
    """The routes of administration a text names (data/claim_reading_vocabulary.toml [routes])."""
    return frozenset(name for name, pattern in vocabulary().routes.items() if pattern.search(text))
