"""Resolving citations to PMIDs: direct ids, DOI and PMC searches, references.

One `Resolution` per distinct citation (`mention_key`). References (author lists,
author-year markers, journal references) go to ECitMatch when journal, volume and first
page are known - all of a run's in one batch of requests. What ECitMatch cannot place, and
every narrative cue or printed title, climbs the search ladder (grading.pubmed.ladder):
fielded esearches from strict to loose, each hit fetched and verified by identity
(grading.pubmed.identity), stopping at the first step with a verified record. Several verified
records are kept as `ambiguous` candidates unless the page's own figures or design single one
out. A failed search or fetch makes the answer `unavailable`, never `not_found`. A DOI that
PubMed does not know falls back to the entry's other fields. Every query is logged with its
answer (`QueryRecord`, warehouse table resolution_queries).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from grading.models import CitationMention, PubmedRecord, Resolution
from grading.pubmed.identity import Check, check, tie_break
from grading.pubmed.ladder import Step, steps
from grading.pubmed.source import CitationMatch, CitationQuery, PubmedSource, SearchAnswer

MAX_PMID = 99_999_999
REFERENCE_KINDS = frozenset({"author_list", "author_year", "journal_ref"})
SEARCHED_KINDS = REFERENCE_KINDS | {"narrative", "title"}
MAX_HITS = 20  # ids asked of each search
MAX_VERIFY = 10  # of them, fetched and checked by identity


@dataclass(frozen=True)
class QueryRecord:
    """One query made while resolving a citation, with its answer (warehouse resolution_queries)."""

    kind: str
    value: str
    step: str  # ecitmatch, doi, pmc, or the ladder step: "author+year+title", "journal+topic" ...
    term: str  # the esearch term or the ECitMatch line
    count: int  # records the service reported
    ids: tuple[int, ...]  # the ids it returned (at most MAX_HITS)
    outcome: str  # found/not_found/ambiguous (ECitMatch); verified …/none verified/zero/error (searches)
    error: str | None = None


def mention_key(m: CitationMention) -> tuple[str, str]:
    """What identifies a reference for resolution: equal keys resolve once."""
    if m.kind in REFERENCE_KINDS:
        return m.kind, "|".join([*m.authors, str(m.year or ""), m.journal or "", m.volume or "",
                                 m.first_page or "", (m.title or "")[:80]])
    return m.kind, m.value


def resolve_mentions(mentions: Iterable[CitationMention], source: PubmedSource,
                     log: list[QueryRecord] | None = None) -> dict[tuple[str, str], Resolution]:
    """Resolve each distinct citation once: the ECitMatch-able references in one batch first,
    then each citation on its own. Pure given the source's answers; every query made is
    appended to `log` with its answer."""
    distinct: dict[tuple[str, str], CitationMention] = {}
    for m in mentions:
        distinct.setdefault(mention_key(m), m)
    matches = match_references([m for m in distinct.values() if citation_query(m, "") is not None], source, log)
    return {key: resolve_one(m, source, matches.get(key), log) for key, m in distinct.items()}


def match_references(mentions: Sequence[CitationMention], source: PubmedSource,
                     log: list[QueryRecord] | None = None) -> dict[tuple[str, str], CitationMatch]:
    """ECitMatch for references that name journal, volume and first page; keyed by mention_key."""
    queries = [citation_query(m, str(i)) for i, m in enumerate(mentions)]
    if not queries:
        return {}
    answers = source.match_citations([q for q in queries if q is not None])
    for m, q, a in zip(mentions, queries, answers):
        note(log, m, "ecitmatch", ecitmatch_line(q), a)
    return {mention_key(m): a for m, a in zip(mentions, answers)}


def citation_query(m: CitationMention, key: str) -> CitationQuery | None:
    """The ECitMatch line for a reference: its journal (never its title), year, volume, first
    page and first author; None when it lacks journal, volume or first page."""
    if m.kind not in REFERENCE_KINDS or not (m.journal and m.volume and m.first_page):
        return None
    return CitationQuery(key=key, journal=m.journal, year=str(m.year or ""), volume=m.volume,
                         first_page=m.first_page, author=m.authors[0] if m.authors else "")


def resolve_one(m: CitationMention, source: PubmedSource, match: CitationMatch | None = None,
                log: list[QueryRecord] | None = None) -> Resolution:
    """One citation. `match`: its ECitMatch answer when already asked (resolve_mentions batches them)."""
    if m.kind == "url":
        return Resolution(m.kind, m.value, "not_scholarly", None, "none",
                          detail="a link to a non-scholarly page: recorded, never evidence")
    if m.kind == "pmid":
        return resolve_pmid(m)
    if m.kind == "pii":
        term = f"{m.value}[aid]"
        answer = source.search(term, retmax=5)
        note(log, m, m.kind, term, answer)
        return from_search(m, answer, "pii-esearch", source)
    if m.kind in ("doi", "pmcid"):
        term = f'"{m.value}"[doi]' if m.kind == "doi" else f"{m.value}[pmc]"
        answer = source.search(term, retmax=5)
        note(log, m, m.kind, term, answer)
        found = from_search(m, answer, f"{'doi' if m.kind == 'doi' else 'pmc'}-esearch", source)
        if found.status == "not_found" and (m.authors or m.title):  # a damaged id: the entry's other fields
            asked = len(log) if log is not None else 0
            fields = resolve_reference(replace(m, kind="author_list"), source, None, log)
            if log is not None:  # logged under the citation as it stands, not the stand-in kind
                log[asked:] = [replace(q, kind=m.kind) for q in log[asked:]]
            if fields.status in ("resolved", "ambiguous"):
                return replace(fields, kind=m.kind, value=m.value,
                               detail=f"{m.kind} {m.value} not in PubMed; by the entry's other fields: {fields.detail}")
        return found
    return resolve_reference(m, source, match, log)


def resolve_pmid(m: CitationMention) -> Resolution:
    digits = m.value.strip()
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_PMID:
        return Resolution(m.kind, m.value, "not_found", None, "direct",
                          detail=f"{m.value!r} is not a valid PMID (1 to 8 digits)")
    return Resolution(m.kind, m.value, "resolved", int(digits), "direct")


def from_search(m: CitationMention, answer: SearchAnswer, method: str, source: PubmedSource,
                term: str | None = None) -> Resolution:
    """Turn an id search's answer into a resolution, keeping failure apart from absence."""
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


def resolve_reference(m: CitationMention, source: PubmedSource, match: CitationMatch | None = None,
                      log: list[QueryRecord] | None = None) -> Resolution:
    """Author lists, author-year and journal references, narrative cues and printed titles:
    ECitMatch's answer when it has one, else the search ladder (grading.pubmed.ladder), each
    step's hits verified by identity (grading.pubmed.identity). An ECitMatch AMBIGUOUS stays
    ambiguous unless a search verifies one record."""
    value = mention_key(m)[1]
    if match is None and (query := citation_query(m, "1")) is not None:
        match = source.match_citations([query])[0]
        note(log, m, "ecitmatch", ecitmatch_line(query), match)
    if match is not None:
        if match.status == "found" and match.pmid:
            return Resolution(m.kind, value, "resolved", match.pmid, "ecitmatch")
        if match.status == "unavailable":
            return Resolution(m.kind, value, "unavailable", None, "ecitmatch", detail=match.detail)
    method = METHODS.get(m.kind, "author-esearch")
    ladder = steps(m)
    if not ladder:
        return Resolution(m.kind, value, "not_found", None, "none", detail="reference names nothing searchable")
    found = climb(m, ladder, source, log)
    if found.verified:
        return decide(m, value, method, found)
    if match is not None and match.status == "ambiguous":
        return Resolution(m.kind, value, "ambiguous", None, "ecitmatch",
                          detail=f"ECitMatch: {match.detail or 'AMBIGUOUS'}; no search verified one record")
    if found.error:
        return Resolution(m.kind, value, "unavailable", None, method, detail=found.error)
    asked = f" for {found.last_term}" if len(ladder) == 1 else f" in {len(ladder)} searches (last: {found.last_term})"
    if found.unverified:
        why = f"{len(found.unverified)} records found{asked}, none is the cited paper: " + "; ".join(
            f"PMID {p} {c.explain()}" for p, c in list(found.unverified.items())[:3])
    else:
        why = f"PubMed has no matching record{asked}"
    if not found.authoritative:
        return Resolution(m.kind, value, "unavailable", None, method,
                          detail=f"not in the {source.name} records, which hold only a subset of PubMed ({why})")
    return Resolution(m.kind, value, "not_found", None, method, detail=why)


METHODS = {"journal_ref": "journal-esearch", "narrative": "narrative-esearch", "title": "title-esearch"}


@dataclass
class Climb:
    """What the ladder found: verified records (with their checks), rejected ones, a failure."""

    verified: dict[int, tuple[PubmedRecord, Check]] = field(default_factory=dict)
    unverified: dict[int, Check] = field(default_factory=dict)
    error: str | None = None
    step: str = ""
    last_term: str = ""
    authoritative: bool = True  # every answer speaks for all of PubMed (not a snapshot's subset)


def climb(m: CitationMention, ladder: Sequence[Step], source: PubmedSource,
          log: list[QueryRecord] | None) -> Climb:
    """Run the steps in order until one yields a verified record. A failed search or fetch is
    remembered (the answer is then `unavailable`, never `not_found`) and the next step tried."""
    out = Climb()
    fetched: dict[int, PubmedRecord] = {}
    for step in ladder:
        out.last_term = step.term
        answer = source.search(step.term, retmax=MAX_HITS)
        out.authoritative = out.authoritative and answer.authoritative
        if answer.error is not None:
            out.error = out.error or answer.error
            note(log, m, step.name, step.term, answer, "error")
            continue
        wanted = [p for p in answer.ids[:MAX_VERIFY] if p not in fetched]
        if wanted:
            got = source.fetch(wanted)
            fetched.update(got.records)
            if got.unavailable and not got.records:
                out.error = out.error or f"could not fetch candidates to verify: {next(iter(got.unavailable.values()))}"
        for pmid in answer.ids[:MAX_VERIFY]:
            if pmid in fetched:
                c = check(m, fetched[pmid])
                if c.verified:
                    out.verified[pmid] = (fetched[pmid], c)
                else:
                    out.unverified.setdefault(pmid, c)
        outcome = ("verified " + " ".join(map(str, out.verified)) if out.verified
                   else "none verified" if answer.ids else "zero")
        note(log, m, step.name, step.term, answer, outcome)
        if out.verified:
            out.step = step.name
            return out
    return out


def decide(m: CitationMention, value: str, method: str, found: Climb) -> Resolution:
    """One verified record: resolved. Several: the one strong page evidence singles out, else ambiguous."""
    records = [r for r, _ in found.verified.values()]
    if len(records) == 1:
        pmid, (_, c) = next(iter(found.verified.items()))
        return Resolution(m.kind, value, "resolved", pmid, method, detail=f"{found.step}: {c.explain()}")
    pick, why = tie_break(m, records)
    if pick is not None:
        c = found.verified[pick.pmid][1]
        return Resolution(m.kind, value, "resolved", pick.pmid, method,
                          detail=f"{found.step}: {c.explain()}; of {len(records)} verified records, {why}")
    return Resolution(m.kind, value, "ambiguous", None, method, candidates=tuple(found.verified),
                      detail=f"{len(records)} records match for {found.last_term}; {why}")


def ecitmatch_line(q: CitationQuery) -> str:
    return f"{q.journal}|{q.year}|{q.volume}|{q.first_page}|{q.author}|{q.key}|"


def note(log: list[QueryRecord] | None, m: CitationMention, step: str, term: str,
         answer: SearchAnswer | CitationMatch, outcome: str | None = None) -> None:
    """Record one query and its answer (when the caller keeps a log), under the citation's kind and
    value as `citations` shows them (mention_key's joined fields are the resolver's own key)."""
    if log is None:
        return
    kind, value = m.kind, m.value
    if isinstance(answer, CitationMatch):
        ids = (answer.pmid,) if answer.pmid else ()
        log.append(QueryRecord(kind, value, step, term, len(ids), ids, outcome or answer.status))
    else:
        log.append(QueryRecord(kind, value, step, term, answer.count, tuple(answer.ids), outcome or "answered",
                               answer.error))


def pmids_to_fetch(resolutions: Sequence[Resolution]) -> list[int]:
    return sorted({r.pmid for r in resolutions if r.status == "resolved" and r.pmid is not None})
