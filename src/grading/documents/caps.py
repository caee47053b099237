"""Bounded work per document: at most GRADING_MAX_CLAIMS claims and GRADING_MAX_CITATIONS
citations are graded and linked (the first ones, in text order); what was cut is said in one
line (a `run_issues` row, stage `caps`, and a warning on stderr), never dropped silently.

A page of tens of thousands of "claims" is a dump, not an article: grading all of it held a
scheduled run for many minutes and wrote report pages no browser opens.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any


def cap_document(doc: Any, max_claims: int, max_citations: int) -> tuple[Any, str | None]:
    """(the document with at most the caps, a note saying what was cut or None)."""
    cut_claims = max(0, len(doc.claims) - max_claims)
    cut_citations = max(0, len(doc.mentions) - max_citations)
    if not cut_claims and not cut_citations:
        return doc, None
    claims = doc.claims[:max_claims]
    kept_ids = {c.claim_id for c in claims}
    mentions = doc.mentions[:max_citations]
    attached = [a if a in kept_ids else None for a in doc.attached[:max_citations]]
    parts = []
    if cut_claims:
        last = claims[-1].char_end if claims else 0
        parts.append(f"{cut_claims} of {len(doc.claims)} claims not graded (GRADING_MAX_CLAIMS={max_claims}; "
                     f"graded up to character {last})")
    if cut_citations:
        parts.append(f"{cut_citations} of {len(doc.mentions)} citations not read "
                     f"(GRADING_MAX_CITATIONS={max_citations})")
    return replace(doc, claims=claims, mentions=mentions, attached=attached), "; ".join(parts)
