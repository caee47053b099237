"""Pandera models, one per warehouse table, each with its grain.

Installed as the top-level package `schemas` (see pyproject.toml), so they work from an
installed wheel as well as from the checkout. Stages validate lazily at their boundary;
failing rows go to the quarantine table (grading.validate), never a crash, never silence.
"""

from schemas.tables import (
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
    RunSourceSchema,
    RunSchema,
    SourceVersionSchema,
    TABLE_SCHEMAS,
)
from schemas.records import (
    IngestedFileSchema,
    MirrorRecordSchema,
    PubmedArticleIdSchema,
    PubmedAuthorSchema,
    PubmedCommentCorrectionSchema,
    PubmedMeshHeadingSchema,
    PubmedPublicationTypeSchema,
)

__all__ = [
    "CitationLinkSchema", "CitationMentionSchema", "ClaimSchema", "FetchLogSchema", "GradeReasonSchema",
    "GradeSchema", "PubmedRecordSchema", "PubmedRecordVersionSchema", "QuarantineSchema", "RunIssueSchema", "RunSchema", "RunSourceSchema",
    "SourceVersionSchema", "TABLE_SCHEMAS",
    "IngestedFileSchema", "MirrorRecordSchema", "PubmedArticleIdSchema", "PubmedAuthorSchema",
    "PubmedCommentCorrectionSchema", "PubmedMeshHeadingSchema", "PubmedPublicationTypeSchema",
]
