"""Pandera models of the PubMed record tables below `pubmed_records`, and of the local mirror.

Child tables: one row per list item of a record's latest version (the row in `pubmed_records`),
in the record's own order (`position`, from 1); they are replaced with the record. Mirror
tables: what `grading ingest-baseline` loaded (grading.warehouse.baseline). A failing row quarantines
its whole record, with the record's raw XML (grading.warehouse.record_rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
from grading.schemas.base import HEX64, MAX_PMID, _Strict
from pandera.typing import Series

ID_TYPE = r"^[a-z]+$"  # PubMed's ArticleId IdType values: doi, pii, pmc, pubmed, mid, bookaccession, ...
REF_TYPE = r"^[A-Z][A-Za-z]+$"  # RetractionIn, ErratumFor, CommentOn, ... (an open list in the DTD)
MESH_UI = r"^[DQC]\d{6,9}$"  # descriptors D000818; supplementary concepts C...
PUBLICATION_TYPE_UI = r"^D\d{6,9}$"


def _each_value(values: pd.Series, ok) -> pd.Series:
    """`ok` (value -> bool) decided once per distinct value: these columns repeat a few thousand
    names and UIs over hundreds of thousands of rows, and pandas' string checks loop per row."""
    distinct = values.dropna().unique()
    good = [v for v in np.asarray(distinct, dtype=object).tolist() if ok(v)]
    return values.isna() | values.isin(good)


def _matching(pattern: str):
    match = re.compile(pattern).match
    return lambda value: isinstance(value, str) and match(value) is not None


def _non_empty(value: object) -> bool:
    return isinstance(value, str) and len(value) > 0


class _Child(_Strict):
    pmid: Series[int] = pa.Field(ge=1, le=MAX_PMID)
    position: Series[int] = pa.Field(ge=1)

    @pa.dataframe_check
    def one_row_per_position(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["pmid", "position"], keep=False)


class PubmedAuthorSchema(_Child):
    """pubmed_authors: one row per (pmid, position): an author, a person or a collective."""

    last_name: Series[str] = pa.Field(nullable=True)
    fore_name: Series[str] = pa.Field(nullable=True)
    initials: Series[str] = pa.Field(nullable=True)
    collective_name: Series[str] = pa.Field(nullable=True)
    affiliations: Series[object]  # list of strings, possibly empty

    @pa.dataframe_check
    def has_a_name(cls, df: pd.DataFrame) -> Series[bool]:
        return df["last_name"].notna() | df["collective_name"].notna()


class PubmedPublicationTypeSchema(_Child):
    """pubmed_publication_types: one row per (pmid, position): a publication type and its MeSH UI."""

    ui: Series[str] = pa.Field(nullable=True)
    name: Series[str]

    @pa.check("ui", name="str_matches")
    def ui_format(cls, ui: Series[str]) -> Series[bool]:
        return _each_value(ui, _matching(PUBLICATION_TYPE_UI))

    @pa.check("name", name="str_length")
    def name_given(cls, name: Series[str]) -> Series[bool]:
        return _each_value(name, _non_empty)


class PubmedMeshHeadingSchema(_Child):
    """pubmed_mesh_headings: one row per (pmid, position): a MeSH descriptor with its qualifiers."""

    descriptor_ui: Series[str] = pa.Field(nullable=True)
    descriptor: Series[str]
    major_topic: Series[bool]
    qualifiers: Series[object]  # list of strings, possibly empty

    @pa.check("descriptor_ui", name="str_matches")
    def descriptor_ui_format(cls, ui: Series[str]) -> Series[bool]:
        return _each_value(ui, _matching(MESH_UI))

    @pa.check("descriptor", name="str_length")
    def descriptor_given(cls, descriptor: Series[str]) -> Series[bool]:
        return _each_value(descriptor, _non_empty)


class PubmedArticleIdSchema(_Child):
    """pubmed_article_ids: one row per (pmid, position): an id of the record (doi, pmc, pii, ...)."""

    id_type: Series[str]
    value: Series[str] = pa.Field(str_length={"min_value": 1})

    @pa.check("id_type", name="str_matches")
    def id_type_format(cls, id_type: Series[str]) -> Series[bool]:
        return _each_value(id_type, _matching(ID_TYPE))


class PubmedCommentCorrectionSchema(_Child):
    """pubmed_comments_corrections: one row per (pmid, position): a link to another record
    (RetractionIn, ErratumIn, CommentOn, ...)."""

    ref_type: Series[str]
    ref_pmid: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=MAX_PMID)
    ref_source: Series[str] = pa.Field(nullable=True)

    @pa.check("ref_type", name="str_matches")
    def ref_type_format(cls, ref_type: Series[str]) -> Series[bool]:
        return _each_value(ref_type, _matching(REF_TYPE))


class MirrorRecordSchema(_Strict):
    """mirror_records: one row per PMID the mirror has a word on: the file that said it last
    (in NLM's file order), and the version it holds, or that the PMID was deleted."""

    pmid: Series[int] = pa.Field(unique=True, ge=1, le=MAX_PMID)
    file_name: Series[str] = pa.Field(str_length={"min_value": 1})
    file_sha: Series[str] = pa.Field(str_matches=HEX64)
    xml_sha: Series[str] = pa.Field(nullable=True, str_matches=HEX64)
    deleted: Series[bool]

    @pa.dataframe_check
    def deleted_has_no_version(cls, df: pd.DataFrame) -> Series[bool]:
        return df["deleted"] == df["xml_sha"].isna()


class IngestedFileSchema(_Strict):
    """ingested_files: one row per baseline or update file loaded, by content: a file already
    here is not loaded again."""

    file_sha: Series[str] = pa.Field(unique=True, str_matches=HEX64)
    file_name: Series[str] = pa.Field(str_length={"min_value": 1})
    ingest_id: Series[str]
    ingested_at: Series[pd.Timestamp]
    n_records: Series[int] = pa.Field(ge=0)
    n_deleted: Series[int] = pa.Field(ge=0)
    n_quarantined: Series[int] = pa.Field(ge=0)
    n_applied: Series[int] = pa.Field(ge=0)  # records and deletions that changed the mirror
    parse_seconds: Series[float] = pa.Field(ge=0)


RECORD_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "pubmed_authors": PubmedAuthorSchema,
    "pubmed_publication_types": PubmedPublicationTypeSchema,
    "pubmed_mesh_headings": PubmedMeshHeadingSchema,
    "pubmed_article_ids": PubmedArticleIdSchema,
    "pubmed_comments_corrections": PubmedCommentCorrectionSchema,
    "mirror_records": MirrorRecordSchema,
    "ingested_files": IngestedFileSchema,
}
