"""Streaming parser for PubMed XML: efetch `retmode=xml` replies and NLM baseline/update files.

Both share the `PubmedArticleSet` DTD. The parser never touches the network: DTDs named in a
DOCTYPE are not loaded and entities are not resolved. Memory stays flat on 30,000-record
baseline files, by one of two readers:

- the fast one, for documents whose prologue is plain (the XML declaration in UTF-8, a DOCTYPE,
  comments) and whose root is a bare `<PubmedArticleSet>`: the bytes are cut after a record's
  end tag about every megabyte, each cut is parsed in one `fromstring` call (under the same
  prologue), and each record's `raw_xml` is its own bytes, sliced out of the cut, not
  re-serialised;
- `iterparse` over the whole stream, clearing records once read, for everything else, and from
  the first cut that does not parse on its own (a comment spanning two cuts, a broken file), so
  that every record before a fault is still yielded and faults are reported the same way.

The fields are read by `grading.pubmed_fields` (one small function per field: missing is None,
repeated elements become tuples). Speed and memory are measured by benchmarks/parse.py.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Union

from lxml import etree

from grading.models import PubmedRecord
from grading.pubmed_fields import (
    _mixed_text,
    parse_deleted_pmids,
    parse_pubmed_article,
    parse_pubmed_book_article,
)

log = logging.getLogger(__name__)

XmlSource = Union[bytes, str, "os.PathLike[str]", BinaryIO]

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation", "ERROR")
# Never fetch a DTD (old baseline files name an http:// one) and never expand entities (XXE).
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}
# What a broken body can raise while lxml reads it: syntax errors, and gzip/zlib failures.
_READ_ERRORS = (etree.LxmlError, OSError, EOFError, zlib.error)
_GZIP_MAGIC = b"\x1f\x8b"
_CUT_BYTES = 1 << 20  # XML per fast-reader cut: large enough to amortise a parse call, small for memory
_PROLOGUE_BYTES = 1 << 16  # the root start tag must come this early for the fast reader
_ROOT_OPEN, _ROOT_CLOSE = b"<PubmedArticleSet>", b"</PubmedArticleSet>"
_END_TAGS = (b"</PubmedArticle>", b"</PubmedBookArticle>", b"</DeleteCitation>")
_SLICED_TAGS = {tag: (f"<{tag}".encode(), f"</{tag}>".encode()) for tag in _RECORD_TAGS[:3]}
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_TAG_ENDS = (b">", b" ", b"\n", b"\t", b"\r")  # what may follow a tag name in a start tag
_SPECIAL_ENDS = {b"<!--": b"-->", b"<![C": b"]]>"}  # what ends a comment or CDATA section


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


def _iter_records(stream: BinaryIO) -> Iterator[tuple[etree._Element, str | None]]:
    """Each record-level element with its raw XML (None: serialise the element instead).

    The fast reader where the document allows it, `_iter_elements` otherwise (see the module
    docstring); the elements of a cut are released when the next cut is read.
    """
    try:
        head = _read_head(stream)
    except _READ_ERRORS as exc:
        raise PubmedXmlError(f"PubMed XML does not parse: {_first_line(exc)}") from exc
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    prefix = _plain_prologue(head, parser)
    if prefix is None:
        yield from ((elem, None) for elem in _iter_elements(_Rewound(head, stream)))
        return
    pending = bytearray(head[len(prefix):])
    fault: BaseException | None = None
    while True:
        try:
            block = stream.read(_CUT_BYTES)
        except _READ_ERRORS as exc:
            block, fault = b"", exc
        if block:
            pending += block
            cut = _last_record_end(pending)
            if not cut:
                continue  # a record longer than a block: read on
        else:
            cut = len(pending)  # the end: the rest, root end tag included, is the last cut
        body = bytes(pending[:cut])
        del pending[:cut]
        final = not block and fault is None
        records = _cut_records(parser, prefix, body, final)
        if records is None:  # the cut does not stand alone: iterparse from here on
            rest = _Rewound(prefix + body + bytes(pending), stream) if fault is None else io.BytesIO(prefix + body)
            yield from ((elem, None) for elem in _iter_elements(rest))
            if fault is None:
                return
            records = []
        for elem, raw in records:
            if elem.tag == "ERROR":
                raise PubmedXmlError(f"E-utilities error: {(_mixed_text(elem) or 'empty ERROR')[:300]}")
            yield elem, raw
        if fault is not None:
            raise PubmedXmlError(f"PubMed XML does not parse: {_first_line(fault)}") from fault
        if not block:
            return


def _last_record_end(data: bytearray) -> int:
    """Just after a record's end tag near the end of `data` (any will do); 0 when there is none."""
    for tag in _END_TAGS:  # articles first: rfind stops at the first hit from the end
        found = data.rfind(tag)
        if found >= 0:
            return found + len(tag)
    return 0


def _read_head(stream: BinaryIO) -> bytes:
    """The first `_PROLOGUE_BYTES` of the stream, or all of it (reads may come back short)."""
    parts, size = [], 0
    while size < _PROLOGUE_BYTES:
        part = stream.read(_PROLOGUE_BYTES - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _plain_prologue(head: bytes, parser: etree.XMLParser) -> bytes | None:
    """The bytes up to and including the root start tag when the fast reader can repeat them
    before every cut: UTF-8, a bare `<PubmedArticleSet>`, and a prologue that parses on its own
    (so the tag found is the root, not text inside a comment or the DOCTYPE)."""
    at = head.find(_ROOT_OPEN)
    if at < 0:
        return None
    prefix = head[:at + len(_ROOT_OPEN)]
    declared = _ENCODING.match(prefix)
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        return None
    try:
        root = etree.fromstring(prefix + _ROOT_CLOSE, parser)
    except etree.XMLSyntaxError:
        return None
    return prefix if root.tag == "PubmedArticleSet" and not len(root) else None


def _cut_records(parser: etree.XMLParser, prefix: bytes, body: bytes, final: bool
                 ) -> list[tuple[etree._Element, str | None]] | None:
    """The record-level elements of one cut, each with its own bytes as text where they can be
    told apart for certain; None when the cut does not parse on its own, or holds an element
    `iterparse` would look into (anything but records and ERROR at the top)."""
    try:
        root = etree.fromstring(prefix + body if final else prefix + body + _ROOT_CLOSE, parser)
    except etree.XMLSyntaxError:
        return None
    out: list[tuple[etree._Element, str | None]] = []
    pos, sliced = 0, True
    for elem in root:
        tag = elem.tag
        if not isinstance(tag, str):  # a comment or PI between records: bytes no longer line up
            sliced = False
            continue
        if tag == "ERROR":
            out.append((elem, None))
            break
        tags = _SLICED_TAGS.get(tag)
        if tags is None:
            return None
        raw = None
        if sliced:
            end = _record_end(body, pos, *tags)
            if end < 0:
                sliced = False
            else:
                if tag != "DeleteCitation":
                    raw = body[body.index(b"<", pos):end].decode("utf-8")
                pos = end
        out.append((elem, raw))
    return out


def _record_end(body: bytes, pos: int, start_tag: bytes, end_tag: bytes) -> int:
    """Where the record starting at the next markup after `pos` ends; -1 unless that is surely
    this record: its start tag, its end tag outside comments, CDATA and PIs (real records carry
    PIs such as `<?pmcsd ?>`), and no nested or empty record of its kind."""
    start = body.find(b"<", pos)
    after = start + len(start_tag)
    if start < 0 or not body.startswith(start_tag, start) or body[after:after + 1] not in _TAG_ENDS:
        return -1
    scan = after
    while True:
        end = body.find(end_tag, scan)
        if end < 0:
            return -1
        special = _first_special(body, scan, end)
        if special < 0:
            break
        closer = _SPECIAL_ENDS.get(body[special:special + 4], b">") if body[special + 1] == 33 else b"?>"
        closed = body.find(closer, special + 2)
        if closed < 0:
            return -1
        scan = closed + len(closer)
    if body.find(start_tag, after, end) >= 0:
        return -1
    return end + len(end_tag)


def _first_special(body: bytes, start: int, end: int) -> int:
    """The first `<!` (comment, CDATA) or `<?` (PI) in body[start:end], or -1."""
    bang, query = body.find(b"<!", start, end), body.find(b"<?", start, end)
    return query if bang < 0 else bang if query < 0 else min(bang, query)


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
        for elem, raw_xml in _iter_records(stream):
            if elem.tag == "DeleteCitation":
                deleted = DeletedCitations(parse_deleted_pmids(elem))
                stats.deleted += len(deleted.pmids)
                yield deleted
                continue
            is_book = elem.tag == "PubmedBookArticle"
            if raw_xml is None:
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
