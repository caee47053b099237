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
        raw_xml=f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID></MedlineCitation></PubmedArticle>")
