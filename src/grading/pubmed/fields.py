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

from lxml import etree

from grading.models import AbstractSection, Author, CommentCorrection, MeshHeading, PubmedRecord
from grading.pubmed.dates import (
    parse_fallback_year,
    parse_history,
    parse_iso_date,
    parse_pub_date,
)
from grading.pubmed.xml_text import (
    _child,
    _child_text,
    _clean,
    _first_children,
    _int,
    _mixed_text,
    _text,
)

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


