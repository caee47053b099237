"""Is a record about what a claim is about? Term overlap with a document-level subject.

Used twice: to link reference-list entries to the claims they support (an *inferred*
link) and to flag inline citations whose record concerns something else (`off-topic`).
A term is a lower-cased word of 3+ letters/digits, split at hyphens, minus generic
vocabulary (data/topic_vocabulary.toml), with a crude plural fold.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Iterable, Sequence

from grading.models import PubmedRecord
from grading.settings import bundled_path

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


@cache
def generic_words() -> frozenset[str]:
    with open(bundled_path("topic_vocabulary.toml"), "rb") as fh:
        data = tomllib.load(fh)
    return frozenset(fold(w) for w in data["generic"].split())


def fold(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def terms(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    generic = generic_words()
    out = set()
    for w in WORD_RE.findall(text):
        if len(w) < 3 or w.isdigit():
            continue
        f = fold(w)
        if f not in generic:
            out.add(f)
    return frozenset(out)


@cache
def _record_terms(pmid: int, title: str | None, abstract: str, extra: tuple[str, ...]) -> frozenset[str]:
    return terms(" ".join([title or "", abstract, *extra]))


def record_terms(record: PubmedRecord) -> frozenset[str]:
    extra = tuple([h.descriptor for h in record.mesh_headings] + list(record.chemicals) + list(record.keywords))
    return _record_terms(record.pmid, record.title, record.abstract_text, extra)


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
class TopicMatch:
    on_topic: bool
    subject_terms: frozenset[str]  # the claim's subject terms found in the record
    shared_terms: frozenset[str]  # other claim terms found in the record
    explanation: str


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


def inferred_link(claim_text: str, record: PubmedRecord, subjects: Iterable[str]) -> TopicMatch:
    """Should a reference-list entry be linked to this claim? Stricter than match_topic:
    the record must name the subject, and the claim must share what the paper is about —
    two of its title's terms, or one title term and three terms in all."""
    m = match_topic(claim_text, record, subjects)
    in_title = m.shared_terms & terms(record.title)
    if m.subject_terms and (len(in_title) >= 2 or (in_title and len(m.shared_terms) >= 3)):
        why = (f"reference-list entry linked by subject: the claim shares "
               f"{', '.join(sorted(in_title))} with the title (and {len(m.shared_terms)} terms in all)")
        return TopicMatch(True, m.subject_terms, m.shared_terms, why)
    return TopicMatch(False, m.subject_terms, m.shared_terms, m.explanation)
