"""PubMed XML elements -> field values: one small function per field.

Each function takes the element(s) it reads and returns a plain value: missing is None,
repeated elements become tuples, text is whitespace-normalised. `pubmed_xml` streams the
records and calls `parse_pubmed_article` / `parse_pubmed_book_article` on each.

This is the parser's hot path (a baseline file holds 30,000 records, ~100 elements each), so
a record's children are read in one pass with a branch per tag instead of one `find` per
field: lxml creates a Python object for every element touched, and `find`/`findtext` go
through ElementPath in Python. Measured by benchmarks/parse.py.
"""

from __future__ import annotations

import re

from lxml import etree

from grading.models import AbstractSection, Author, CommentCorrection, MeshHeading, PubmedRecord

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DAY_NUMBERS = {**{str(d): f"{d:02d}" for d in range(1, 32)}, **{f"{d:02d}": f"{d:02d}" for d in range(1, 10)}}
_MONTH_NUMBERS = {text: padded for text, padded in _DAY_NUMBERS.items() if int(text) <= 12}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


# --- records -----------------------------------------------------------------------------------


def parse_pubmed_article(elem: etree._Element, raw_xml: str) -> PubmedRecord | None:
    """One `PubmedArticle` element (its XML text in `raw_xml`) as a record; None without a PMID."""
    citation = pubmed_data = None
    for child in elem:
        tag = child.tag
        if tag == "MedlineCitation":
            citation = citation if citation is not None else child
        elif tag == "PubmedData":
            pubmed_data = pubmed_data if pubmed_data is not None else child
    if citation is None:
        return None
    pmid_elem = article = journal_info = date_revised = mesh = chemicals = corrections = None
    keyword_lists = []
    for child in citation:
        tag = child.tag
        if tag == "MeshHeadingList":
            mesh = mesh if mesh is not None else child
        elif tag == "Article":
            article = article if article is not None else child
        elif tag == "PMID":
            pmid_elem = pmid_elem if pmid_elem is not None else child
        elif tag == "ChemicalList":
            chemicals = chemicals if chemicals is not None else child
        elif tag == "CommentsCorrectionsList":
            corrections = corrections if corrections is not None else child
        elif tag == "KeywordList":
            keyword_lists.append(child)
        elif tag == "DateRevised":
            date_revised = date_revised if date_revised is not None else child
        elif tag == "MedlineJournalInfo":
            journal_info = journal_info if journal_info is not None else child
    pmid, version = parse_pmid(pmid_elem)
    if pmid is None:
        return None
    (title, abstract, pagination, publication_types, journal_title, iso_abbreviation, volume, issue, pub_date,
     languages, author_lists, elocation_ids, article_dates) = _article_parts(article)
    history_elem, id_list = parse_pubmed_data(pubmed_data)
    history = parse_history(history_elem)
    year, medline_date = parse_pub_date(pub_date)
    if year is None:
        year = parse_fallback_year(article_dates, history)
    ids = parse_article_ids(id_list)
    return PubmedRecord(
        pmid=pmid,
        version=version,
        title=_mixed_text(title),
        abstract=parse_abstract(abstract),
        journal=_text(journal_title),
        journal_abbrev=_text(iso_abbreviation) or _child_text(journal_info, "MedlineTA"),
        year=year,
        medline_date=medline_date,
        volume=_text(volume),
        issue=_text(issue),
        pages=parse_pages(pagination),
        languages=parse_languages(languages),
        publication_types=parse_publication_types(publication_types),
        mesh_headings=parse_mesh_headings(mesh),
        chemicals=parse_chemicals(chemicals),
        keywords=parse_keywords(keyword_lists),
        authors=parse_authors(author_lists),
        doi=_first_id(ids, "doi") or parse_elocation_doi(elocation_ids),
        pmcid=parse_pmcid(_first_id(ids, "pmc")),
        comments_corrections=parse_comments_corrections(corrections),
        date_revised=parse_iso_date(date_revised),
        status=_clean(citation.get("Status")),
        raw_xml=raw_xml,
        article_ids=ids,
        history=history,
    )


def _article_parts(article: etree._Element | None) -> tuple:
    """The elements of `Article` a record reads, gathered in one pass over it and its Journal:
    (title, abstract, pagination, publication type list, journal title, ISO abbreviation,
    volume, issue, pub date, languages, author lists, ELocationIDs, article dates)."""
    title = abstract = pagination = publication_types = journal = None
    languages: list = []
    author_lists: list = []
    elocation_ids: list = []
    article_dates: list = []
    if article is not None:
        for child in article:
            tag = child.tag
            if tag == "AuthorList":
                author_lists.append(child)
            elif tag == "Language":
                languages.append(child)
            elif tag == "ArticleTitle":
                title = title if title is not None else child
            elif tag == "Abstract":
                abstract = abstract if abstract is not None else child
            elif tag == "Journal":
                journal = journal if journal is not None else child
            elif tag == "PublicationTypeList":
                publication_types = publication_types if publication_types is not None else child
            elif tag == "ELocationID":
                elocation_ids.append(child)
            elif tag == "Pagination":
                pagination = pagination if pagination is not None else child
            elif tag == "ArticleDate":
                article_dates.append(child)
    journal_title = iso_abbreviation = volume = issue = pub_date = None
    if journal is not None:
        parts = _first_children(journal)
        journal_title, iso_abbreviation = parts.get("Title"), parts.get("ISOAbbreviation")
        journal_issue = parts.get("JournalIssue")
        if journal_issue is not None:
            parts = _first_children(journal_issue)
            volume, issue, pub_date = parts.get("Volume"), parts.get("Issue"), parts.get("PubDate")
    return (title, abstract, pagination, publication_types, journal_title, iso_abbreviation, volume, issue,
            pub_date, languages, author_lists, elocation_ids, article_dates)


def parse_pubmed_book_article(elem: etree._Element, raw_xml: str) -> PubmedRecord | None:
    """One `PubmedBookArticle` (a book or chapter on NCBI Bookshelf); None without a PMID."""
    document = _child(elem, "BookDocument")
    if document is None:
        return None
    pmid, version = parse_pmid(_child(document, "PMID"))
    if pmid is None:
        return None
    book = _child(document, "Book")
    chapter_title = _mixed_text(_child(document, "ArticleTitle"))
    book_title = _mixed_text(_child(book, "BookTitle"))
    history_elem, id_list = parse_pubmed_data(_child(elem, "PubmedBookData"))
    history = parse_history(history_elem)
    year, medline_date = parse_pub_date(_child(book, "PubDate"))
    if year is None:
        year = parse_fallback_year([], history)
    book_ids, own_ids = parse_article_ids(id_list), parse_article_ids(_child(document, "ArticleIdList"))
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
        languages=parse_languages(document.iterchildren("Language")),
        publication_types=parse_publication_types(document),
        mesh_headings=(),
        chemicals=(),
        keywords=parse_keywords(document.iterchildren("KeywordList")),
        authors=parse_authors(document.iterchildren("AuthorList")),
        doi=_first_id(own_ids, "doi") or _first_id(book_ids, "doi"),  # the chapter's own ids win
        pmcid=parse_pmcid(_first_id(own_ids, "pmc") or _first_id(book_ids, "pmc")),
        comments_corrections=(),
        date_revised=parse_iso_date(_child(document, "DateRevised")),
        status=None,  # MedlineCitation/@Status has no counterpart in BookDocument
        raw_xml=raw_xml,
        is_book=True,
        article_ids=book_ids + own_ids,
        history=history,
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


def parse_abstract(abstract: etree._Element | None) -> tuple[AbstractSection, ...]:
    """Each `AbstractText` as a section with its Label and NlmCategory; empty ones dropped
    (CopyrightInformation is not abstract text)."""
    if abstract is None:
        return ()
    sections = []
    for part in abstract:
        if part.tag == "AbstractText" and (text := _mixed_text(part)):
            sections.append(AbstractSection(_clean(part.get("Label")), _clean(part.get("NlmCategory")), text))
    return tuple(sections)


def parse_pub_date(pub_date: etree._Element | None) -> tuple[int | None, str | None]:
    """(year, MedlineDate). The year is `Year`, else the first 4-digit year in `MedlineDate`
    ("1998 Dec-1999 Jan" -> 1998); MedlineDate is kept only when there is no `Year`."""
    if pub_date is None:
        return None, None
    parts = _first_children(pub_date)
    year = _year(_text(parts.get("Year")))
    if year is not None:
        return year, None
    medline_date = _text(parts.get("MedlineDate"))
    return _year(medline_date), medline_date


def parse_fallback_year(article_dates: list, history: tuple[tuple[str, str], ...]) -> int | None:
    """The year when PubDate gives none: `ArticleDate` (electronic), else the history dates,
    preferring the date the record entered PubMed."""
    for date in article_dates:
        if (year := _year(_child_text(date, "Year"))) is not None:
            return year
    years = {status: int(date[:4]) for status, date in history}
    for status in ("pubmed", "entrez", "medline"):
        if status in years:
            return years[status]
    return min(years.values(), default=None)


def parse_pubmed_data(pubmed_data: etree._Element | None) -> tuple[etree._Element | None, etree._Element | None]:
    """(History, the record's own ArticleIdList) of a `PubmedData` or `PubmedBookData`.
    ReferenceList is not read: the references are not the record."""
    history = id_list = None
    if pubmed_data is not None:
        for child in pubmed_data:
            tag = child.tag
            if tag == "History":
                history = history if history is not None else child
            elif tag == "ArticleIdList":
                id_list = id_list if id_list is not None else child
    return history, id_list


def parse_history(history: etree._Element | None) -> tuple[tuple[str, str], ...]:
    """(PubStatus, date) of each `PubMedPubDate`: "yyyy-mm-dd", or "yyyy-mm"/"yyyy" when less
    is valid; dates without a status or a year are left out."""
    if history is None:
        return ()
    dates = list(history.iterchildren("PubMedPubDate"))
    # Year, Month, Day are required and in this order (DTD): read all their texts in one C-level
    # pass; go date by date only when some are missing.
    texts = list(history.itertext("Year", "Month", "Day", with_tail=False))
    if len(texts) == 3 * len(dates):
        parts = iter(texts)
        triples = zip(parts, parts, parts)
    else:
        triples = ((_child_text(d, "Year"), _child_text(d, "Month"), _child_text(d, "Day")) for d in dates)
    out = []
    for date, (year, month, day) in zip(dates, triples):
        status = date.get("PubStatus")
        if not status:
            continue
        mm, dd = _MONTH_NUMBERS.get(month), _DAY_NUMBERS.get(day)  # the common case: all numeric
        if mm and dd and year and len(year) == 4 and year.isdigit() and year.isascii() and year[0] != "0":
            out.append((status, f"{year}-{mm}-{dd}"))
        elif text := _partial_date(year, month, day):
            out.append((status, text))
    return tuple(out)


def _partial_date(year: str | None, month: str | None, day: str | None) -> str | None:
    """"yyyy-mm-dd" from numeric or named parts, as far as they are valid; None without a year."""
    if not year:
        return None
    y = _int(year)
    if y is None or not 1000 <= y <= 9999:
        return None
    m = _month(month)
    if m is None:
        return f"{y:04d}"
    d = _int(day)
    return f"{y:04d}-{m:02d}" if d is None or not 1 <= d <= 31 else f"{y:04d}-{m:02d}-{d:02d}"


def parse_pages(pagination: etree._Element | None) -> str | None:
    """`MedlinePgn`, else StartPage-EndPage (the newer form)."""
    if pagination is None:
        return None
    parts = _first_children(pagination)
    pages = _text(parts.get("MedlinePgn"))
    if pages:
        return pages
    start, end = _text(parts.get("StartPage")), _text(parts.get("EndPage"))
    return f"{start}-{end}" if start and end else start


def parse_languages(languages) -> tuple[str, ...]:
    """The repeated `Language` codes ("eng", "rus", ...)."""
    return tuple(code for code in (_clean(e.text) for e in languages) if code)


def parse_publication_types(parent: etree._Element | None) -> tuple[tuple[str | None, str], ...]:
    """(UI, name) of each `PublicationType` under `parent` (a PublicationTypeList or BookDocument)."""
    if parent is None:
        return ()
    types = ((_clean(t.get("UI")), _clean(t.text)) for t in parent.iterchildren("PublicationType"))
    return tuple((ui, name) for ui, name in types if name)


def parse_mesh_headings(mesh_list: etree._Element | None) -> tuple[MeshHeading, ...]:
    """MeSH headings. A heading is a major topic when its descriptor or any qualifier is starred,
    as PubMed's [majr] search reads it; names are cleaned (the snapshot has trailing spaces)."""
    if mesh_list is None:
        return ()
    # The hot path walks descriptors and qualifiers only, in C, without a proxy per heading; it
    # holds when every heading is a DescriptorName and its qualifiers, as the DTD has it.
    headings = []
    ui = name = None
    qualifiers: list[str] = []
    major = False
    for part in mesh_list.iter("DescriptorName", "QualifierName"):
        text = part.text
        if part.tag == "DescriptorName":
            if name:
                headings.append(MeshHeading(ui, name, major, tuple(qualifiers)))
            elif headings or qualifiers:
                return _mesh_headings_one_by_one(mesh_list)
            name, ui = _clean(text), _clean(part.get("UI"))
            major, qualifiers = part.get("MajorTopicYN") == "Y", []
        else:
            if name is None:
                return _mesh_headings_one_by_one(mesh_list)
            if qualifier := _clean(text):
                qualifiers.append(qualifier)
            major = major or part.get("MajorTopicYN") == "Y"
    if name:
        headings.append(MeshHeading(ui, name, major, tuple(qualifiers)))
    if len(headings) != len(mesh_list):  # a heading without a descriptor, or with two, or more
        return _mesh_headings_one_by_one(mesh_list)
    return tuple(headings)


def _mesh_headings_one_by_one(mesh_list: etree._Element) -> tuple[MeshHeading, ...]:
    """Each `MeshHeading`: its first DescriptorName (none: no heading) and its QualifierNames."""
    headings = []
    for heading in mesh_list.iterchildren("MeshHeading"):
        descriptor = _child(heading, "DescriptorName")
        name = _text(descriptor)
        if not name:
            continue
        qualifiers = tuple(heading.iterchildren("QualifierName"))
        major = descriptor.get("MajorTopicYN") == "Y" or any(q.get("MajorTopicYN") == "Y" for q in qualifiers)
        names = tuple(n for n in (_text(q) for q in qualifiers) if n)
        headings.append(MeshHeading(_clean(descriptor.get("UI")), name, major, names))
    return tuple(headings)


def parse_chemicals(chemical_list: etree._Element | None) -> tuple[str, ...]:
    """`NameOfSubstance` of each `Chemical`."""
    if chemical_list is None:
        return ()
    names = (" ".join(text.split()) for text in chemical_list.itertext("NameOfSubstance", with_tail=False))
    return tuple(n for n in names if n)


def parse_keywords(keyword_lists) -> tuple[str, ...]:
    """Keywords of every `KeywordList` (author's and NLM's), mixed content joined."""
    words = (_mixed_text(k) for kl in keyword_lists for k in kl.iterchildren("Keyword"))
    return tuple(w for w in words if w)


def parse_authors(author_lists) -> tuple[Author, ...]:
    """Authors of the given `AuthorList`s, skipping lists of editors."""
    return tuple(parse_author(author) for author_list in author_lists if author_list.get("Type") != "editors"
                 for author in author_list if author.tag == "Author")


def parse_author(author: etree._Element) -> Author:
    """One `Author`: a person (LastName, ForeName, Initials) or a `CollectiveName`, with affiliations."""
    last = fore = initials = collective = None
    affiliations = []
    for part in author:
        tag = part.tag
        if tag == "LastName":
            last = last if last is not None else part
        elif tag == "ForeName":
            fore = fore if fore is not None else part
        elif tag == "Initials":
            initials = initials if initials is not None else part
        elif tag == "AffiliationInfo":
            for affiliation in part:
                if affiliation.tag == "Affiliation" and (text := _mixed_text(affiliation)):
                    affiliations.append(text)
        elif tag == "CollectiveName":
            collective = collective if collective is not None else part
    return Author(_text(last), _text(fore), _text(initials), _mixed_text(collective), tuple(affiliations))


def parse_article_ids(id_list: etree._Element | None) -> tuple[tuple[str, str], ...]:
    """(IdType, value) of each id in the record's own `ArticleIdList` (not its references')."""
    if id_list is None:
        return ()
    ids = []
    for article_id in id_list:
        text = article_id.tag == "ArticleId" and article_id.text
        if text and (value := " ".join(text.split())):
            ids.append((article_id.get("IdType", "pubmed"), value))  # the DTD's default IdType
    return tuple(ids)


def _first_id(ids: tuple[tuple[str, str], ...], id_type: str) -> str | None:
    return next((value for kind, value in ids if kind == id_type), None)


def parse_elocation_doi(elocation_ids: list) -> str | None:
    """The DOI from `ELocationID EIdType="doi"`, for records whose ArticleIdList has none."""
    for location in elocation_ids:
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
            parts = _first_children(cc)
            pmid = parts.get("PMID")
            links.append(CommentCorrection(ref_type, _int(pmid.text) if pmid is not None else None,
                                           _text(parts.get("RefSource"))))
    return tuple(links)


def parse_iso_date(date: etree._Element | None) -> str | None:
    """A numeric Year/Month/Day element (DateRevised) as "yyyy-mm-dd"; None unless all are valid."""
    if date is None:
        return None
    texts = list(date.itertext("Year", "Month", "Day", with_tail=False))  # in this order (DTD)
    if len(texts) == 3 and texts[0].isdigit() and (mm := _MONTH_NUMBERS.get(texts[1])) \
            and (dd := _DAY_NUMBERS.get(texts[2])) and len(texts[0]) == 4 and texts[0].isascii() and texts[0][0] != "0":
        return f"{texts[0]}-{mm}-{dd}"  # the common case
    parts = _first_children(date)
    year, month, day = (_int(parts[p].text) if p in parts else None for p in ("Year", "Month", "Day"))
    if year is None or month is None or day is None:
        return None
    if not (1000 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- text helpers ------------------------------------------------------------------------------


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
    if elem is None:
        return None
    return _clean(elem.text)


def _child_text(parent: etree._Element | None, tag: str) -> str | None:
    """The cleaned text of the first child `tag`; None when absent or blank."""
    return _text(_child(parent, tag))


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed and trimmed, as `" ".join(text.split())`; None for missing or blank.

    Most texts are clean already, and splitting a 2,000-character abstract into words to join
    them again costs more than the rest of its record: printable text holds no whitespace but
    the ASCII space (tabs, newlines, NBSP and other Unicode spaces are not printable), so it is
    clean unless a space doubles or ends it."""
    if not text:
        return None
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    return " ".join(text.split()) or None


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _year(text: str | None) -> int | None:
    """The first 4-digit year in a text ("1998 Dec-1999 Jan" -> 1998)."""
    if text and len(text) == 4 and text.isdigit() and text.isascii():
        return int(text)  # the common case: a Year element
    match = _YEAR.search(text) if text else None
    return int(match.group(1)) if match else None


def _month(text: str | None) -> int | None:
    """A month as 1-12 from "02", "2" or "Feb"; None otherwise."""
    if not text:
        return None
    text = text.strip()
    month = _int(text) if text.isdigit() else _MONTHS.get(text[:3].lower())
    return month if month and 1 <= month <= 12 else None


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
