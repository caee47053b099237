"""Grading a claim: status first (is there usable evidence at all?), then the rubric.

`grade_claim` is pure: it takes the claim's linked evidence and the rubric and returns a
`Grade` whose reasons explain every change. Statuses follow docs/rubric.md: a claim with
nothing linked is `uncited`; one whose records could not be retrieved is `unavailable`
(never "no evidence exists"); retracted, off-topic and unresolved citations say so.
"""

from __future__ import annotations

from collections.abc import Sequence

from grading.engine.body import Body, LinkedEvidence
from grading.engine.claim_reading import ClaimReading
from grading.engine.profile import domain_judgements, support_checks
from grading.engine.rubric import Rubric
from grading.engine.rules import REGISTRY
from grading.engine.topic import read_claim_cached
from grading.models import Claim, Grade, Reason

SCREENING = ("retraction", "identity", "relevance", "support")
GRADING = ("start", "risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias",
           "upgrade", "review", "numbers")


def claim_population(reading: ClaimReading, rubric: Rubric) -> str:
    """human | animal | cells | unspecified: what the claim is judged against. A claim that names
    no population is read as about people when the rubric says so (consumer pages mean people)."""
    if reading.population == "unspecified":
        return "human" if rubric.unspecified_population_is_human else "unspecified"
    return reading.population


def grade_claim(claim: Claim, links: Sequence[LinkedEvidence], rubric: Rubric,
                subjects: frozenset[str] = frozenset()) -> Grade:
    """The verdict on one claim from its linked evidence; `subjects` are the document's subject
    terms, standing in for the substance of a claim that names none ("It improves memory")."""
    reading = read_claim_cached(claim.text, frozenset(subjects))
    body = Body(claim=claim, claim_population=claim_population(reading, rubric), subjects=subjects,
                links=list(links), rubric=rubric, reading=reading)
    if not links:
        return verdict(body, "uncited", [Reason("status.uncited", "status", 0, "no citation is attached to this claim")])
    body.reasons.extend(link_reasons(body))
    run_domains(body, SCREENING)
    if not body.usable:
        return verdict(body, *no_usable_evidence(body))
    run_domains(body, GRADING)
    if reading.population == "unspecified" and rubric.unspecified_population_is_human:
        body.reasons.append(Reason("indirectness.population_assumed", "indirectness", 0,
                                   "the claim names no population; read as a claim about people"))
    return verdict(body, "graded", [])


def run_domains(body: Body, domains: Sequence[str]) -> None:
    for domain in domains:
        for rule_id in body.rubric.rules.get(domain, ()):
            body.reasons.extend(REGISTRY[rule_id].fn(body))


def link_reasons(body: Body) -> list[Reason]:
    """One reason per citation that cannot count: why it was not evidence."""
    out = []
    for lk in body.links:
        r = lk.resolution
        raw = lk.mention.raw
        if lk.link == "inferred" and lk.record is not None:
            out.append(Reason("link.inferred", "link", 0, lk.link_reason or "linked by subject from the reference list",
                              lk.record.pmid, "citation", None, None, raw))
        if r.status == "not_scholarly":
            out.append(Reason("citation.not_scholarly", "citation", 0, "links to a non-scholarly page, not evidence",
                              None, "citation", None, None, raw))
        elif r.status == "not_found":
            out.append(Reason("citation.not_found", "citation", 0,
                              f"{lk.mention.kind.replace('_', ' ')} “{' '.join(raw.split())[:80]}” resolves to no PubMed "
                              f"record ({r.detail or r.method})",  # the text as written, not the resolver's key
                              None, "citation", None, None, raw))
        elif r.status == "ambiguous":
            cands = ", ".join(str(c) for c in r.candidates[:5])
            out.append(Reason("citation.ambiguous", "citation", 0,
                              f"reference matches several records ({cands}); none picked", None, "citation", None,
                              None, raw))
        elif r.status == "unavailable":
            out.append(Reason("citation.unavailable", "citation", 0,
                              f"could not be resolved this run: {r.detail or 'service unavailable'}", None,
                              "citation", None, None, raw))
        elif lk.fetch_outcome == "not_found":
            out.append(Reason("citation.not_found", "citation", 0, f"PMID {r.pmid} does not exist in PubMed",
                              r.pmid, "citation", None, None, raw))
        elif lk.fetch_outcome == "unavailable":
            out.append(Reason("citation.unavailable", "citation", 0,
                              f"PMID {r.pmid} could not be retrieved this run: {lk.fetch_cause or 'unknown cause'}",
                              r.pmid, "citation", None, None, raw))
    return out


def no_usable_evidence(body: Body) -> tuple[str, list[Reason]]:
    """Why a claim with citations has nothing to grade, in order of what a user must know first."""
    links = body.links
    pending = [lk for lk in links if lk.resolution.status == "unavailable" or lk.fetch_outcome == "unavailable"]
    if pending:
        return "unavailable", [Reason("status.unavailable", "status", 0,
                                      "evidence could not be retrieved this run; not the same as no evidence")]
    fetched = [lk for lk in links if lk.record is not None]
    retracted = [lk for lk in fetched if lk.record.retracted]
    if fetched and len(retracted) == len(fetched):
        return "retracted", [Reason("status.retracted", "status", 0, "every linked record is retracted")]
    if body.findings:
        return "not-supported", [Reason("status.not_supported", "status", 0,
                                        "the cited paper does not say this: it contradicts the claim or lacks its "
                                        "central content")]
    if fetched:
        return "off-topic", [Reason("status.off_topic", "status", 0,
                                    "the linked records do not concern this claim, or are not the papers cited")]
    return "unresolved", [Reason("status.unresolved", "status", 0, "no citation resolves to a PubMed record")]


def verdict(body: Body, status: str, extra: list[Reason]) -> Grade:
    reasons = tuple(body.reasons + extra)
    certainty = body.certainty() if status == "graded" else "no evidence"
    pmids = tuple(sorted({lk.pmid for lk in body.links if lk.pmid is not None}))
    domains = domain_judgements(body) if status == "graded" else ()
    return Grade(claim_id=body.claim.claim_id, certainty=certainty, status=status, pmids=pmids,  # type: ignore[arg-type]
                 reasons=reasons, rubric_version=body.rubric.version, support=support_checks(body, status),
                 domains=domains)
