"""One DataFrameModel per table: the checks on its rows. Its columns and their types are the
catalogue's (grading.warehouse.catalog), in its order; tests/test_catalog.py holds the two together."""

from __future__ import annotations

from typing import Optional, get_args

import pandas as pd
import pandera.pandas as pa
from grading.schemas.base import HEX64, MAX_PMID, _Strict
from pandera.typing import Series

from grading.models import (
    GRADE_DOMAINS,
    STUDY_DESIGNS,
    UPGRADES,
    Certainty,
    CitationKind,
    ClaimStatus,
    ClaimType,
    Judgement,
    LinkMethod,
    Population,
    SupportLabel,
)

# Enumerations come from the domain models' Literals: one definition each.
CLAIM_TYPES = list(get_args(ClaimType))
POPULATIONS = list(get_args(Population))
CERTAINTIES = list(get_args(Certainty))
STATUSES = list(get_args(ClaimStatus))
CITATION_KINDS = list(get_args(CitationKind))
SUPPORT_LABELS = list(get_args(SupportLabel))
JUDGEMENTS = list(get_args(Judgement))
RESOLUTION_STATUSES = ["resolved", "ambiguous", "not_found", "unavailable", "not_scholarly"]
FETCH_OUTCOMES = ["fetched", "not_found", "unavailable"]
LINK_METHODS = list(get_args(LinkMethod))
ORIGINS = ["entrez", "snapshot", "baseline", "warehouse"]
DESIGNS = list(STUDY_DESIGNS)
SPAN_PLACES = ["claim", "abstract", "title", "citation", "none"]
class RunSchema(_Strict):
    """runs: one row per completed run."""

    run_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    started_at: Series[pd.Timestamp]
    finished_at: Series[pd.Timestamp]
    status: Series[str] = pa.Field(isin=["completed"])
    mode: Series[str] = pa.Field(isin=["online", "offline", "offline-fallback", "regrade"])
    eutils_url: Series[str] = pa.Field(nullable=True)
    rubric_version: Series[str]
    n_sources: Series[int] = pa.Field(ge=0)
    n_claims: Series[int] = pa.Field(ge=0)
    n_citations: Series[int] = pa.Field(ge=0)
    n_records: Series[int] = pa.Field(ge=0)
    eutils_requests: Series[int] = pa.Field(ge=0)  # all endpoints' total
    eutils_esearch: Optional[Series[pd.Int64Dtype]] = pa.Field(ge=0, nullable=True)  # noqa: UP045 - pandera
    eutils_efetch: Optional[Series[pd.Int64Dtype]] = pa.Field(ge=0, nullable=True)  # noqa: UP045
    eutils_epost: Optional[Series[pd.Int64Dtype]] = pa.Field(ge=0, nullable=True)  # noqa: UP045
    eutils_ecitmatch: Optional[Series[pd.Int64Dtype]] = pa.Field(ge=0, nullable=True)  # noqa: UP045
    note: Series[str] = pa.Field(nullable=True)


class RunIssueSchema(_Strict):
    """run_issues: one row per problem a run met (a source it could not read, a fallback)."""

    run_id: Series[str]
    stage: Series[str]
    subject: Series[str]
    message: Series[str]


class SourceVersionSchema(_Strict):
    """source_versions: one row per (source, content_hash): each version's exact text."""

    source: Series[str] = pa.Field(str_length={"min_value": 1})
    content_hash: Series[str] = pa.Field(str_matches=HEX64)
    media_type: Series[str] = pa.Field(isin=["text/plain", "text/markdown", "text/html"])
    encoding: Series[str]
    text: Series[str] = pa.Field(str_length={"min_value": 1})
    n_chars: Series[int] = pa.Field(ge=1)
    url: Series[str] = pa.Field(nullable=True)
    title: Series[str] = pa.Field(nullable=True)
    body_start: Series[int] = pa.Field(ge=0)


class RunSourceSchema(_Strict):
    """run_sources: one row per (run, source): which version of each source the run read."""

    run_id: Series[str]
    source: Series[str]
    content_hash: Series[str] = pa.Field(str_matches=HEX64)
    tags: Series[object]  # the sources list's tags for this source (may be empty)


class ClaimSchema(_Strict):
    """claims_all: one row per claim of one source version (claim_id derives from both)."""

    claim_id: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{16}$")
    source: Series[str]
    content_hash: Series[str] = pa.Field(str_matches=HEX64)
    char_start: Series[int] = pa.Field(ge=0)
    char_end: Series[int] = pa.Field(ge=1)
    claim_text: Series[str] = pa.Field(str_length={"min_value": 1})
    claim_type: Series[str] = pa.Field(isin=CLAIM_TYPES)
    population: Series[str] = pa.Field(isin=POPULATIONS)

    @pa.dataframe_check
    def span_matches_text(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["char_end"] - df["char_start"]) == df["claim_text"].str.len()


class CitationMentionSchema(_Strict):
    """citation_mentions: one row per citation found in one source version."""

    citation_id: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{16}$")
    source: Series[str]
    content_hash: Series[str] = pa.Field(str_matches=HEX64)
    char_start: Series[int] = pa.Field(ge=0)
    char_end: Series[int] = pa.Field(ge=1)
    raw: Series[str] = pa.Field(str_length={"min_value": 1})
    kind: Series[str] = pa.Field(isin=CITATION_KINDS)
    value: Series[str] = pa.Field(str_length={"min_value": 1})
    footnote: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    in_reference_list: Series[bool]
    authors: Series[object]
    year: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1800, le=2100)
    title: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check
    def span_matches_raw(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["char_end"] - df["char_start"]) == df["raw"].str.len()


class CitationLinkSchema(_Strict):
    """citation_links: one row per (run, citation mention): its claim, resolution and fetch."""

    run_id: Series[str]
    citation_id: Series[str]
    claim_id: Series[str] = pa.Field(nullable=True)
    link: Series[str] = pa.Field(isin=["inline", "inferred", "none"])
    resolution: Series[str] = pa.Field(isin=RESOLUTION_STATUSES)
    pmid: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=MAX_PMID)
    method: Series[str]
    candidates: Series[object]
    fetch_outcome: Series[str] = pa.Field(nullable=True, isin=FETCH_OUTCOMES)
    detail: Series[str] = pa.Field(nullable=True)
    # which scope rule made the link (grading.documents.scope) and how sure it is; null when unlinked
    link_method: Series[str] = pa.Field(nullable=True, isin=LINK_METHODS)
    confidence: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    link_reason: Series[str] = pa.Field(nullable=True)  # why the rule linked it (regrade replays it)


class PubmedRecordSchema(_Strict):
    """pubmed_records: one row per PMID, its latest version (history in pubmed_record_versions)."""

    pmid: Series[int] = pa.Field(unique=True, ge=1, le=MAX_PMID)
    version: Series[int] = pa.Field(ge=1)
    title: Series[str] = pa.Field(nullable=True)
    abstract: Series[str] = pa.Field(nullable=True)
    journal: Series[str] = pa.Field(nullable=True)
    year: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1500, le=2100)
    languages: Series[object]
    publication_types: Series[object]
    mesh_terms: Series[object]
    authors: Series[object]
    doi: Series[str] = pa.Field(nullable=True)
    pmcid: Series[str] = pa.Field(nullable=True)
    design: Series[str] = pa.Field(isin=DESIGNS, nullable=True)  # NULL: a mirror row no run has read yet
    species: Series[object] = pa.Field(nullable=True)
    sample_size: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    retracted: Series[bool]
    date_revised: Series[str] = pa.Field(nullable=True)
    origin: Series[str] = pa.Field(isin=ORIGINS)
    xml_sha: Series[str] = pa.Field(str_matches=HEX64)
    raw_xml: Series[str] = pa.Field(str_length={"min_value": 1})
    fetched_at: Series[pd.Timestamp]


class PubmedRecordVersionSchema(_Strict):
    """pubmed_record_versions: one row per (pmid, xml_sha): every version ever seen, raw XML kept."""

    pmid: Series[int] = pa.Field(ge=1, le=MAX_PMID)
    version: Series[int] = pa.Field(ge=1)
    date_revised: Series[str] = pa.Field(nullable=True)
    xml_sha: Series[str] = pa.Field(str_matches=HEX64)
    raw_xml: Series[str] = pa.Field(str_length={"min_value": 1})
    origin: Series[str] = pa.Field(isin=ORIGINS)
    first_seen_at: Series[pd.Timestamp]
    first_run_id: Series[str]


class FetchLogSchema(_Strict):
    """fetch_log: one row per (run, requested PMID): fetched, not_found or unavailable, and why."""

    run_id: Series[str]
    pmid: Series[int] = pa.Field(ge=1, le=MAX_PMID)
    outcome: Series[str] = pa.Field(isin=FETCH_OUTCOMES)
    origin: Series[str] = pa.Field(nullable=True, isin=ORIGINS)
    cause: Series[str] = pa.Field(nullable=True)


class ResolutionQuerySchema(_Strict):
    """resolution_queries: one row per query made while resolving a run's citations, with its answer."""

    run_id: Series[str]
    seq: Series[int] = pa.Field(ge=0)
    kind: Series[str] = pa.Field(isin=CITATION_KINDS)
    value: Series[str]
    step: Series[str]
    term: Series[str]
    count: Series[int] = pa.Field(ge=0)
    ids: Series[object]
    outcome: Series[str]
    error: Series[str] = pa.Field(nullable=True)


class GradeSchema(_Strict):
    """grades: one row per (run, claim)."""

    run_id: Series[str]
    claim_id: Series[str]
    certainty: Series[str] = pa.Field(isin=CERTAINTIES)
    status: Series[str] = pa.Field(isin=STATUSES)
    pmids: Series[object]
    reasons: Series[object]
    rubric_version: Series[str]

    @pa.dataframe_check
    def status_agrees_with_certainty(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] == "graded") == (df["certainty"] != "no evidence")


class GradeReasonSchema(_Strict):
    """grade_reasons: one row per (run, claim, fired rule)."""

    run_id: Series[str]
    claim_id: Series[str]
    seq: Series[int] = pa.Field(ge=0)
    pmid: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    domain: Series[str]
    rule_id: Series[str] = pa.Field(str_matches=r"^[a-z_]+\.[a-z_]+$")
    change: Series[int] = pa.Field(ge=-2, le=2)
    explanation: Series[str] = pa.Field(str_length={"min_value": 1})
    span_in: Series[str] = pa.Field(isin=SPAN_PLACES)
    span_start: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    span_end: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    span_text: Series[str] = pa.Field(nullable=True)


class ClaimSupportSchema(_Strict):
    """claim_support: one row per (run, claim, linked record): does the record say what the claim says?"""

    run_id: Series[str]
    claim_id: Series[str]
    pmid: Series[int]
    label: Series[str] = pa.Field(isin=SUPPORT_LABELS)
    aspects: Series[object]
    explanation: Series[str] = pa.Field(str_length={"min_value": 1})
    span_in: Series[str] = pa.Field(isin=["abstract", "title", "none"])
    span_start: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    span_end: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    span_text: Series[str] = pa.Field(nullable=True)


class GradeDomainSchema(_Strict):
    """grade_domains: one row per (run, graded claim, GRADE domain or upgrade)."""

    run_id: Series[str]
    claim_id: Series[str]
    domain: Series[str] = pa.Field(isin=[*GRADE_DOMAINS, *(f"upgrade.{u}" for u in UPGRADES)])
    judgement: Series[str] = pa.Field(isin=[*JUDGEMENTS, "none", "+1", "+2"])
    change: Series[int] = pa.Field(ge=-2, le=2)
    explanation: Series[str] = pa.Field(str_length={"min_value": 1})
    pmid: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    span_in: Series[str] = pa.Field(isin=SPAN_PLACES)
    span_start: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    span_end: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    span_text: Series[str] = pa.Field(nullable=True)


class QuarantineSchema(_Strict):
    """quarantine: one row per (run, table, failed row): the check that failed and the raw row."""

    run_id: Series[str]
    table_name: Series[str]
    row_key: Series[str] = pa.Field(nullable=True)
    check_name: Series[str]
    failure: Series[str] = pa.Field(nullable=True)
    raw: Series[str]


RUN_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "runs": RunSchema,
    "run_issues": RunIssueSchema,
    "run_sources": RunSourceSchema,
    "source_versions": SourceVersionSchema,
    "claims_all": ClaimSchema,
    "citation_mentions": CitationMentionSchema,
    "citation_links": CitationLinkSchema,
    "pubmed_records": PubmedRecordSchema,
    "pubmed_record_versions": PubmedRecordVersionSchema,
    "fetch_log": FetchLogSchema,
    "resolution_queries": ResolutionQuerySchema,
    "grades": GradeSchema,
    "grade_reasons": GradeReasonSchema,
    "claim_support": ClaimSupportSchema,
    "grade_domains": GradeDomainSchema,
    "quarantine": QuarantineSchema,
}
# The record child tables and the mirror's tables are in schemas/records.py; grading.schemas
# joins both into its TABLE_SCHEMAS.
