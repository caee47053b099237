"""Is a record about what a claim is about: its substance, and its outcome?

Used twice: to link reference-list entries to the claims they support (an *inferred* link) and to
flag inline citations whose record concerns something else (`off-topic`). The claim's substance and
outcome come from grading.engine.claim_reading; a record names them when its title, abstract, MeSH
headings, chemicals or keywords hold their terms, or (for outcomes) a word of the same outcome
family ("memory" and "learning"). A term is a lower-cased word of 3+ letters/digits, split at
hyphens, minus generic vocabulary (data/topic_vocabulary.toml), with a crude plural fold. When a
claim has no readable substance, term overlap with the document's subject decides (`match_topic`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from grading.documents.claims import classify_type
from grading.engine.claim_reading import ClaimReading, outcome_families, read_claim, vocabulary
from grading.engine.terms import stem, stems, terms
from grading.models import PubmedRecord


@dataclass(frozen=True)
class RecordTopic:
    """What a record is about, read once per record (inferred linking asks for every claim
    against every reference-list record)."""

    terms: frozenset[str]  # title, abstract, MeSH headings, chemicals, keywords
    stems: frozenset[str]  # of `terms`
    title_terms: frozenset[str]
    families: frozenset[str]  # outcome families named in the title and abstract
    title_families: frozenset[str]


@lru_cache(maxsize=1 << 17)  # a run's records (a long `grading serve` keeps no more than this)
def _record_topic(pmid: int, title: str | None, abstract: str, extra: tuple[str, ...]) -> RecordTopic:
    all_terms = terms(" ".join([title or "", abstract, *extra]))
    return RecordTopic(all_terms, stems(all_terms), terms(title), outcome_families(f"{title or ''} {abstract}"),
                       outcome_families(title or ""))


def record_topic(record: PubmedRecord) -> RecordTopic:
    extra = tuple([h.descriptor for h in record.mesh_headings] + list(record.chemicals) + list(record.keywords))
    return _record_topic(record.pmid, record.title, record.abstract_text, extra)


def record_terms(record: PubmedRecord) -> frozenset[str]:
    return record_topic(record).terms


def document_subjects(claim_texts: Sequence[str], min_share: float = 0.3, min_claims: int = 3) -> frozenset[str]:
    """Terms that recur across a document's claims: its subject (usually the substance).

    A vendor page says the product's name in most claims; a term counts when it appears
    in at least `min_share` of the claims and in at least `min_claims` of them."""
    if not claim_texts:
        return frozenset()
    counts: Counter[str] = Counter()
    for text in claim_texts:
        counts.update(terms(text))
    need = max(min_claims, int(min_share * len(claim_texts) + 0.999))
    return frozenset(t for t, n in counts.items() if n >= need)


@dataclass(frozen=True)
class RecordSpan:
    """Where in a record a match was found: text == title/abstract[start:end] (MeSH etc.: no offsets)."""

    where: Literal["title", "abstract", "none"]
    start: int | None
    end: int | None
    text: str


@dataclass(frozen=True)
class TopicMatch:
    on_topic: bool
    subject_terms: frozenset[str]  # the claim's subject terms found in the record
    shared_terms: frozenset[str]  # other claim terms found in the record
    explanation: str


@dataclass(frozen=True)
class Relevance:
    """Is a record about a claim's substance and outcome? None: cannot tell (nothing to compare)."""

    substance: bool | None
    substance_found: frozenset[str]
    substance_span: RecordSpan | None
    outcome: bool | None
    outcome_found: frozenset[str]  # outcome terms or families found
    outcome_span: RecordSpan | None
    outcome_in_title: bool
    explanation: str
    mechanism_only: bool = False  # matched only on what the claim says after its outcome ("… by boosting X")

    @property
    def on_topic(self) -> bool:
        return self.substance is not False and self.outcome is not False


def match_topic(claim_text: str, record: PubmedRecord, subjects: Iterable[str], *, min_shared: int = 3) -> TopicMatch:
    """On topic when the record names the claim's subject, or shares `min_shared` terms.

    The claim's subject is the document's subject terms the claim mentions, or, for a claim
    with an implicit subject ("Supports brain plasticity"), all of them."""
    subjects = frozenset(subjects)
    cterms = terms(claim_text)
    subject = (cterms & subjects) or subjects
    rterms = record_terms(record)
    found_subject = subject & rterms
    shared = (cterms - subjects) & rterms
    if found_subject:
        why = f"record names the claim's subject ({', '.join(sorted(found_subject))})"
        return TopicMatch(True, found_subject, shared, why)
    if len(shared) >= min_shared:
        why = f"record shares the claim's terms ({', '.join(sorted(shared)[:6])})"
        return TopicMatch(True, frozenset(), shared, why)
    named = ", ".join(sorted(subject)) or "its subject"
    why = f"record does not mention {named}" + (f"; shares only {', '.join(sorted(shared))}" if shared else "")
    return TopicMatch(False, frozenset(), shared, why)


def find_span(record: PubmedRecord, pattern: re.Pattern[str]) -> RecordSpan | None:
    for where, text in (("title", record.title or ""), ("abstract", record.abstract_text)):
        if m := pattern.search(text):
            return RecordSpan(where, m.start(), m.end(), m.group(0))  # type: ignore[arg-type]
    return None


def term_pattern(found: Iterable[str]) -> re.Pattern[str]:
    """Words starting with a folded term ("curcumin" finds "Curcumin"; "rat" finds "rats")."""
    return re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(t) for t in sorted(found, key=len, reverse=True)) + ")",
                      re.IGNORECASE)


def specific_outcome_terms(reading: ClaimReading) -> frozenset[str]:
    """Outcome terms that say what was measured, not generic measurement words ("levels", "expression")."""
    v = vocabulary()
    return frozenset(t for t in reading.outcome_terms if not v.surrogate.fullmatch(t) and len(t) > 3)


def match_record(reading: ClaimReading, record: PubmedRecord) -> Relevance:
    """Does the record name the claim's substance, and study the claim's outcome?"""
    topic = record_topic(record)
    rterms = topic.terms
    substance: bool | None = None
    found: frozenset[str] = frozenset()
    span = None
    if reading.substance_terms:
        found = frozenset(t for t in reading.substance_terms if t in rterms)
        substance = bool(found)
        span = find_span(record, term_pattern(found)) if found else None
    specific = specific_outcome_terms(reading)
    claim_families = claim_outcome_families(reading.outcome.text) if reading.outcome else frozenset()
    record_families, rstems = topic.families, topic.stems
    # morphology-tolerant: "prevention" in the record answers the claim's "preventing"
    o_found = {t for t in specific if t in rterms or stem(t) in rstems} | (claim_families & record_families)
    # What else the claim asserts after its verb (a mechanism: "… by boosting prostacyclin"): a record
    # that studies it is on topic too, as indirect evidence for the outcome.
    elsewhere = {t for t in reading.claim_terms - specific if len(t) > 3 and (t in rterms or stem(t) in rstems)}
    outcome: bool | None
    mechanism_only = False
    if not specific and not claim_families:
        outcome = None  # the claim states no outcome to look for
    elif o_found or elsewhere:
        outcome = True
        mechanism_only = not o_found
        o_found = o_found or frozenset(elsewhere)
    else:
        outcome = False if record.abstract_text else None  # a title alone may not name the outcome
    o_span = find_span(record, term_pattern(specific & rterms)) if specific & rterms else None
    in_title = bool(specific & topic.title_terms) or bool(claim_families & topic.title_families)
    return Relevance(substance, found, span, outcome, frozenset(o_found), o_span, in_title,  # type: ignore[arg-type]
                     relevance_explanation(reading, substance, found, outcome, o_found), mechanism_only)


def relevance_explanation(reading: ClaimReading, substance: bool | None, found: frozenset[str],
                          outcome: bool | None, o_found: frozenset[str]) -> str:
    named = ", ".join(sorted(reading.substance_terms)) or "the claim's substance"
    if substance is False:
        return f"the record does not mention {named}: it is about another substance"
    what = f"names {', '.join(sorted(found))}" if found else "substance not assessable"
    if outcome is False:
        wanted = reading.outcome.text if reading.outcome else "the claim's outcome"
        return f"the record {what} but does not study {wanted[:80]!r}"
    if outcome:
        return f"the record {what} and studies {', '.join(sorted(o_found)[:5])}"
    return f"the record {what}; outcome not assessable"


@cache
def read_claim_cached(claim_text: str, subjects: frozenset[str]) -> ClaimReading:
    """grading.engine.claim_reading.read_claim, once per (claim, document subject): inferred linking asks
    for every claim against every reference-list record."""
    return read_claim(claim_text, subjects)


@lru_cache(maxsize=1 << 16)
def claim_outcome_families(outcome_text: str) -> frozenset[str]:
    """outcome_families of a claim's outcome, once per claim (asked again for every record)."""
    return outcome_families(outcome_text)


@lru_cache(maxsize=1 << 16)
def is_regulatory(claim_text: str) -> bool:
    return classify_type(claim_text) == "regulatory"


def inferred_link(claim_text: str, record: PubmedRecord, subjects: Iterable[str]) -> TopicMatch:
    """Should a reference-list entry be linked to this claim? Stricter than an inline citation's check:
    the record must name the claim's substance and study its outcome, with an outcome word in the
    record's title or two in its abstract. A claim that states no outcome links to nothing."""

    if is_regulatory(claim_text):  # a legal status is no finding of a paper
        return TopicMatch(False, frozenset(), frozenset(), "a regulatory claim: not linked by subject")
    reading = read_claim_cached(claim_text, frozenset(subjects))
    rel = match_record(reading, record)
    strong = rel.outcome_in_title or len(rel.outcome_found) >= 2
    if rel.substance and rel.outcome and strong and not rel.mechanism_only:
        why = (f"reference-list entry linked by subject: the record names {', '.join(sorted(rel.substance_found))} "
               f"and the claim's outcome ({', '.join(sorted(rel.outcome_found)[:5])})")
        return TopicMatch(True, rel.substance_found, rel.outcome_found, why)
    return TopicMatch(False, rel.substance_found, rel.outcome_found, rel.explanation)
