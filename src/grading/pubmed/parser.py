"""Streaming parser for PubMed XML: efetch `retmode=xml` replies and NLM baseline/update files.

Both share the `PubmedArticleSet` DTD. The parser never touches the network: DTDs named in a
DOCTYPE are not loaded and entities are not resolved. Memory stays flat on 30,000-record
baseline files. Two readers, the same records:

- cuts (`_iter_cut_records`), for documents with a plain prologue (UTF-8, no DTD subset) and a
  bare `<PubmedArticleSet>` root, which is every NLM file and efetch reply: the bytes are cut
  after a record's end tag every 64 KB or so, and each cut is parsed in one `fromstring` call
  under the document's own prologue. That parses faster than `iterparse` (which takes the GIL
  back for every element, and whose tree outgrows the CPU cache), and each record's `raw_xml`
  is its own bytes cut out of the cut, not the element serialised again.
- `iterparse` over the stream (`_iter_elements`), clearing records once read: for any other
  document, and from the first cut that does not stand on its own (a comment across two cuts,
  a broken file, a record inside another element), so records and errors are exactly those of
  an `iterparse` over the whole document.

Shards: the cuts fall at the same places whoever reads the stream, so `count` processes can
share one file, each reading every byte (inflating and finding end tags is ~1% of the work)
but parsing only every `count`-th cut. Each item carries its place in the document (cut
number, then position in the cut), the same number whichever shard reads it, so the shards'
results merge in document order. A document that needs `iterparse` cannot be shared out:
its shards raise `UnshardableXml` and it is parsed whole.

The fields are read by `grading.pubmed.fields` (one small function per field: missing is None,
repeated elements become tuples). Speed and memory are measured by benchmarks/parse.py.
"""

from __future__ import annotations

import io
import logging
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Union

from isal import igzip, isal_zlib
from lxml import etree

from grading.models import PubmedRecord
from grading.pubmed.fields import (
    parse_deleted_pmids,
    parse_pubmed_article,
    parse_pubmed_book_article,
)
from grading.pubmed.xml_text import _mixed_text

log = logging.getLogger(__name__)

XmlSource = Union[bytes, str, "os.PathLike[str]", BinaryIO]

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation", "ERROR")
# Never fetch a DTD (old baseline files name an http:// one) and never expand entities (XXE).
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}
# What a broken body can raise while lxml reads it: syntax errors, and gzip/zlib failures.
_READ_ERRORS = (etree.LxmlError, OSError, EOFError, zlib.error, isal_zlib.error)
_GZIP_MAGIC = b"\x1f\x8b"
_CUT_BYTES = 1 << 16  # a cut's size: small enough that its tree stays in the CPU's cache
_ROOT_OPEN, _ROOT_CLOSE = b"<PubmedArticleSet>", b"</PubmedArticleSet>"
_END_TAGS = (b"</PubmedArticle>", b"</PubmedBookArticle>", b"</DeleteCitation>")
_TAG_BYTES = {tag: (f"<{tag}".encode(), f"</{tag}>".encode()) for tag in _RECORD_TAGS[:3]}
_NAME_ENDS = (b">", b" ", b"\n", b"\t", b"\r")  # what may follow the name in a start tag
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8 = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_MARKUP_ENDS = {b"<!--": b"-->", b"<![C": b"]]>"}  # comment and CDATA; a PI ends with "?>"


class PubmedXmlError(ValueError):
    """A reply or file that is not usable PubMed XML; for efetch, a failed request to retry."""


class UnshardableXml(Exception):
    """The document has to be read by `iterparse` (see the module docstring), which cannot be
    shared out between processes: parse it whole (one shard)."""


@dataclass(frozen=True)
class Shard:
    """Which cuts a reader parses: those whose number is `index` modulo `count`."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")

    def owns(self, cut_number: int) -> bool:
        return cut_number % self.count == self.index


WHOLE = Shard()
_PLACE_BITS = 32  # a place: cut number << 32 | position in the cut (a cut holds far fewer records)


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

    def readinto(self, buffer) -> int:  # ISA-L's gzip reader reads this way
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


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
        if head == _GZIP_MAGIC:  # ISA-L's inflate: twice zlib's speed (benchmarks/parse.py)
            stream = owned.enter_context(igzip.GzipFile(fileobj=stream, mode="rb"))
        yield stream


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


def _iter_records(stream: BinaryIO, shard: Shard) -> Iterator[tuple[int, etree._Element, str | None]]:
    """Each record-level element of the shard with its place and raw XML (None: serialise the
    element), by cuts where the document allows, by `iterparse` otherwise (see the module
    docstring)."""
    try:
        head = _read_at_least(stream, _CUT_BYTES)
    except _READ_ERRORS as exc:
        raise PubmedXmlError(f"PubMed XML does not parse: {_first_line(exc)}") from exc
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    prefix = _plain_prologue(head, parser)
    if prefix is None:
        if shard.count > 1:
            raise UnshardableXml("the document's prologue cannot be repeated before each cut")
        yield from ((place, elem, None) for place, elem in enumerate(_iter_elements(_Rewound(head, stream))))
        return
    yield from _iter_cut_records(stream, parser, prefix, bytearray(head[len(prefix):]), shard)


def _iter_cut_records(stream: BinaryIO, parser: etree.XMLParser, prefix: bytes, pending: bytearray, shard: Shard
                      ) -> Iterator[tuple[int, etree._Element, str | None]]:
    """The fast reader. `prefix`: the prologue up to and with the root start tag; `pending`:
    the bytes read after it."""
    fault: BaseException | None = None
    number = -1
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
        number += 1
        base = number << _PLACE_BITS
        final = not block and fault is None
        if not shard.owns(number):  # another shard parses it
            del pending[:cut]
            records = []
        else:
            body = bytes(pending[:cut])
            del pending[:cut]
            records = _cut_records(parser, prefix, body, final)
        if records is None:  # this cut does not stand on its own: iterparse from here on
            if shard.count > 1:
                raise UnshardableXml(f"cut {number} does not parse on its own")
            rest = _Rewound(prefix + body + bytes(pending), stream) if fault is None else io.BytesIO(prefix + body)
            yield from ((base + i, elem, None) for i, elem in enumerate(_iter_elements(rest)))
            if fault is None:
                return
            records = []
        for i, (elem, raw) in enumerate(records):
            if elem.tag == "ERROR":
                raise PubmedXmlError(f"E-utilities error: {(_mixed_text(elem) or 'empty ERROR')[:300]}")
            yield base + i, elem, raw
        if fault is not None:
            raise PubmedXmlError(f"PubMed XML does not parse: {_first_line(fault)}") from fault
        if final:
            return


def _read_at_least(stream: BinaryIO, size: int) -> bytes:
    """`size` bytes of the stream, or all of it when shorter (reads may come back short)."""
    parts, have = [], 0
    while have < size:
        part = stream.read(size - have)
        if not part:
            break
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def _plain_prologue(head: bytes, parser: etree.XMLParser) -> bytes | None:
    """The bytes up to and with the root start tag when they can be repeated before every cut:
    UTF-8, no DTD subset (its entities would differ per cut), a bare `<PubmedArticleSet>`, and
    a prologue that parses on its own (so the tag found is the root, not text in a comment)."""
    at = head.find(_ROOT_OPEN)
    if at < 0:
        return None
    prefix = head[:at + len(_ROOT_OPEN)]
    declared = _DECLARED_ENCODING.search(prefix)
    if b"[" in prefix or (declared and declared.group(1).lower() not in _UTF8):
        return None
    try:
        root = etree.fromstring(prefix + _ROOT_CLOSE, parser)
    except etree.XMLSyntaxError:
        return None
    return prefix if root.tag == "PubmedArticleSet" and not len(root) else None


def _last_record_end(data: bytearray) -> int:
    """Just after a record's end tag near the end of `data` (any will do); 0 when there is none."""
    for tag in _END_TAGS:  # articles first: rfind stops at the first one from the end
        found = data.rfind(tag)
        if found >= 0:
            return found + len(tag)
    return 0


def _cut_records(parser: etree.XMLParser, prefix: bytes, body: bytes, final: bool
                 ) -> list[tuple[etree._Element, str | None]] | None:
    """The records of one cut, each with its own bytes as text where they can be told for
    certain; None when the cut does not parse on its own or holds what `iterparse` would read
    differently (an element other than records at the top, a record inside a record)."""
    try:
        root = etree.fromstring(prefix + body if final else prefix + body + _ROOT_CLOSE, parser)
    except etree.XMLSyntaxError:
        return None
    cdata = b"<![CDATA[" in body
    out: list[tuple[etree._Element, str | None]] = []
    pos, sliced = 0, True
    for elem in root:
        tag = elem.tag
        if not isinstance(tag, str):  # a comment or PI between records: bytes and elements part ways
            sliced = False
            continue
        if tag == "ERROR":
            out.append((elem, None))
            break
        tags = _TAG_BYTES.get(tag)
        if tags is None:
            return None
        inner = next(elem.iterdescendants(etree.Comment, etree.ProcessingInstruction, *_RECORD_TAGS), None)
        if inner is not None and isinstance(inner.tag, str):
            return None
        raw = None
        if sliced:
            end = _record_end(body, pos, *tags, careful=cdata or inner is not None)
            if end < 0:
                sliced = False
            else:
                if tag != "DeleteCitation":
                    raw = body[body.index(b"<", pos):end].decode("utf-8")
                pos = end
        out.append((elem, raw))
    return out


def _record_end(body: bytes, pos: int, start_tag: bytes, end_tag: bytes, careful: bool) -> int:
    """Where the record at the first markup after `pos` ends, or -1 unless that markup is its
    start tag. `careful`: the record holds comments, PIs or CDATA (real ones carry PIs such as
    `<?pmcsd ?>`), which could hold an end tag: step over them."""
    start = body.find(b"<", pos)
    after = start + len(start_tag)
    if start < 0 or not body.startswith(start_tag, start) or body[after:after + 1] not in _NAME_ENDS:
        return -1
    end = _end_tag_outside_markup(body, after, end_tag) if careful else body.find(end_tag, after)
    return end + len(end_tag) if end >= 0 else -1


def _end_tag_outside_markup(data: bytes, start: int, end_tag: bytes) -> int:
    """The first `end_tag` at or after `start` that is not inside a comment, CDATA or PI; -1."""
    while True:
        end = data.find(end_tag, start)
        if end < 0:
            return -1
        bang, query = data.find(b"<!", start, end), data.find(b"<?", start, end)
        markup = query if bang < 0 else bang if query < 0 else min(bang, query)
        if markup < 0:
            return end
        closer = b"?>" if markup == query else _MARKUP_ENDS.get(data[markup:markup + 4], b">")
        closed = data.find(closer, markup + 2)
        if closed < 0:
            return -1
        start = closed + len(closer)


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
    return (item for _, item in iter_placed_records(source, stats))


def iter_placed_records(source: XmlSource, stats: ParseStats | None = None, shard: Shard = WHOLE
                        ) -> Iterator[tuple[int, PubmedRecord | DeletedCitations]]:
    """`iter_pubmed_xml` for one shard of the document, each item with its place: a number that
    grows in document order and is the same whichever shard reads the item. Raises
    `UnshardableXml` (when `shard.count` > 1) for a document that must be parsed whole."""
    stats = stats if stats is not None else ParseStats()
    with _open_source(source) as stream:
        for place, elem, raw_xml in _iter_records(stream, shard):
            if elem.tag == "DeleteCitation":
                deleted = DeletedCitations(parse_deleted_pmids(elem))
                stats.deleted += len(deleted.pmids)
                yield place, deleted
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
            yield place, record


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
