"""Resolving citations to PMIDs: direct ids, DOI and PMC searches, references.

One `Resolution` per distinct citation (`mention_key`). References (author lists,
author-year markers, journal references) go to ECitMatch when journal, volume and first
page are known - all of a run's in one batch of requests - and otherwise, or when ECitMatch
cannot decide, to one esearch on their fields: first author `[1au]`, co-authors `[au]`,
year `[dp]`, title words `[ti]`, journal `[ta]`, volume `[vi]`, first page `[pg]`.
The method is recorded, and so is ambiguity: several candidates are never silently
reduced to one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from grading.models import CitationMention, Resolution
from grading.pubmed.source import CitationMatch, CitationQuery, PubmedSource, SearchAnswer

MAX_PMID = 99_999_999
AUTHOR_RE = re.compile(r"^(?P<last>[^\W\d][\w'’\- ]*?)(?:\s+(?P<initials>[A-Z]{1,3}))?$")
REFERENCE_KINDS = frozenset({"author_list", "author_year", "journal_ref"})
TITLE_WORD_RE = re.compile(r"[^\W\d_][^\W_]{4,}")  # five letters or more: the words that narrow a search
MAX_TITLE_WORDS = 6
MAX_COAUTHORS = 2  # beyond the first author, a few narrow the search; long lists only add spelling risks


def mention_key(m: CitationMention) -> tuple[str, str]:
    """What identifies a reference for resolution: equal keys resolve once."""
    if m.kind in REFERENCE_KINDS:
        return m.kind, "|".join([*m.authors, str(m.year or ""), m.journal or "", m.volume or "",
                                 m.first_page or "", (m.title or "")[:80]])
    return m.kind, m.value


def resolve_mentions(mentions: Iterable[CitationMention], source: PubmedSource) -> dict[tuple[str, str], Resolution]:
    """Resolve each distinct citation once: the ECitMatch-able references in one batch first,
    then each citation on its own. Pure given the source's answers."""
    distinct: dict[tuple[str, str], CitationMention] = {}
    for m in mentions:
        distinct.setdefault(mention_key(m), m)
    matches = match_references([m for m in distinct.values() if citation_query(m, "") is not None], source)
    return {key: resolve_one(m, source, matches.get(key)) for key, m in distinct.items()}


def match_references(mentions: Sequence[CitationMention], source: PubmedSource
                     ) -> dict[tuple[str, str], CitationMatch]:
    """ECitMatch for references that name journal, volume and first page; keyed by mention_key."""
    queries = [citation_query(m, str(i)) for i, m in enumerate(mentions)]
    if not queries:
        return {}
    answers = source.match_citations([q for q in queries if q is not None])
    return {mention_key(m): a for m, a in zip(mentions, answers)}


def citation_query(m: CitationMention, key: str) -> CitationQuery | None:
    """The ECitMatch line for a reference, or None when it lacks journal, volume or first page."""
    if m.kind not in REFERENCE_KINDS or not (m.journal and m.volume and m.first_page):
        return None
    return CitationQuery(key=key, journal=m.journal, year=str(m.year or ""), volume=m.volume,
                         first_page=m.first_page, author=m.authors[0] if m.authors else "")


def resolve_one(m: CitationMention, source: PubmedSource, match: CitationMatch | None = None) -> Resolution:
    """One citation. `match`: its ECitMatch answer when already asked (resolve_mentions batches them)."""
    if m.kind == "url":
        return Resolution(m.kind, m.value, "not_scholarly", None, "none",
                          detail="a link to a non-scholarly page: recorded, never evidence")
    if m.kind == "pmid":
        return resolve_pmid(m)
    if m.kind == "doi":
        return from_search(m, source.search(f'"{m.value}"[doi]', retmax=5), "doi-esearch", source)
    if m.kind == "pmcid":
        return from_search(m, source.search(f"{m.value}[pmc]", retmax=5), "pmc-esearch", source)
    return resolve_reference(m, source, match)


def resolve_pmid(m: CitationMention) -> Resolution:
    digits = m.value.strip()
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_PMID:
        return Resolution(m.kind, m.value, "not_found", None, "direct",
                          detail=f"{m.value!r} is not a valid PMID (1 to 8 digits)")
    return Resolution(m.kind, m.value, "resolved", int(digits), "direct")


def from_search(m: CitationMention, answer: SearchAnswer, method: str, source: PubmedSource,
                term: str | None = None) -> Resolution:
    """Turn an esearch answer into a resolution, keeping failure apart from absence.
    `term`: the query, quoted in the detail of answers a reader may want to check."""
    value = mention_key(m)[1]
    asked = f" for {term}" if term else ""
    if answer.error is not None:
        return Resolution(m.kind, value, "unavailable", None, method, detail=answer.error)
    if len(answer.ids) == 1 and answer.count <= 1:
        return Resolution(m.kind, value, "resolved", answer.ids[0], method)
    if answer.ids:
        return Resolution(m.kind, value, "ambiguous", None, method, candidates=tuple(answer.ids),
                          detail=f"{answer.count} records match{asked}")
    if not answer.authoritative:
        return Resolution(m.kind, value, "unavailable", None, method,
                          detail=f"not in the {source.name} records, which hold only a subset of PubMed")
    return Resolution(m.kind, value, "not_found", None, method, detail=f"PubMed has no matching record{asked}")


def author_term(name: str, tag: str = "au") -> str:
    """'Dolotov OV' -> 'Dolotov OV[au]'; 'Dolotov' -> 'Dolotov[au]'."""
    name = re.sub(r"[\[\]\"()]", "", name).strip()
    return f"{name}[{tag}]"


def reference_term(m: CitationMention) -> str:
    """The esearch query for a reference: every field it names, ANDed (empty if it names none).

    Journal names are left out when title words are known: references spell journals many ways.
    """
    authors = [a for a in m.authors if a.strip()]
    terms = [author_term(authors[0], "1au")] if authors else []
    terms += [author_term(a) for a in authors[1:1 + MAX_COAUTHORS]]
    if m.year:
        terms.append(f"{m.year}[dp]")
    words = list(dict.fromkeys(w.lower() for w in TITLE_WORD_RE.findall(m.title or "")))[:MAX_TITLE_WORDS]
    terms += [f"{w}[ti]" for w in words]
    if m.journal and not words:
        terms.append(f'"{m.journal.replace(chr(34), "")}"[ta]')
    if m.volume:
        terms.append(f"{m.volume}[vi]")
    if m.first_page:
        terms.append(f"{m.first_page}[pg]")
    return " AND ".join(terms)


def resolve_reference(m: CitationMention, source: PubmedSource, match: CitationMatch | None = None) -> Resolution:
    """Author lists, author-year and journal references: ECitMatch's answer when it has one,
    else one esearch on the reference's fields. An ECitMatch AMBIGUOUS stays ambiguous unless
    the search narrows it to one record."""
    value = mention_key(m)[1]
    if match is None and (query := citation_query(m, "1")) is not None:
        match = source.match_citations([query])[0]
    if match is not None:
        if match.status == "found" and match.pmid:
            return Resolution(m.kind, value, "resolved", match.pmid, "ecitmatch")
        if match.status == "unavailable":
            return Resolution(m.kind, value, "unavailable", None, "ecitmatch", detail=match.detail)
    term = reference_term(m)
    if not term:
        return Resolution(m.kind, value, "not_found", None, "none", detail="reference names nothing searchable")
    method = "journal-esearch" if m.kind == "journal_ref" else "author-esearch"
    resolution = from_search(m, source.search(term, retmax=20), method, source, term)
    if match is not None and match.status == "ambiguous" and resolution.status == "not_found":
        return Resolution(m.kind, value, "ambiguous", None, "ecitmatch",
                          detail=f"ECitMatch: {match.detail or 'AMBIGUOUS'}; no single record for {term}")
    return resolution


def pmids_to_fetch(resolutions: Sequence[Resolution]) -> list[int]:
    return sorted({r.pmid for r in resolutions if r.status == "resolved" and r.pmid is not None})
