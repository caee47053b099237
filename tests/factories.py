"""Small builders for domain values in tests (real records come from XML fixtures)."""

from __future__ import annotations

from grading.models import AbstractSection, Author, MeshHeading, PubmedRecord


def make_record(pmid: int, title: str = "A study", abstract: str = "", *, year: int | None = 2020,
                authors: tuple[str, ...] = ("Smith J",), journal: str = "J Test", doi: str | None = None,
                pmcid: str | None = None, pub_types: tuple[str, ...] = ("Journal Article",),
                mesh: tuple[str, ...] = (), volume: str | None = None, pages: str | None = None,
                retracted: bool = False) -> PubmedRecord:
    auths = []
    for a in authors:
        last, _, initials = a.rpartition(" ")
        auths.append(Author(last_name=last or initials, fore_name=None, initials=initials if last else None))
    types = tuple((None, t) for t in pub_types) + ((("D016441", "Retracted Publication"),) if retracted else ())
    return PubmedRecord(
        pmid=pmid, version=1, title=title, abstract=(AbstractSection(None, None, abstract),) if abstract else (),
        journal=journal, journal_abbrev=journal, year=year, medline_date=None, volume=volume, issue=None,
        pages=pages, languages=("eng",), publication_types=types,
        mesh_headings=tuple(MeshHeading(None, m, False) for m in mesh), chemicals=(), keywords=(),
        authors=tuple(auths), doi=doi, pmcid=pmcid, comments_corrections=(), date_revised=None, status="MEDLINE",
        raw_xml=record_xml(pmid, title, abstract, year, auths, journal, volume, pages, doi, pmcid, pub_types))


def record_xml(pmid: int, title: str, abstract: str, year: int | None, authors: list[Author], journal: str,
               volume: str | None, pages: str | None, doi: str | None, pmcid: str | None,
               pub_types: tuple[str, ...]) -> str:
    """efetch XML for a made record, so a stand-in serving it answers what the record says."""
    from xml.sax.saxutils import escape

    names = "".join(f"<Author><LastName>{escape(a.last_name or '')}</LastName>"
                    f"<Initials>{escape(a.initials or '')}</Initials></Author>" for a in authors)
    ids = "".join(f'<ArticleId IdType="{t}">{escape(v)}</ArticleId>' for t, v in (("doi", doi), ("pmc", pmcid)) if v)
    return (f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article><Journal><JournalIssue>"
            f"{f'<Volume>{escape(volume)}</Volume>' if volume else ''}"
            f"<PubDate>{f'<Year>{year}</Year>' if year else ''}</PubDate></JournalIssue>"
            f"<Title>{escape(journal)}</Title><ISOAbbreviation>{escape(journal)}</ISOAbbreviation></Journal>"
            f"<ArticleTitle>{escape(title)}</ArticleTitle>"
            f"{f'<Pagination><MedlinePgn>{escape(pages)}</MedlinePgn></Pagination>' if pages else ''}"
            f"{f'<Abstract><AbstractText>{escape(abstract)}</AbstractText></Abstract>' if abstract else ''}"
            f"<AuthorList>{names}</AuthorList><PublicationTypeList>"
            + "".join(f"<PublicationType>{escape(t)}</PublicationType>" for t in pub_types)
            + f"</PublicationTypeList></Article></MedlineCitation><PubmedData><ArticleIdList>"
              f'<ArticleId IdType="pubmed">{pmid}</ArticleId>{ids}</ArticleIdList></PubmedData></PubmedArticle>')
