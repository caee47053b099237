"""The document model: one source version with what was extracted from it, and how each of
its citation occurrences links to a claim. Values only: grading.pipeline computes them,
grading.warehouse.tables turns them into rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from grading.documents.links import has_inline_scholarly
from grading.documents.structure import Page
from grading.models import CitationMention, Claim, Resolution, Source


def citation_id(content_hash: str, m: CitationMention, *, source: str) -> str:
    """Like claim_id: the source's name is part of the id, so identical texts never collide."""
    key = f"{source}\0{content_hash}:{m.char_start}:{m.char_end}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass
class Document:
    """One source version with what was extracted from it."""

    source: Source
    claims: list[Claim]
    mentions: list[CitationMention]
    attached: list[str | None]  # per mention: the claim it follows inline, or None
    subjects: frozenset[str]
    page: Page | None = None  # blocks and sections (grading.documents.structure)
    page_paper: int | None = None  # index of the mention the page's own address makes, if any

    @property
    def inferred_mode(self) -> bool:
        """Only a reference list, no inline markers: link list entries by subject."""
        return not has_inline_scholarly(self.mentions) and any(m.in_reference_list for m in self.mentions)


@dataclass
class LinkRow:
    """One citation occurrence's link to a claim (claim_id None: linked to none)."""

    doc: Document
    mention: CitationMention
    claim_id: str | None
    link: str  # inline | inferred | none
    resolution: Resolution
    fetch_outcome: str | None
    fetch_cause: str | None
    link_reason: str | None = None
    link_method: str | None = None  # which scope rule made it (grading.documents.scope), None: unlinked
    confidence: float | None = None  # how sure the rule is, 0-1
