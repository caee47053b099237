"""Streaming parser for PubMed XML: efetch `retmode=xml` replies and NLM baseline/update files.

Both share the `PubmedArticleSet` DTD. Records are read one at a time with `lxml.etree.iterparse`
and cleared once parsed, so memory stays flat on 30,000-record baseline files. The parser never
touches the network: DTDs named in a DOCTYPE are not loaded and entities are not resolved.

One small function per field, each taking the element it reads and returning a plain value:
missing is None, repeated elements become tuples, and each record keeps its own XML in `raw_xml`.
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

from grading.models import AbstractSection, Author, CommentCorrection, MeshHeading, PubmedRecord

log = logging.getLogger(__name__)

XmlSource = Union[bytes, str, "os.PathLike[str]", BinaryIO]

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation", "ERROR")
# Never fetch a DTD (old baseline files name an http:// one) and never expand entities (XXE).
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": True}
# What a broken body can raise while lxml reads it: syntax errors, and gzip/zlib failures.
_READ_ERRORS = (etree.LxmlError, OSError, EOFError, zlib.error)
_GZIP_MAGIC = b"\x1f\x8b"
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


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
            record = parse_pubmed_book_article(elem) if is_book else parse_pubmed_article(elem)
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


# --- records -----------------------------------------------------------------------------------


def parse_pubmed_article(elem: etree._Element) -> PubmedRecord | None:
    """One `PubmedArticle` element as a record; None when it has no usable PMID."""
    citation = _child(elem, "MedlineCitation")
    if citation is None:
        return None
    cit = _first_children(citation)
    pmid, version = parse_pmid(cit.get("PMID"))
    if pmid is None:
        return None
    article = cit.get("Article")
    art = _first_children(article) if article is not None else {}
    journal = _first_children(art["Journal"]) if "Journal" in art else {}
    issue = _first_children(journal["JournalIssue"]) if "JournalIssue" in journal else {}
    pubmed_data = _child(elem, "PubmedData")
    year, medline_date = parse_pub_date(issue.get("PubDate"))
    if year is None:
        year = parse_fallback_year(article, pubmed_data)
    ids = parse_article_ids(_child(pubmed_data, "ArticleIdList"))
    return PubmedRecord(
        pmid=pmid,
        version=version,
        title=parse_title(art.get("ArticleTitle")),
        abstract=parse_abstract(art.get("Abstract")),
        journal=_text(journal.get("Title")),
        journal_abbrev=parse_journal_abbrev(journal.get("ISOAbbreviation"), cit.get("MedlineJournalInfo")),
        year=year,
        medline_date=medline_date,
        volume=_text(issue.get("Volume")),
        issue=_text(issue.get("Issue")),
        pages=parse_pages(art.get("Pagination")),
        languages=parse_languages(article),
        publication_types=parse_publication_types(art.get("PublicationTypeList")),
        mesh_headings=parse_mesh_headings(cit.get("MeshHeadingList")),
        chemicals=parse_chemicals(cit.get("ChemicalList")),
        keywords=parse_keywords(citation),
        authors=parse_authors(article),
        doi=ids.get("doi") or parse_elocation_doi(article),
        pmcid=parse_pmcid(ids.get("pmc")),
        comments_corrections=parse_comments_corrections(cit.get("CommentsCorrectionsList")),
        date_revised=parse_iso_date(cit.get("DateRevised")),
        status=_clean(citation.get("Status")),
        raw_xml=etree.tostring(elem, encoding="unicode", with_tail=False),
    )


def parse_pubmed_book_article(elem: etree._Element) -> PubmedRecord | None:
    """One `PubmedBookArticle` (a book or chapter on NCBI Bookshelf); None without a PMID."""
    document = _child(elem, "BookDocument")
    if document is None:
        return None
    pmid, version = parse_pmid(_child(document, "PMID"))
    if pmid is None:
        return None
    book = _child(document, "Book")
    chapter_title = parse_title(_child(document, "ArticleTitle"))
    book_title = parse_title(_child(book, "BookTitle"))
    book_data = _child(elem, "PubmedBookData")
    year, medline_date = parse_pub_date(_child(book, "PubDate"))
    if year is None:
        year = parse_fallback_year(None, book_data)
    ids = {**parse_article_ids(_child(book_data, "ArticleIdList")),
           **parse_article_ids(_child(document, "ArticleIdList"))}
    return PubmedRecord(
        pmid=pmid,
        version=version,
        title=chapter_title or book_title,
        abstract=parse_abstract(_child(document, "Abstract")),
        journal=book_title if chapter_title else None,  # a chapter's container is its book
        journal_abbrev=None,
        year=year,
        medline_date=medline_date,
        volume=_child_text(book, "Volume"),
        issue=None,
        pages=parse_pages(_child(document, "Pagination")),
        languages=parse_languages(document),
        publication_types=parse_publication_types(document),
        mesh_headings=(),
        chemicals=(),
        keywords=parse_keywords(document),
        authors=parse_authors(document),
        doi=ids.get("doi"),
        pmcid=parse_pmcid(ids.get("pmc")),
        comments_corrections=(),
        date_revised=parse_iso_date(_child(document, "DateRevised")),
        status=None,  # MedlineCitation/@Status has no counterpart in BookDocument
        raw_xml=etree.tostring(elem, encoding="unicode", with_tail=False),
        is_book=True,
    )


def parse_deleted_pmids(elem: etree._Element) -> tuple[int, ...]:
    """The PMIDs of a `DeleteCitation` block (unreadable ones left out)."""
    pmids = (_int(p.text) for p in elem.iterchildren("PMID"))
    return tuple(p for p in pmids if p is not None)


# --- fields ------------------------------------------------------------------------------------


def parse_pmid(pmid: etree._Element | None) -> tuple[int | None, int]:
    """(PMID, Version); PMID None when absent or not a positive integer, Version 1 by default."""
    if pmid is None:
        return None, 1
    value = _int(pmid.text)
    version = _int(pmid.get("Version"))
    return (value if value and value > 0 else None), (version or 1)


def parse_title(title: etree._Element | None) -> str | None:
    """A title's text with inline markup (<i>, <sup>, MathML) joined and whitespace normalised."""
    return _mixed_text(title)


def parse_abstract(abstract: etree._Element | None) -> tuple[AbstractSection, ...]:
    """Each `AbstractText` as a section with its Label and NlmCategory; empty ones dropped."""
    if abstract is None:
        return ()
    sections = []
    for part in abstract.iterchildren("AbstractText"):
        text = _mixed_text(part)
        if text:
            sections.append(AbstractSection(_clean(part.get("Label")), _clean(part.get("NlmCategory")), text))
    return tuple(sections)


def parse_journal_abbrev(iso_abbreviation: etree._Element | None,
                         journal_info: etree._Element | None) -> str | None:
    """`ISOAbbreviation`, else NLM's `MedlineTA` (In-Process records may lack the former)."""
    return _text(iso_abbreviation) or _text(_child(journal_info, "MedlineTA"))


def parse_pub_date(pub_date: etree._Element | None) -> tuple[int | None, str | None]:
    """(year, MedlineDate). The year is `Year`, else the first 4-digit year in `MedlineDate`
    ("1998 Dec-1999 Jan" -> 1998); MedlineDate is kept only when there is no `Year`."""
    if pub_date is None:
        return None, None
    year = _year(_child_text(pub_date, "Year"))
    if year is not None:
        return year, None
    medline_date = _child_text(pub_date, "MedlineDate")
    return _year(medline_date), medline_date


def parse_fallback_year(article: etree._Element | None, pubmed_data: etree._Element | None) -> int | None:
    """The year when PubDate gives none: `ArticleDate` (electronic), else the history dates,
    preferring the date the record entered PubMed."""
    if article is not None:
        for date in article.iterchildren("ArticleDate"):
            if (year := _year(_child_text(date, "Year"))) is not None:
                return year
    history = _child(pubmed_data, "History")
    if history is None:
        return None
    dates = {d.get("PubStatus"): _year(_child_text(d, "Year")) for d in history.iterchildren("PubMedPubDate")}
    for status in ("pubmed", "entrez", "medline"):
        if dates.get(status) is not None:
            return dates[status]
    return min((y for y in dates.values() if y is not None), default=None)


def parse_pages(pagination: etree._Element | None) -> str | None:
    """`MedlinePgn`, else StartPage-EndPage (the newer form)."""
    if pagination is None:
        return None
    pages = _child_text(pagination, "MedlinePgn")
    if pages:
        return pages
    start, end = _child_text(pagination, "StartPage"), _child_text(pagination, "EndPage")
    return f"{start}-{end}" if start and end else start


def parse_languages(parent: etree._Element | None) -> tuple[str, ...]:
    """The repeated `Language` codes ("eng", "rus", ...)."""
    if parent is None:
        return ()
    return tuple(code for code in (_clean(e.text) for e in parent.iterchildren("Language")) if code)


def parse_publication_types(parent: etree._Element | None) -> tuple[tuple[str | None, str], ...]:
    """(UI, name) of each `PublicationType` under `parent` (a PublicationTypeList or BookDocument)."""
    if parent is None:
        return ()
    types = ((_clean(t.get("UI")), _clean(t.text)) for t in parent.iterchildren("PublicationType"))
    return tuple((ui, name) for ui, name in types if name)


def parse_mesh_headings(mesh_list: etree._Element | None) -> tuple[MeshHeading, ...]:
    """MeSH headings. A heading is a major topic when its descriptor or any qualifier is starred,
    as PubMed's [majr] search reads it; names are stripped (the snapshot has trailing spaces)."""
    if mesh_list is None:
        return ()
    headings = []
    for heading in mesh_list.iterchildren("MeshHeading"):
        descriptor = _child(heading, "DescriptorName")
        name = _clean(descriptor.text) if descriptor is not None else None
        if not name:
            continue
        qualifiers = tuple(heading.iterchildren("QualifierName"))
        major = descriptor.get("MajorTopicYN") == "Y" or any(q.get("MajorTopicYN") == "Y" for q in qualifiers)
        names = tuple(n for n in (_clean(q.text) for q in qualifiers) if n)
        headings.append(MeshHeading(_clean(descriptor.get("UI")), name, major, names))
    return tuple(headings)


def parse_chemicals(chemical_list: etree._Element | None) -> tuple[str, ...]:
    """`NameOfSubstance` of each `Chemical`."""
    if chemical_list is None:
        return ()
    names = (_child_text(c, "NameOfSubstance") for c in chemical_list.iterchildren("Chemical"))
    return tuple(n for n in names if n)


def parse_keywords(parent: etree._Element) -> tuple[str, ...]:
    """Keywords of every `KeywordList` (author's and NLM's), mixed content joined."""
    words = (_mixed_text(k) for kl in parent.iterchildren("KeywordList") for k in kl.iterchildren("Keyword"))
    return tuple(w for w in words if w)


def parse_authors(parent: etree._Element | None) -> tuple[Author, ...]:
    """Authors of the `AuthorList`s under `parent`, skipping lists of editors."""
    if parent is None:
        return ()
    authors = []
    for author_list in parent.iterchildren("AuthorList"):
        if author_list.get("Type") == "editors":
            continue
        for author in author_list.iterchildren("Author"):
            authors.append(parse_author(author))
    return tuple(authors)


def parse_author(author: etree._Element) -> Author:
    """One `Author`: a person (LastName, ForeName, Initials) or a `CollectiveName`, with affiliations."""
    parts = _first_children(author)
    affiliations = (_mixed_text(a) for info in author.iterchildren("AffiliationInfo")
                    for a in info.iterchildren("Affiliation"))
    return Author(
        last_name=_text(parts.get("LastName")),
        fore_name=_text(parts.get("ForeName")),
        initials=_text(parts.get("Initials")),
        collective_name=_mixed_text(parts.get("CollectiveName")),
        affiliations=tuple(a for a in affiliations if a),
    )


def parse_article_ids(id_list: etree._Element | None) -> dict[str, str]:
    """{IdType: value} of the record's own `ArticleIdList` (not its references'); first wins."""
    ids: dict[str, str] = {}
    if id_list is not None:
        for article_id in id_list.iterchildren("ArticleId"):
            value = _clean(article_id.text)
            if value:
                ids.setdefault(article_id.get("IdType") or "", value)
    return ids


def parse_elocation_doi(parent: etree._Element | None) -> str | None:
    """The DOI from `ELocationID EIdType="doi"`, for records whose ArticleIdList has none."""
    if parent is None:
        return None
    for location in parent.iterchildren("ELocationID"):
        valid_doi = location.get("EIdType") == "doi" and location.get("ValidYN", "Y") == "Y"
        if valid_doi and (doi := _clean(location.text)):
            return doi
    return None


def parse_pmcid(value: str | None) -> str | None:
    """A PMC id as "PMC123" (bare digits get the prefix)."""
    if not value:
        return None
    return f"PMC{value}" if value.isdigit() else value


def parse_comments_corrections(cc_list: etree._Element | None) -> tuple[CommentCorrection, ...]:
    """Each `CommentsCorrections` link: RefType (RetractionIn, ErratumIn, ...), PMID, RefSource."""
    if cc_list is None:
        return ()
    links = []
    for cc in cc_list.iterchildren("CommentsCorrections"):
        ref_type = _clean(cc.get("RefType"))
        if ref_type:
            links.append(CommentCorrection(ref_type, _int(_child_text(cc, "PMID")), _child_text(cc, "RefSource")))
    return tuple(links)


def parse_iso_date(date: etree._Element | None) -> str | None:
    """A numeric Year/Month/Day element (DateRevised) as "yyyy-mm-dd"; None unless all are valid."""
    if date is None:
        return None
    year, month, day = (_int(_child_text(date, part)) for part in ("Year", "Month", "Day"))
    if year is None or month is None or day is None:
        return None
    if not (1000 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- text helpers ------------------------------------------------------------------------------


# `find`/`findtext` go through ElementPath in Python; `iterchildren(tag)` and one pass over the
# children stay in C, which matters at 30,000 records a file.
def _child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    return next(parent.iterchildren(tag), None) if parent is not None else None


def _first_children(elem: etree._Element) -> dict:
    """Direct children by tag, the first of each tag winning."""
    found: dict = {}
    for child in elem:
        found.setdefault(child.tag, child)
    return found


def _text(elem: etree._Element | None) -> str | None:
    """The cleaned text of a plain-text element; None when absent or blank."""
    return _clean(elem.text) if elem is not None else None


def _child_text(parent: etree._Element | None, tag: str) -> str | None:
    """The cleaned text of the first child `tag`; None when absent or blank."""
    return _text(_child(parent, tag))


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed and trimmed; None for missing or blank."""
    if not text:
        return None
    return " ".join(text.split()) or None


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _year(text: str | None) -> int | None:
    match = _YEAR.search(text) if text else None
    return int(match.group(1)) if match else None


def _is_math(tag: str) -> bool:
    return tag.rpartition("}")[2].rpartition(":")[2] == "math"


def _mixed_text(elem: etree._Element | None) -> str | None:
    """All text of an element with inline markup, in document order, whitespace normalised.

    Like `"".join(elem.itertext())`, but whitespace-only text inside MathML is dropped: it is
    layout between tokens (`<mi>x</mi>\\n<mn>2</mn>` reads "x2", not "x 2"). Iterative, because
    deeply nested junk must not hit the recursion limit. Comments and PIs are skipped; an
    unresolved entity keeps its literal "&name;".
    """
    if elem is None:
        return None
    if not len(elem):  # the common case: no markup at all
        return _clean(elem.text)
    parts: list[str] = []
    stack: list = [(elem, False)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node, in_math = item
        tag = node.tag
        if isinstance(tag, str):
            in_math = in_math or _is_math(tag)
            if node.text and not (in_math and node.text.isspace()):
                parts.append(node.text)
            for child in reversed(node):
                if child.tail and not (in_math and child.tail.isspace()):
                    stack.append(child.tail)
                stack.append((child, in_math))
        elif tag is etree.Entity:
            parts.append(node.text)
    return _clean("".join(parts))
