"""The support check as rules: does each linked record say what the claim says?

Each rule runs one check of grading.engine.support on every usable record; a record that
contradicts the claim, or lacks its central content, is set aside with its finding (a `support.*`
reason quoting the abstract sentence), and a claim left with no supporting record is
`not-supported`. Findings that only qualify the support (`partly`) come from the GRADE rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from grading.engine import outcome_support, support
from grading.engine.body import Body, LinkedEvidence
from grading.engine.findings import Finding
from grading.engine.rules.base import rule
from grading.models import Reason


def set_aside(body: Body, link: LinkedEvidence, rule_id: str, finding: Finding) -> Reason:
    """Record the finding against the record, exclude the record, and say why."""
    body.findings.setdefault(link.record.pmid, []).append((rule_id, finding))
    body.excluded.add(link.record.pmid)
    where = finding.where if finding.where in ("abstract", "title") else "none"
    return Reason(rule_id, "support", 0, f"{finding.label}: {finding.explanation}", link.record.pmid, where,  # type: ignore[arg-type]
                  finding.start, finding.end, finding.text or None)


def each_record(body: Body, rule_id: str, check) -> Iterable[Reason]:
    for link in body.usable:
        if (finding := check(link)) is not None:
            yield set_aside(body, link, rule_id, finding)


@rule("support.design")
def design(body: Body) -> Iterable[Reason]:
    """The design, phase, randomization or pooling the claim attributes to the study is the record's."""
    yield from each_record(body, "support.design",
                           lambda lk: support.check_design(body.claim.text, lk.record, lk.evidence))


@rule("support.endpoint")
def endpoint(body: Body) -> Iterable[Reason]:
    """A primary (or secondary) endpoint the claim names is the record's."""
    yield from each_record(body, "support.endpoint", lambda lk: support.check_endpoint(body.claim.text, lk.record))


@rule("support.study_counts")
def study_counts(body: Body) -> Iterable[Reason]:
    """Counts of trials or studies the claim gives are the record's."""
    yield from each_record(body, "support.study_counts",
                           lambda lk: support.check_study_counts(body.claim.text, lk.record))


@rule("support.not_assessed")
def not_assessed(body: Body) -> Iterable[Reason]:
    """"Did not assess X" is contradicted by a record that lists X among its measurements."""
    yield from each_record(body, "support.not_assessed", lambda lk: support.check_not_assessed(body.claim.text, lk.record))


@rule("support.population")
def population(body: Body) -> Iterable[Reason]:
    """A claim scoped to people ("in humans") is not supported by animal or cell work."""
    yield from each_record(body, "support.population",
                           lambda lk: support.check_population(body.reading, body.claim.text, lk.evidence, lk.record))


@rule("support.direction")
def direction(body: Body) -> Iterable[Reason]:
    """A claim of an effect is contradicted by records whose conclusion found none or the opposite.
    When every record does, the claim is not supported; when only some do, each is labelled
    `contradicts` but stays in the body, and inconsistency rates the disagreement."""
    usable = body.usable
    found = [(lk, f) for lk in usable
             if (f := outcome_support.check_direction(body.reading, body.claim.text, lk.evidence, lk.record)
                 or outcome_support.check_outcome_null(body.reading, body.claim.text, lk.record)
                 or outcome_support.check_comparison(body.reading, body.claim.text, lk.record)
                 or outcome_support.check_harm_frequency(body.claim.text, lk.record)
                 or outcome_support.check_everyone(body.reading, body.claim.text, lk.record)
                 or outcome_support.check_opposite(body.reading, body.claim.text, lk.record)
                 or outcome_support.check_denied(body.reading, body.claim.text, lk.record)) is not None]
    if found and len(found) == len(usable):
        for lk, f in found:
            yield set_aside(body, lk, "support.direction", f)
        return
    for lk, f in found:
        body.labels.setdefault(lk.record.pmid, []).append(("support.direction", f))
        yield Reason("support.direction", "support", 0, f"{f.label}: {f.explanation} (other records support it)",
                     lk.record.pmid, f.where if f.where in ("abstract", "title") else "none",  # type: ignore[arg-type]
                     f.start, f.end, f.text or None)


@rule("support.figures")
def figures(body: Body) -> Iterable[Reason]:
    """The figure a claim asserts as its finding must be in the cited abstracts (a detail in brackets
    is only flagged, by numbers.figures)."""
    usable = body.usable
    finding = support.check_figures(body.reading, body.claim.text, [lk.record for lk in usable])
    if finding is not None:
        for link in usable:
            yield set_aside(body, link, "support.figures", finding)


@rule("support.property")
def property_named(body: Body) -> Iterable[Reason]:
    """A claim resting on a property of its subject (taste, a benign natural course), not an effect,
    needs a record that names the property."""
    usable = body.usable
    finding = support.check_property(body.reading, body.claim.text, [lk.record for lk in usable])
    if finding is not None:
        for link in usable:
            yield set_aside(body, link, "support.property", finding)
