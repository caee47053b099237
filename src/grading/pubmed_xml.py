"""Streaming parser for PubMed XML: efetch `retmode=xml` replies and NLM baseline/update files.

Both share the `PubmedArticleSet` DTD. Records are read one at a time with `lxml.etree.iterparse`
and cleared once parsed, so memory stays flat on 30,000-record baseline files. The parser never
touches the network: DTDs named in a DOCTYPE are not loaded and entities are not resolved.

The fields are read by `grading.pubmed_fields` (one small function per field: missing is None,
repeated elements become tuples); each record keeps its own XML in `raw_xml`.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Union

from lxml import etree

from grading.models import PubmedRecord
from grading.pubmed_fields import _mixed_text, parse_deleted_pmids, parse_pubmed_article, parse_pubmed_book_article

log = logging.getLogger(__name__)

XmlSource = Union[bytes, str, "os.PathLike[str]", BinaryIO]

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation", "ERROR")
# Never fetch a DTD (old baseline files name an http:// one) and never expand entities (XXE).
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}
# What a broken body can raise while lxml reads it: syntax errors, and gzip/zlib failures.
_READ_ERRORS = (etree.LxmlError, OSError, EOFError, zlib.error)
_GZIP_MAGIC = b"\x1f\x8b"


class PubmedXmlError(ValueError):
    """A reply or file that is not usable PubMed XML; for efetch, a failed request to retry."""


@dataclass(frozen=True)
class DeletedCitations:
    """A `DeleteCitation` block of an update file: PMIDs withdrawn from PubMed."""

    pmids: tuple[int, ...]


@dataclass
class ParseStats:
    """Counts kept while parsing, so that skipped records are visible to the caller."""

    records: int = 0  # PubmedRecords yielded, books included
    books: int = 0
    deleted: int = 0  # PMIDs listed in DeleteCitation blocks
    skipped_no_pmid: int = 0  # records dropped because they carry no usable PMID


# --- reading the input -------------------------------------------------------------------------


class _Rewound:
    """A read-only stream replaying bytes already read from an unseekable one (to sniff gzip)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._rest.read(), b""
        else:
            data, self._head = self._head[:size], self._head[size:]
        return data


@contextmanager
def _open_source(source: XmlSource) -> Iterator[BinaryIO]:
    """A binary stream of the XML: from bytes, a path, or a binary file; gunzipped if gzip."""
    with ExitStack() as owned:
        if isinstance(source, (bytes, bytearray, memoryview)):
            stream = io.BytesIO(bytes(source))
        elif isinstance(source, (str, os.PathLike)):
            stream = owned.enter_context(open(source, "rb"))
        else:
            stream = source
        head = stream.read(2)
        if not isinstance(head, bytes):
            raise TypeError("PubMed XML must be read from a binary stream (open the file with 'rb')")
        if getattr(stream, "seekable", lambda: False)():
            stream.seek(-len(head), io.SEEK_CUR)
        else:
            stream = _Rewound(head, stream)
        yield gzip.GzipFile(fileobj=stream, mode="rb") if head == _GZIP_MAGIC else stream


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _iter_elements(stream: BinaryIO) -> Iterator[etree._Element]:
    """Each record-level element, cleared (with the siblings before it) once the caller is done."""
    context = etree.iterparse(stream, events=("end",), tag=_RECORD_TAGS, **_PARSER_OPTIONS)
    try:
        for _, elem in context:
            if elem.tag == "ERROR":
                raise PubmedXmlError(f"E-utilities error: {(_mixed_text(elem) or 'empty ERROR')[:300]}")
            yield elem
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            while parent is not None and elem.getprevious() is not None:
                del parent[0]
    except _READ_ERRORS as exc:
        raise PubmedXmlError(f"PubMed XML does not parse: {_first_line(exc)}") from exc
    root = context.root
    if root is None or root.tag != "PubmedArticleSet":
        tag = root.tag if root is not None and isinstance(root.tag, str) else "?"
        raise PubmedXmlError(f"not PubMed XML: root element is <{tag}>, not <PubmedArticleSet>")


# --- the public entry points -------------------------------------------------------------------


def iter_pubmed_xml(source: XmlSource, stats: ParseStats | None = None
                    ) -> Iterator[PubmedRecord | DeletedCitations]:
    """Stream the records of PubMed XML.

    `source`: bytes, a path (plain or gzip, detected by magic bytes) or a binary file object.
    Yields a `PubmedRecord` per `PubmedArticle`/`PubmedBookArticle` in document order and a
    `DeletedCitations` per `DeleteCitation` block. A record without a usable PMID is skipped and
    counted in `stats.skipped_no_pmid`. Raises `PubmedXmlError` when the XML breaks off, does not
    parse, carries an `<ERROR>`, or is not a `PubmedArticleSet` (records before the fault have
    been yielded by then); OSError when a path cannot be opened.
    """
    stats = stats if stats is not None else ParseStats()
    with _open_source(source) as stream:
        for elem in _iter_elements(stream):
            if elem.tag == "DeleteCitation":
                deleted = DeletedCitations(parse_deleted_pmids(elem))
                stats.deleted += len(deleted.pmids)
                yield deleted
                continue
            is_book = elem.tag == "PubmedBookArticle"
            raw_xml = etree.tostring(elem, encoding="unicode", with_tail=False)
            record = (parse_pubmed_book_article if is_book else parse_pubmed_article)(elem, raw_xml)
            if record is None:
                stats.skipped_no_pmid += 1
                log.warning("skipped a %s without a usable PMID", elem.tag)
                continue
            stats.records += 1
            stats.books += is_book
            yield record


def parse_efetch_reply(data: bytes, stats: ParseStats | None = None) -> list[PubmedRecord]:
    """The records of one efetch reply body, in reply order.

    An empty `PubmedArticleSet` is a valid reply with no records (NCBI's answer for unknown ids).
    Raises `PubmedXmlError`, and nothing else, when the body is not a usable reply: empty,
    truncated, an HTML page, an `<ERROR>`, or any other root. Callers should retry then.
    """
    data = bytes(data)
    if not data.strip():
        raise PubmedXmlError("empty reply body")
    try:
        return [r for r in iter_pubmed_xml(data, stats) if isinstance(r, PubmedRecord)]
    except PubmedXmlError as exc:
        if b"<html" in data[:2048].lower():
            raise PubmedXmlError(f"got an HTML page, not PubMed XML ({exc})") from exc
        raise
