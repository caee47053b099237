"""Pandera models, one per warehouse table, each with its grain.

Installed as the top-level package `schemas` (see pyproject.toml), so they work from an
installed wheel as well as from the checkout. Stages validate lazily at their boundary;
failing rows go to the quarantine table (grading.warehouse.validate), never a crash, never silence.
"""

# tables before records: schemas.records builds on schemas.tables, which adds records' schemas to
# TABLE_SCHEMAS at its end (so the order is not alphabetical).
from grading.schemas.tables import (  # noqa: I001
    TABLE_SCHEMAS,
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
from grading.schemas.records import (
    IngestedFileSchema,
    MirrorRecordSchema,
    PubmedArticleIdSchema,
    PubmedAuthorSchema,
    PubmedCommentCorrectionSchema,
    PubmedMeshHeadingSchema,
    PubmedPublicationTypeSchema,
)

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
