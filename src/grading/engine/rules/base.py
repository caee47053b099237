"""What every rule module shares: the registry, the rule decorator and the reason builders.

A rule reads the `Body` and returns reasons. Each reason carries the rule id, the change (-2..+2),
a one-line explanation and the text span it rests on: a stretch of the claim, or of a record's title
or abstract, with offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from grading.engine.body import Body, LinkedEvidence
from grading.engine.claim_reading import Mention
from grading.folding import fold
from grading.models import Reason

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


