"""Resolving citations to PMIDs: direct ids, DOI and PMC searches, author references.

One `Resolution` per distinct (kind, value). The method is recorded, and so is ambiguity:
several candidates are never silently reduced to one.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from grading.models import CitationMention, Resolution
from grading.pubmed_source import CitationQuery, PubmedSource, SearchAnswer

MAX_PMID = 99_999_999
AUTHOR_RE = re.compile(r"^(?P<last>[^\W\d][\w'’\- ]*?)(?:\s+(?P<initials>[A-Z]{1,3}))?$")


def mention_key(m: CitationMention) -> tuple[str, str]:
    """What identifies a reference for resolution: equal keys resolve once."""
    if m.kind in {"author_list", "author_year", "journal_ref"}:
        return m.kind, "|".join([*m.authors, str(m.year or ""), m.journal or "", m.volume or "",
                                 m.first_page or "", (m.title or "")[:80]])
    return m.kind, m.value


def resolve_mentions(mentions: Iterable[CitationMention], source: PubmedSource) -> dict[tuple[str, str], Resolution]:
    """Resolve each distinct citation once. Pure given the source's answers."""
    out: dict[tuple[str, str], Resolution] = {}
    for m in mentions:
        key = mention_key(m)
        if key not in out:
            out[key] = resolve_one(m, source)
    return out


def resolve_one(m: CitationMention, source: PubmedSource) -> Resolution:
    if m.kind == "url":
        return Resolution(m.kind, m.value, "not_scholarly", None, "none",
                          detail="a link to a non-scholarly page: recorded, never evidence")
    if m.kind == "pmid":
        return resolve_pmid(m)
    if m.kind == "doi":
        return from_search(m, source.search(f'"{m.value}"[doi]', retmax=5), "doi-esearch", source)
    if m.kind == "pmcid":
        return from_search(m, source.search(f"{m.value}[pmc]", retmax=5), "pmc-esearch", source)
    return resolve_reference(m, source)


def resolve_pmid(m: CitationMention) -> Resolution:
    digits = m.value.strip()
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_PMID:
        return Resolution(m.kind, m.value, "not_found", None, "direct",
                          detail=f"{m.value!r} is not a valid PMID (1 to 8 digits)")
    return Resolution(m.kind, m.value, "resolved", int(digits), "direct")


def from_search(m: CitationMention, answer: SearchAnswer, method: str, source: PubmedSource) -> Resolution:
    """Turn an esearch answer into a resolution, keeping failure apart from absence."""
    value = mention_key(m)[1]
    if answer.error is not None:
        return Resolution(m.kind, value, "unavailable", None, method, detail=answer.error)
    if len(answer.ids) == 1 and answer.count <= 1:
        return Resolution(m.kind, value, "resolved", answer.ids[0], method)
    if answer.ids:
        return Resolution(m.kind, value, "ambiguous", None, method, candidates=tuple(answer.ids),
                          detail=f"{answer.count} records match")
    if not answer.authoritative:
        return Resolution(m.kind, value, "unavailable", None, method,
                          detail=f"not in the {source.name} records, which hold only a subset of PubMed")
    return Resolution(m.kind, value, "not_found", None, method, detail="PubMed has no matching record")


def author_term(name: str) -> str:
    """'Dolotov OV' -> 'Dolotov OV[au]'; 'Dolotov' -> 'Dolotov[au]'."""
    name = re.sub(r"[\[\]\"]", "", name).strip()
    return f"{name}[au]"


def resolve_reference(m: CitationMention, source: PubmedSource) -> Resolution:
    """Author lists, author-year and journal references: ECitMatch when journal/volume/page are
    known, else an esearch on authors (+ year, + title words)."""
    value = mention_key(m)[1]
    if m.journal and m.volume and m.first_page:
        first_author = m.authors[0] if m.authors else ""
        match = source.match_citations([CitationQuery(key="1", journal=m.journal, year=str(m.year or ""),
                                                       volume=m.volume, first_page=m.first_page,
                                                       author=first_author)])[0]
        if match.status == "found" and match.pmid:
            return Resolution(m.kind, value, "resolved", match.pmid, "ecitmatch")
        if match.status == "ambiguous":
            pass  # fall through to esearch with more fields, which lists the candidates
        elif match.status == "unavailable":
            return Resolution(m.kind, value, "unavailable", None, "ecitmatch", detail=match.detail)
    terms = [author_term(a) for a in m.authors[:6] if a.strip()]
    if m.year:
        terms.append(f"{m.year}[dp]")
    if m.title:
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z\-]{4,}", m.title)][:6]
        terms.extend(f"{w}[ti]" for w in words)
    if m.journal and not m.title:
        terms.append(f'"{m.journal}"[ta]')
    if not terms:
        return Resolution(m.kind, value, "not_found", None, "none", detail="reference names nothing searchable")
    method = "author-esearch" if m.kind != "journal_ref" else "journal-esearch"
    return from_search(m, source.search(" AND ".join(terms), retmax=20), method, source)


def pmids_to_fetch(resolutions: Sequence[Resolution]) -> list[int]:
    return sorted({r.pmid for r in resolutions if r.status == "resolved" and r.pmid is not None})
