"""The domain values passed between stages.

Plain frozen dataclasses: stages take and return these; the warehouse turns them into
rows. Offsets are Python string indices (code points) into `Source.text`, end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

ClaimType = Literal["efficacy", "mechanism", "safety", "dosing", "regulatory", "pharmacokinetic", "other"]
Population = Literal["human", "animal", "unspecified"]
# A record's study design, as the engine reads it and the rubric starts it (the one list: the rubric's
# [start] table, the warehouse's `design` check and the record reader take it from here).
StudyDesign = Literal["systematic_review", "rct", "nonrandomized_trial", "observational", "case_report", "animal",
                      "in_vitro", "review", "opinion", "unknown"]
STUDY_DESIGNS: tuple[str, ...] = get_args(StudyDesign)
Certainty = Literal["high", "moderate", "low", "very low", "no evidence"]
# Why a claim has the certainty it has (docs/rubric.md, "Outcomes"). Only `graded` carries a level;
# every other status is shown in words (STATUS_LABELS), never as a certainty badge.
ClaimStatus = Literal["graded", "uncited", "unresolved", "unavailable", "off-topic", "not-supported", "retracted"]
STATUS_LABELS: dict[str, str] = {
    "graded": "graded",
    "uncited": "not cited",
    "unresolved": "citation not found",
    "unavailable": "couldn't retrieve (will retry)",
    "off-topic": "about something else",
    "not-supported": "paper doesn't support this",
    "retracted": "cites a retracted paper",
}
# Does the cited paper say it? One label per (claim, record), as scite labels citation statements.
SupportLabel = Literal["supports", "partly", "not mentioned", "contradicts", "wrong paper", "retracted"]
# A GRADE domain's judgement, as an evidence profile shows it ("not assessed" is not "not serious").
Judgement = Literal["not serious", "serious", "very serious", "not assessed"]

CERTAINTY_LEVELS: tuple[str, ...] = ("very low", "low", "moderate", "high")


@dataclass(frozen=True)
class Source:
    """One version of one document. Grain: one row per (source, content_hash)."""

    source: str  # the path or URL exactly as given
    content_hash: str  # sha256 of `text` (UTF-8), identifies this version
    text: str  # the exact text that offsets point into
    media_type: str  # text/plain, text/markdown, text/html
    encoding: str = "utf-8"  # the encoding the bytes were decoded from
    url: str | None = None  # the page's address: the URL read, or a saved page's `SOURCE: <url>` header line
    title: str | None = None  # the page's title (HTML <title>, else its first heading), for people
    body_start: int = 0  # where the document proper begins: after a saved page's header line


@dataclass(frozen=True)
class Claim:
    """One checkable assertion. Grain: one per (source version, span)."""

    claim_id: str
    source: str
    content_hash: str
    char_start: int
    char_end: int
    text: str  # == source.text[char_start:char_end]
    claim_type: ClaimType
    population: Population


CitationKind = Literal[
    "pmid",  # a PubMed id: PubMed/Europe PMC links, "PMID: N"
    "pmcid",  # a PubMed Central id
    "doi",
    "pii",  # a publisher item identifier in a URL: ".../science/article/pii/S2213231719302400X"
    "author_list",  # "Dolotov OV, Karpenko EA, Inozemtseva LS, et al."
    "author_year",  # "(Dolotov et al., 2006)"
    "journal_ref",  # "Brain Res. 2006;1117:54-60"
    "narrative",  # "published in the journal X", "lead author Name", "the QUEST trial", "Name of the University of Y"
    "title",  # a paper's title printed on its own (a study card's subtitle)
    "url",  # a link to a non-scholarly page: recorded, never evidence
]


# How a citation was tied to a claim (grading.documents.scope), strongest first.
LinkMethod = Literal["inline", "numbered-list", "block", "paragraph", "anaphora", "section", "single-study", "inferred"]


@dataclass(frozen=True)
class CitationMention:
    """A citation as found in the text, before it is attached to a claim or resolved."""

    char_start: int
    char_end: int
    raw: str  # == text[char_start:char_end]
    kind: CitationKind
    value: str  # normalised: digits for pmid, "PMC123" for pmcid, lower-case DOI, the URL, the reference
    footnote: int | None = None  # the footnote number glued to or standing before it
    in_reference_list: bool = False  # part of a list of references, not an inline marker
    authors: tuple[str, ...] = ()  # "Dolotov OV" ... for author references
    year: int | None = None
    title: str | None = None
    journal: str | None = None  # for ECitMatch: journal|year|volume|first_page|author
    volume: str | None = None
    first_page: str | None = None
    origin: str = "text"  # "page-url": the page's own address names the paper (a study-summary page)
    # narrative cues (kind `narrative`/`title`, also set on references when the page states them)
    acronym: str | None = None  # a trial's acronym: "QUEST"
    affiliation: str | None = None  # "University of Tallinna"
    design: str | None = None  # the design the page names: "meta-analysis", "randomized trial"
    issue: str | None = None  # "2008[4]" -> "4"
    topic: tuple[str, ...] = ()  # the substance/outcome words of the surrounding text, most telling first
    figures: tuple[str, ...] = ()  # numbers the surrounding text states ("3069", "17.9")
    context_start: int | None = None  # the paragraph the cues were read from
    context_end: int | None = None


@dataclass(frozen=True)
class Citation:
    """A citation occurrence attached (or not) to a claim. Grain: one per mention per claim link."""

    citation_id: str
    source: str
    content_hash: str
    claim_id: str | None  # None: a reference-list entry linked to no claim
    mention: CitationMention
    link: Literal["inline", "inferred", "none"]


ResolutionStatus = Literal["resolved", "ambiguous", "not_found", "unavailable", "not_scholarly"]


@dataclass(frozen=True)
class Resolution:
    """What a citation's identifier came to. Grain: one per distinct (kind, value)."""

    kind: CitationKind
    value: str
    status: ResolutionStatus
    pmid: int | None
    method: str  # direct, doi-esearch, author-esearch, ecitmatch, pmc-esearch, snapshot-search, none
    candidates: tuple[int, ...] = ()
    detail: str | None = None


@dataclass(frozen=True)
class Author:
    last_name: str | None
    fore_name: str | None
    initials: str | None
    collective_name: str | None = None
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class AbstractSection:
    label: str | None
    nlm_category: str | None
    text: str


@dataclass(frozen=True)
class MeshHeading:
    descriptor_ui: str | None
    descriptor: str
    major_topic: bool
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommentCorrection:
    ref_type: str  # RetractionIn, RetractionOf, ErratumIn, CommentIn, ...
    pmid: int | None
    ref_source: str | None


@dataclass(frozen=True)
class PubmedRecord:
    """One PubMed record as parsed from efetch/baseline XML. Grain: one per (pmid, version)."""

    pmid: int
    version: int
    title: str | None
    abstract: tuple[AbstractSection, ...]
    journal: str | None
    journal_abbrev: str | None
    year: int | None
    medline_date: str | None  # free-text date when no Year
    volume: str | None
    issue: str | None
    pages: str | None
    languages: tuple[str, ...]
    publication_types: tuple[tuple[str | None, str], ...]  # (UI, name)
    mesh_headings: tuple[MeshHeading, ...]
    chemicals: tuple[str, ...]
    keywords: tuple[str, ...]
    authors: tuple[Author, ...]
    doi: str | None
    pmcid: str | None
    comments_corrections: tuple[CommentCorrection, ...]
    date_revised: str | None  # ISO date
    status: str | None  # MedlineCitation/@Status
    raw_xml: str  # the record's own XML, so any stage can be replayed
    is_book: bool = False
    article_ids: tuple[tuple[str, str], ...] = ()  # (IdType, value): pubmed, doi, pmc, pii, mid, ...
    history: tuple[tuple[str, str], ...] = ()  # (PubStatus, "yyyy-mm-dd" or shorter): received, pubmed, ...

    @property
    def abstract_text(self) -> str:
        """All sections joined with their labels, the text abstract spans point into."""
        parts = []
        for s in self.abstract:
            parts.append(f"{s.label}: {s.text}" if s.label else s.text)
        return " ".join(parts)

    @property
    def retracted(self) -> bool:
        names = {n for _, n in self.publication_types}
        return "Retracted Publication" in names or any(
            c.ref_type == "RetractionIn" for c in self.comments_corrections
        )


FetchOutcome = Literal["fetched", "not_found", "unavailable"]


@dataclass
class FetchResult:
    """What a PubMed source returned for a set of requested ids.

    Every requested id ends in exactly one of: `records`, `not_found` (cleanly answered as
    absent), `unavailable` (the request failed, or offline without it; retried next run).
    """

    records: dict[int, PubmedRecord] = field(default_factory=dict)
    not_found: set[int] = field(default_factory=set)
    unavailable: dict[int, str] = field(default_factory=dict)  # pmid -> cause
    origin: dict[int, str] = field(default_factory=dict)  # pmid -> entrez | snapshot | baseline
    requests: int = 0

    def outcome(self, pmid: int) -> FetchOutcome:
        if pmid in self.records:
            return "fetched"
        if pmid in self.not_found:
            return "not_found"
        return "unavailable"


@dataclass(frozen=True)
class Reason:
    """One fired rule: the change it made and the text it rests on."""

    rule_id: str
    domain: str  # start, risk_of_bias, inconsistency, indirectness, imprecision, publication_bias, upgrade, numbers, identity, retraction, status
    change: int  # -2..+2 on the certainty scale
    explanation: str
    pmid: int | None = None
    span_in: Literal["claim", "abstract", "title", "citation", "none"] = "none"
    span_start: int | None = None
    span_end: int | None = None
    span_text: str | None = None

    def summary(self) -> str:
        return f"{self.rule_id}: {self.explanation}"


@dataclass(frozen=True)
class SupportCheck:
    """Does one linked record say what the claim says? Grain: one per (claim, record) per run."""

    pmid: int
    label: SupportLabel
    aspects: tuple[str, ...]  # what differs or is missing: population, intervention, outcome, dose, figure, design, phase, endpoint
    explanation: str
    span_in: Literal["abstract", "title", "none"] = "none"
    span_start: int | None = None
    span_end: int | None = None
    span_text: str | None = None  # the abstract sentence(s) the label rests on


GRADE_DOMAINS: tuple[str, ...] = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UPGRADES: tuple[str, ...] = ("large_effect", "dose_response", "plausible_confounding")


@dataclass(frozen=True)
class DomainJudgement:
    """One GRADE domain (or upgrade) judged for one graded claim, as an evidence profile shows it."""

    domain: str  # one of GRADE_DOMAINS, or upgrade.<name>
    judgement: Judgement | Literal["none", "+1", "+2"]  # upgrades: none, +1, +2
    change: int
    explanation: str
    pmid: int | None = None
    span_in: str = "none"
    span_start: int | None = None
    span_end: int | None = None
    span_text: str | None = None


@dataclass(frozen=True)
class Grade:
    """The verdict on one claim. Grain: one per claim per run."""

    claim_id: str
    certainty: Certainty
    status: ClaimStatus
    pmids: tuple[int, ...]
    reasons: tuple[Reason, ...]
    rubric_version: str
    support: tuple[SupportCheck, ...] = ()  # one per fetched, linked record
    domains: tuple[DomainJudgement, ...] = ()  # graded claims only: the five domains, then the upgrades
