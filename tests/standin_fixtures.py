"""Fixtures for tests that talk to the loopback E-utilities stand-in (import them in conftest).

`eutils_standin`: a fresh stand-in serving the bundled snapshot on 127.0.0.1, with NCBI's
limits (3 requests/s, 10 with api_key) and no faults; the test scripts faults on it.
`make_entrez_source(**options)`: an `EntrezSource` pointed at it, with quick retries.
`entrez_source`: `make_entrez_source()` with the defaults.
`closed_port_url`: a base URL on a loopback port nobody listens on.
`snapshot_pmids`: the PMIDs of the bundled snapshot's 8 records.
`revised_record(record, ...)`: the record as PubMed would serve it after a revision or a
retraction (a later DateRevised; Retracted Publication type plus a RetractionIn link).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from lxml import etree

from grading.models import PubmedRecord
from grading.pubmed.entrez import EntrezSource
from grading.pubmed.parser import parse_efetch_reply
from grading.settings import bundled_path
from grading.testing.standin import EutilsStandin

TEST_EMAIL = "tests@example.org"


@pytest.fixture()
def eutils_standin() -> Iterator[EutilsStandin]:
    with EutilsStandin([bundled_path("snapshot.xml")]) as standin:
        yield standin


@pytest.fixture()
def make_entrez_source(eutils_standin: EutilsStandin) -> Callable[..., EntrezSource]:
    """Options override: base_url, email, api_key and any EntrezSource keyword."""

    def make(**options: object) -> EntrezSource:
        settings: dict[str, object] = {"base_url": eutils_standin.base_url, "email": TEST_EMAIL, "api_key": None,
                                       "timeout": 5.0, "backoff": 0.02, "max_tries": 4, "seed": 0}
        settings.update(options)
        return EntrezSource(**settings)  # type: ignore[arg-type]

    return make


@pytest.fixture()
def entrez_source(make_entrez_source: Callable[..., EntrezSource]) -> EntrezSource:
    return make_entrez_source()


@pytest.fixture(scope="session")
def snapshot_pmids() -> tuple[int, ...]:
    return (16996037, 16362768, 11443939, 9173745, 24661604, 19662538, 28885585, 27158238)


@pytest.fixture()
def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/entrez/eutils/"


def revised_record(record: PubmedRecord, *, revised_on: date | None = None, days: int = 30,
                   retracted: bool = False, note: str | None = None, retraction_pmid: int = 99_000_001
                   ) -> PubmedRecord:
    """`record` revised on `revised_on` (default: `days` after its DateRevised): optionally
    retracted (publication type Retracted Publication, CommentsCorrections RefType=RetractionIn)
    or with `note` appended to its abstract. Built by editing the record's own XML, then
    parsed like any reply."""
    root = etree.fromstring(record.raw_xml)
    citation = root.find("MedlineCitation")
    revised = citation.find("DateRevised")
    if revised is None:
        revised = etree.SubElement(citation, "DateRevised")
    when = revised_on or date.fromisoformat(record.date_revised or "2020-01-01") + timedelta(days=days)
    for tag, value in (("Year", f"{when.year:04d}"), ("Month", f"{when.month:02d}"), ("Day", f"{when.day:02d}")):
        element = revised.find(tag)
        (element if element is not None else etree.SubElement(revised, tag)).text = value
    article = citation.find("Article")
    if retracted:
        types = article.find("PublicationTypeList")
        etree.SubElement(types, "PublicationType", UI="D016441").text = "Retracted Publication"
        links = citation.find("CommentsCorrectionsList")
        if links is None:
            links = etree.SubElement(citation, "CommentsCorrectionsList")
        link = etree.SubElement(links, "CommentsCorrections", RefType="RetractionIn")
        etree.SubElement(link, "RefSource").text = f"{record.journal_abbrev or 'J'}. {when.year}. Retraction notice."
        etree.SubElement(link, "PMID", Version="1").text = str(retraction_pmid)
    if note:
        abstract = article.find("Abstract")
        if abstract is None:
            abstract = etree.SubElement(article, "Abstract")
        etree.SubElement(abstract, "AbstractText").text = note
    xml = etree.tostring(root, encoding="unicode")
    [new] = parse_efetch_reply(f"<PubmedArticleSet>{xml}</PubmedArticleSet>".encode())
    return new
