"""Pandera models, one per warehouse table, each with its grain.

Installed as the top-level package `schemas` (see pyproject.toml), so they work from an
installed wheel as well as from the checkout. Stages validate lazily at their boundary;
failing rows go to the quarantine table (grading.warehouse.validate), never a crash, never silence.
"""

from grading.schemas.records import (
    RECORD_SCHEMAS,
    IngestedFileSchema,
    MirrorRecordSchema,
    PubmedArticleIdSchema,
    PubmedAuthorSchema,
    PubmedCommentCorrectionSchema,
    PubmedMeshHeadingSchema,
    PubmedPublicationTypeSchema,
)
from grading.schemas.tables import (
    RUN_SCHEMAS,
    CitationLinkSchema,
    CitationMentionSchema,
    ClaimSchema,
    FetchLogSchema,
    GradeReasonSchema,
    GradeSchema,
    PubmedRecordSchema,
    PubmedRecordVersionSchema,
    QuarantineSchema,
    RunIssueSchema,
    RunSchema,
    RunSourceSchema,
    SourceVersionSchema,
)

# Every table's model: a run's tables, then the record child tables and the mirror's.
TABLE_SCHEMAS = {**RUN_SCHEMAS, **RECORD_SCHEMAS}

__all__ = [
    "TABLE_SCHEMAS",
    "CitationLinkSchema",
    "CitationMentionSchema",
    "ClaimSchema",
    "FetchLogSchema",
    "GradeReasonSchema",
    "GradeSchema",
    "IngestedFileSchema",
    "MirrorRecordSchema",
    "PubmedArticleIdSchema",
    "PubmedAuthorSchema",
    "PubmedCommentCorrectionSchema",
    "PubmedMeshHeadingSchema",
    "PubmedPublicationTypeSchema",
    "PubmedRecordSchema",
    "PubmedRecordVersionSchema",
    "QuarantineSchema",
    "RunIssueSchema",
    "RunSchema",
    "RunSourceSchema",
    "SourceVersionSchema",
]
