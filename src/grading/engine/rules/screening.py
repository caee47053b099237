"""Screening: retracted records, records that are not the cited paper, records about something else."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from grading.engine.body import Body, LinkedEvidence
from grading.engine.findings import Finding, words
from grading.engine.rules.base import ascii_fold, claim_reason, rule, span_reason
from grading.engine.terms import terms
from grading.engine.topic import match_record, match_topic, record_terms
from grading.models import Reason


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
        if m.authors and (surname := cited_surname(m.authors[0])):
            names = [a.last_name or a.collective_name or "" for a in link.record.authors]
            if not any(same_surname(surname, n) for n in names if n):
                problems.append(f"no author named {surname}")
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


INITIALS = re.compile(r"^(?:[A-Z]{1,3}|(?:[A-Z]\.-?){1,3}|[A-Z]\.?-[A-Z]\.?)$")
PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "degli", "di", "da", "dos", "das", "du", "la",
                       "le", "ter", "ten", "te", "el", "al", "bin", "ibn", "y", "st", "saint"})


def cited_surname(author: str) -> str:
    """The whole surname a citation gives, its initials dropped: "Akhavan Rezayat A" -> "Akhavan Rezayat",
    "van der Berg JA" -> "van der Berg", "Smith, J." -> "Smith"."""
    tokens = author.split(",")[0].split()
    while len(tokens) > 1 and INITIALS.match(tokens[-1]):
        tokens.pop()
    while len(tokens) > 1 and INITIALS.match(tokens[0]):  # "J. Smith"
        tokens.pop(0)
    return " ".join(tokens)


def surname_words(name: str) -> list[str]:
    return [w for w in re.split(r"[\s'-]+", ascii_fold(name)) if w and w not in PARTICLES]


def same_surname(cited: str, recorded: str) -> bool:
    """Folded alike ("Müller" = "Muller"), particles allowed or left out ("van der Berg" = "Berg"),
    hyphen or space alike; a compound surname cited in part ("Garcia" for "Garcia Lopez") still matches."""
    a, b = surname_words(cited), surname_words(recorded)
    if not a or not b:
        return ascii_fold(cited) == ascii_fold(recorded)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return any(longer[i:i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))


@rule("relevance.off_topic")
def relevance_off_topic(body: Body) -> Iterable[Reason]:
    """An inline citation whose record is about another substance, or about the substance but not the
    claim's outcome, is not evidence for the claim. Inferred links were made on this test already."""
    reading = body.reading
    # "did not assess X" is about what the study measured, not a topic: the support check judges it
    about_the_study = any(p.search(body.claim.text) for p in words().not_assessed)
    for link in body.usable:
        if link.link != "inline" or about_the_study:
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
        if rel.substance is False and body.subjects and body.subjects & record_terms(link.record) \
                and not (reading.substance_terms & body.subjects):
            # the claim's agent is a description ("the herb", "these new studies"), the page is about
            # the record's substance: judge the outcome only
            rel = replace(rel, substance=None)
        if rel.substance is not False and rel.outcome is False:
            finding = Finding("not mentioned", "outcome", f"PMID {link.record.pmid}: {rel.explanation}")
            body.findings.setdefault(link.record.pmid, []).append(("support.outcome", finding))
            body.excluded.add(link.record.pmid)
            yield claim_reason("support.outcome", 0, f"not mentioned: {finding.explanation}", reading.outcome,
                               link.record.pmid, domain="support")
            continue
        if not rel.on_topic:
            body.excluded.add(link.record.pmid)
            where = reading.substances[0] if rel.substance is False and reading.substances else reading.outcome
            yield claim_reason("relevance.off_topic", 0, f"PMID {link.record.pmid}: {rel.explanation}", where,
                               link.record.pmid)


def match_record_terms(phrase: str, link: LinkedEvidence) -> bool:
    wanted = {t for t in terms(phrase) if len(t) > 3}
    return bool(wanted) and bool(wanted & record_terms(link.record))


