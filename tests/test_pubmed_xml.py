"""The PubMed XML parser: the bundled snapshot, agreement with Bio.Entrez, hand-made edge cases
(tests/fixtures/pubmed/, one file per case), no network, and junk that must fail cleanly."""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from grading.models import Author, CommentCorrection, MeshHeading, PubmedRecord
from grading.pubmed import parser as pubmed_xml
from grading.pubmed.fields import parse_deleted_pmids, parse_pubmed_article, parse_pubmed_book_article
from grading.pubmed.parser import (
    DeletedCitations,
    ParseStats,
    PubmedXmlError,
    Shard,
    UnshardableXml,
    _iter_elements,
    iter_placed_records,
    iter_pubmed_xml,
    parse_efetch_reply,
)
from tests.helpers import snapshot_records

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
SNAPSHOT = Path(__file__).resolve().parents[1] / "src" / "grading" / "data" / "snapshot.xml"
SNAPSHOT_PMIDS = [16996037, 16362768, 11443939, 9173745, 24661604, 19662538, 28885585, 27158238]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def records_of(name: str) -> dict[int, PubmedRecord]:
    return {r.pmid: r for r in parse_efetch_reply(fixture_bytes(name))}


@pytest.fixture(scope="module")
def snapshot() -> dict[int, PubmedRecord]:
    return snapshot_records()


@pytest.fixture
def no_network(monkeypatch):
    """Any socket opened from Python fails the test loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError("the PubMed XML parser opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- the bundled snapshot ----------------------------------------------------------------------


def test_snapshot_yields_its_eight_records_in_order():
    stats = ParseStats()
    records = list(iter_pubmed_xml(SNAPSHOT, stats))
    assert [r.pmid for r in records] == SNAPSHOT_PMIDS
    assert stats == ParseStats(records=8, books=0, deleted=0, skipped_no_pmid=0)


def test_snapshot_brain_res_record(snapshot):
    r = snapshot[16996037]
    assert r.title == (
        "Semax, an analog of ACTH(4-10) with cognitive effects, regulates BDNF and trkB expression "
        "in the rat hippocampus"
    )
    assert (r.year, r.medline_date) == (2006, None)
    assert (r.journal, r.journal_abbrev) == ("Brain Research", "Brain Res")
    assert (r.volume, r.issue, r.pages) == ("1117", None, "54-60")
    assert len(r.authors) == 14
    assert r.authors[0] == Author("Dolotov", "O V", "OV")
    assert r.authors[-1].last_name == "Engele"
    assert (r.version, r.status, r.is_book) == (1, "MEDLINE", False)
    assert r.abstract[0].text.startswith("The heptapeptide Semax (Met-Glu-His-Phe-Pro-Gly-Pro)")
    assert "50 μg/kg" in r.abstract[0].text  # non-ASCII survives
    assert (r.abstract[0].label, r.abstract[0].nlm_category) == (None, None)
    # no DOI anywhere in this record: missing is None, lists are empty tuples
    assert (r.doi, r.pmcid, r.date_revised) == (None, None, None)
    assert r.mesh_headings == () and r.keywords == () and r.chemicals == () and r.comments_corrections == ()


def test_snapshot_russian_record_languages_types_and_mesh(snapshot):
    r = snapshot[11443939]
    assert r.languages == ("rus",)
    assert ("D004740", "English Abstract") in r.publication_types
    assert r.publication_types[0] == ("D016428", "Journal Article")
    names = [m.descriptor for m in r.mesh_headings]
    assert "Humans" in names
    assert all(n == n.strip() for n in names)  # the snapshot has "Neprilysin " etc.
    assert names.count("Adrenocorticotropic Hormone") == 2
    assert MeshHeading(None, "Neprilysin", True, ("antagonists & inhibitors",)) in r.mesh_headings
    assert MeshHeading(None, "Humans", False, ()) in r.mesh_headings
    assert r.doi == "10.1023/a:1011373002885"
    assert (r.volume, r.issue) == ("27", "3")
    assert not r.retracted


def test_snapshot_ids(snapshot):
    assert snapshot[24661604].pmcid == "PMC3987924"
    assert snapshot[24661604].doi == "10.1186/1471-2164-15-228"
    assert snapshot[9173745].abstract == ()
    assert snapshot[9173745].abstract_text == ""


def test_raw_xml_replays_to_the_same_record(snapshot):
    for record in snapshot.values():
        assert record.raw_xml.startswith("<PubmedArticle>") and record.raw_xml.endswith("</PubmedArticle>")
        # the pipeline stores raw_xml and re-parses it wrapped like this
        assert parse_efetch_reply(f"<PubmedArticleSet>{record.raw_xml}</PubmedArticleSet>".encode()) == [record]


def test_records_are_released_as_parsing_goes():
    """Memory stays flat: each record element is cleared and dropped from the root once read."""
    records = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", SNAPSHOT.read_bytes(), re.DOTALL)
    data = b"<PubmedArticleSet>" + b"\n".join(records * 50) + b"</PubmedArticleSet>"
    held = [len(elem.getparent()) for elem in _iter_elements(io.BytesIO(data))]
    assert len(held) == 400
    assert max(held) < 40  # read-ahead only; without deleting, the root would hold all 400


class Unseekable(io.RawIOBase):
    """A pipe-like stream (an HTTP body): readable, not seekable."""

    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._inner.read(min(len(buffer), 1000))  # short reads, like a socket
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("form", ["path", "str", "bytes", "file", "unseekable", "gzip path", "gzip bytes",
                                  "gzip file", "gzip unseekable"])
def test_every_kind_of_source_gives_the_same_records(form, snapshot, tmp_path):
    data = SNAPSHOT.read_bytes()
    gz = tmp_path / "pubmed25n0001.xml.gz"
    gz.write_bytes(gzip.compress(data))
    plain_copy = tmp_path / "no-extension"
    plain_copy.write_bytes(data)
    source = {
        "path": plain_copy, "str": str(SNAPSHOT), "bytes": data, "file": io.BytesIO(data),
        "unseekable": Unseekable(data), "gzip path": gz, "gzip bytes": gzip.compress(data),
        "gzip file": io.BytesIO(gzip.compress(data)), "gzip unseekable": Unseekable(gzip.compress(data)),
    }[form]
    assert list(iter_pubmed_xml(source)) == list(snapshot.values())


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    disguised = tmp_path / "looks-plain.xml"  # gzip content without .gz
    disguised.write_bytes(gzip.compress(fixture_bytes("structured_abstract.xml")))
    assert [r.pmid for r in iter_pubmed_xml(disguised)] == [90000001]


def test_text_mode_file_is_refused(tmp_path):
    with open(SNAPSHOT, encoding="utf-8") as text_file, pytest.raises(TypeError, match="binary"):
        list(iter_pubmed_xml(text_file))


# --- agreement with Bio.Entrez.read ------------------------------------------------------------


def _plain(value) -> str:
    """Bio.Entrez keeps inline markup as text ("<i>x</i>"): drop it and normalise whitespace."""
    return " ".join(re.sub(r"<[^>]+>", "", str(value)).split())


def _entrez_view(article) -> dict:
    citation = article["MedlineCitation"]
    art = citation["Article"]
    ids = {str(i.attributes["IdType"]): str(i) for i in article.get("PubmedData", {}).get("ArticleIdList", [])}
    elocation_doi = next((str(e) for e in art.get("ELocationID", [])
                          if e.attributes["EIdType"] == "doi" and e.attributes.get("ValidYN", "Y") == "Y"), None)
    return {
        "pmid": int(citation["PMID"]),
        "title": _plain(art["ArticleTitle"]),
        "abstract": [(t.attributes.get("Label"), _plain(t)) for t in art.get("Abstract", {}).get("AbstractText", [])],
        "last_names": [a.get("LastName") for a in art.get("AuthorList", [])],
        "publication_types": [(t.attributes.get("UI"), str(t)) for t in art["PublicationTypeList"]],
        "mesh": [(m["DescriptorName"].attributes.get("UI"), str(m["DescriptorName"]).strip())
                 for m in citation.get("MeshHeadingList", [])],
        "doi": ids.get("doi") or elocation_doi,
        "pmcid": ids.get("pmc"),
        "languages": [str(x) for x in art["Language"]],
    }


def _our_view(r: PubmedRecord) -> dict:
    return {
        "pmid": r.pmid,
        "title": r.title,
        "abstract": [(s.label, s.text) for s in r.abstract],
        "last_names": [a.last_name for a in r.authors],
        "publication_types": list(r.publication_types),
        "mesh": [(m.descriptor_ui, m.descriptor) for m in r.mesh_headings],
        "doi": r.doi,
        "pmcid": r.pmcid,
        "languages": list(r.languages),
    }


@pytest.mark.parametrize("path", [SNAPSHOT, FIXTURES / "all_fields.xml", FIXTURES / "structured_abstract.xml"],
                         ids=lambda p: p.name)
def test_agrees_with_bio_entrez_read(path, no_network):
    entrez = pytest.importorskip("Bio.Entrez")
    # Biopython ships pubmed_250101.dtd; without it Entrez.read would try to download it.
    if not (Path(entrez.__file__).parent / "DTDs" / "pubmed_250101.dtd").exists():
        pytest.skip("Biopython's bundled pubmed_250101.dtd is missing, Entrez.read would need the network")
    with open(path, "rb") as handle:
        try:
            theirs = [_entrez_view(a) for a in entrez.read(handle)["PubmedArticle"]]
        except (OSError, AssertionError) as exc:  # it tried to fetch a DTD; no_network refused
            pytest.skip(f"Bio.Entrez could not load the DTD offline: {exc}")
    ours = [_our_view(r) for r in iter_pubmed_xml(path)]
    assert len(ours) == len(theirs) > 0
    for mine, bio in zip(ours, theirs):
        for field in bio:
            assert mine[field] == bio[field], (mine["pmid"], field)


# --- hand-made edge cases ----------------------------------------------------------------------


def test_structured_abstract_keeps_labels_and_categories():
    r = records_of("structured_abstract.xml")[90000001]
    assert [(s.label, s.nlm_category) for s in r.abstract] == [
        ("BACKGROUND", "BACKGROUND"), ("METHODS", "METHODS"), ("RESULTS", "RESULTS"),
        ("CONCLUSIONS AND RELEVANCE", "CONCLUSIONS"),
    ]
    assert r.abstract[1].text == "We randomly assigned 120 patients to peptide or placebo."
    assert r.abstract[2].text == "Recovery improved (P<0.05; 95% CI 1.1 to 2.0)."
    assert r.abstract_text.startswith("BACKGROUND: Stroke is common. METHODS: We randomly")
    assert "Copyright" not in r.abstract_text
    assert ("D016449", "Randomized Controlled Trial") in r.publication_types


def test_medline_date_range_gives_the_first_year():
    r = records_of("medline_date_range.xml")[90000002]
    assert (r.year, r.medline_date) == (1998, "1998 Dec-1999 Jan")
    assert r.journal_abbrev == "J Hand Fixt"  # no ISOAbbreviation: NLM's MedlineTA
    assert r.pages is None


def test_pub_date_without_year_falls_back_to_article_date_then_history():
    records = records_of("pub_date_fallbacks.xml")
    assert (records[90000003].year, records[90000003].medline_date) == (2019, "Spring")
    assert records[90000004].year == 2020  # the "pubmed" date, not "received" 2018
    assert records[90000004].status == "In-Process"


def test_mixed_content_title_joins_markup_and_mathml():
    r = records_of("mixed_content_title.xml")[90000005]
    # a naive itertext() + whitespace normalisation would give "T 2-weighted"
    assert r.title == "Effect of Panax ginseng on Ca2+ and H2O2 in T2-weighted MRI."
    assert r.abstract[0].text == "The rate was k=0.5 per hour in vitro."
    assert r.keywords == ("Panax ginseng", "MRI")
    assert r.version == 2
    assert "<mml:msub>" in r.raw_xml  # raw XML keeps the markup


def test_http_dtd_doctype_parses_without_network(no_network):
    r = records_of("doctype_http_dtd.xml")[90000006]
    assert r.title == "An old baseline record & its DTD."
    assert list(iter_pubmed_xml(FIXTURES / "doctype_http_dtd.xml")) == [r]


def test_no_dtd_or_external_entity_is_fetched_even_by_libxml2(tmp_path):
    """libxml2 does its own I/O, below Python's socket module: listen on loopback and check that
    nothing connects, and that a file named by an external entity is not read into the record."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.3)
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        data = (f'<!DOCTYPE PubmedArticleSet SYSTEM "{base}/pubmed_190101.dtd" [\n'
                f'<!ENTITY remote SYSTEM "{base}/remote.txt">\n'
                f'<!ENTITY local SYSTEM "{secret.as_uri()}">\n]>\n'
                '<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>'
                '<ArticleTitle>a &remote; b &local; c</ArticleTitle></Article></MedlineCitation>'
                '</PubmedArticle></PubmedArticleSet>').encode()
        [r] = parse_efetch_reply(data)
        with pytest.raises(socket.timeout):
            listener.accept()
    assert "SECRET" not in r.title and "SECRET" not in r.raw_xml
    assert r.title == "a &remote; b &local; c"  # unresolved references are kept literally


def test_entity_expansion_bomb_is_not_expanded():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (f'<!DOCTYPE PubmedArticleSet [<!ENTITY l0 "lol">{lol}]><PubmedArticleSet><PubmedArticle>'
            '<MedlineCitation><PMID>2</PMID><Article><ArticleTitle>&l9;</ArticleTitle></Article>'
            '</MedlineCitation></PubmedArticle></PubmedArticleSet>').encode()
    try:
        [r] = parse_efetch_reply(data)
    except PubmedXmlError as exc:  # libxml2 refuses the amplification outright
        assert "amplification" in str(exc)
    else:
        assert r.title == "&l9;"  # or keeps the reference unexpanded


def test_deeply_nested_markup_neither_recurses_nor_hangs():
    depth = 5000
    title = "<i>" * depth + "deep" + "</i>" * depth
    data = (f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>3</PMID><Article><ArticleTitle>{title}"
            "</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>").encode()
    try:
        records = parse_efetch_reply(data)
    except PubmedXmlError:  # libxml2 may refuse the depth; either way no RecursionError
        return
    assert records[0].title == "deep"


def test_book_article():
    r = records_of("book_article.xml")[90000007]
    assert r.is_book
    assert r.title == "Peptide Deficiency"
    assert r.journal == "Fixture Reviews®"  # a chapter's container is its book
    assert [a.last_name for a in r.authors] == ["Writer", "Scribe"]  # the book's editors left out
    assert (r.year, r.languages, r.publication_types) == (1993, ("eng",), (("D000075163", "Review"),))
    assert [s.label for s in r.abstract] == ["CLINICAL CHARACTERISTICS", "DIAGNOSIS/TESTING"]
    assert (r.date_revised, r.status, r.doi, r.pmcid) == ("2022-10-13", None, None, None)
    assert r.raw_xml.startswith("<PubmedBookArticle>")
    stats = ParseStats()
    list(iter_pubmed_xml(FIXTURES / "book_article.xml", stats))
    assert (stats.records, stats.books) == (1, 1)


def test_delete_citation_block_of_an_update_file():
    stats = ParseStats()
    items = list(iter_pubmed_xml(FIXTURES / "update_file_delete_citation.xml", stats))
    assert [type(i) for i in items] == [PubmedRecord, DeletedCitations]
    assert items[1] == DeletedCitations((90000101, 90000102, 90000103))
    assert (stats.records, stats.deleted) == (1, 3)
    # an efetch reply's list holds records only
    assert [r.pmid for r in parse_efetch_reply(fixture_bytes("update_file_delete_citation.xml"))] == [90000008]


def test_retracted_publications():
    records = records_of("retracted_publication.xml")
    assert records[90000009].retracted  # type and RetractionIn
    assert records[90000010].retracted  # RetractionIn alone
    assert not records[90000011].retracted  # an erratum is not a retraction
    assert records[90000009].comments_corrections == (
        CommentCorrection("RetractionIn", 90000201, "J Hand Fixt. 2014;3:1"),
        CommentCorrection("CommentIn", None, "J Hand Fixt. 2013;2:9"),
    )


def test_all_fields():
    r = records_of("all_fields.xml")[90000013]
    assert (r.pmid, r.version, r.status) == (90000013, 3, "MEDLINE")
    assert r.title == "Semax in rats: a hand-made record."
    assert (r.journal, r.journal_abbrev) == ("Journal of Hand-made Fixtures", "J Hand Fixt")
    assert (r.year, r.medline_date, r.volume, r.issue) == (2020, None, "33", "2 Suppl 1")
    assert r.pages == "e1001-e1009"
    assert r.languages == ("eng", "rus")
    assert r.publication_types == (("D016428", "Journal Article"), ("D023362", "Evaluation Study"))
    assert r.authors == (
        Author("Petrov", "Ivan I", "II", None, ("Institute of Molecular Genetics, Moscow, Russia.",
                                                "Department of Fixtures, Hand-made University.")),
        Author(None, None, None, "Hand-made Study Group", ()),
    )
    assert r.mesh_headings == (
        MeshHeading("D000818", "Animals", False, ()),
        MeshHeading("D009842", "Oligopeptides", True, ("administration & dosage", "pharmacology")),
        MeshHeading("D051381", "Rats", False, ()),
    )
    assert r.chemicals == ("Oligopeptides", "Adrenocorticotropic Hormone")
    assert r.keywords == ("BDNF", "nootropic")
    assert (r.doi, r.pmcid) == ("10.1000/own.doi", "PMC9000013")  # not the reference's ids
    assert r.comments_corrections == (
        CommentCorrection("ErratumIn", 90000301, "J Hand Fixt. 2020;33(3):e2000"),
        CommentCorrection("CommentIn", None, "J Hand Fixt. 2020;33(4):e3000"),
    )
    assert r.date_revised == "2024-02-29"
    assert "<ReferenceList>" in r.raw_xml


def test_doi_falls_back_to_the_valid_elocation_id():
    r = records_of("doi_from_elocation_id.xml")[90000014]
    assert r.doi == "10.1000/ELocation.DOI"
    assert r.pmcid is None


def test_records_without_a_usable_pmid_are_skipped_and_counted():
    stats = ParseStats()
    records = parse_efetch_reply(fixture_bytes("missing_pmid.xml"), stats)
    assert [r.pmid for r in records] == [90000012]
    assert stats.skipped_no_pmid == 2
    bare = records[0]
    assert (bare.title, bare.journal, bare.year, bare.languages, bare.authors) == ("Bare but valid.", None, None, (), ())


# --- replies that are not records: PubmedXmlError, so callers retry ----------------------------


def test_empty_article_set_is_a_valid_reply_with_no_records():
    assert parse_efetch_reply(fixture_bytes("empty_article_set.xml")) == []
    assert parse_efetch_reply(b"<PubmedArticleSet/>") == []
    assert parse_efetch_reply(b"<PubmedArticleSet>\n  \n</PubmedArticleSet>\n") == []


@pytest.mark.parametrize("name, message", [
    ("efetch_error.xml", "Unable to obtain query #1"),
    ("error_inside_article_set.xml", "Empty Response"),
    ("html_error_page.html", "HTML"),
])
def test_error_replies_raise(name, message):
    with pytest.raises(PubmedXmlError, match=re.escape(message)) as info:
        parse_efetch_reply(fixture_bytes(name))
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("body", [b"", b"   \n", b"Service unavailable", b"<eSearchResult><Count>0</Count></eSearchResult>",
                                  b"<html><body>ok</body></html>", b"\x1f\x8b\x08\x00garbage", b'{"error":"API rate limit exceeded"}'])
def test_bodies_that_are_not_pubmed_xml_raise(body):
    with pytest.raises(PubmedXmlError):
        parse_efetch_reply(body)


def test_every_truncation_of_the_snapshot_raises():
    data = SNAPSHOT.read_bytes()
    end = len(data.rstrip())
    for cut in list(range(0, end, 97)) + [end - 1]:
        with pytest.raises(PubmedXmlError):
            parse_efetch_reply(data[:cut])


def test_truncated_gzip_raises():
    packed = gzip.compress(SNAPSHOT.read_bytes())
    for cut in (10, len(packed) // 2, len(packed) - 4):
        with pytest.raises(PubmedXmlError):
            parse_efetch_reply(packed[:cut])


def test_iteration_raises_too_but_after_the_good_records():
    data = SNAPSHOT.read_bytes()
    cut = data.index(b"24661604") + 200  # inside the fifth record
    seen = []
    with pytest.raises(PubmedXmlError):
        for record in iter_pubmed_xml(data[:cut]):
            seen.append(record.pmid)
    assert seen == SNAPSHOT_PMIDS[:4]
    with pytest.raises(PubmedXmlError, match="root element is <eFetchResult>"):
        list(iter_pubmed_xml(b"<eFetchResult><Count>0</Count></eFetchResult>"))


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_raise_only_pubmed_xml_error(data):
    for body in (data, gzip.compress(data)):
        try:
            assert isinstance(parse_efetch_reply(body), list)
        except PubmedXmlError:
            pass


XML_PIECES = [
    "<PubmedArticleSet>", "</PubmedArticleSet>", "<PubmedArticle>", "</PubmedArticle>", "<MedlineCitation>",
    "</MedlineCitation>", '<PMID Version="x">', "<PMID>", "</PMID>", "12345", "-1", "0", "<Article>", "</Article>",
    "<ArticleTitle>", "</ArticleTitle>", "<i>", "</i>", "<PubDate>", "</PubDate>", "<Year>", "</Year>",
    "<MedlineDate>", "</MedlineDate>", "<DeleteCitation>", "</DeleteCitation>", "<ERROR>", "</ERROR>",
    "<PubmedBookArticle>", "</PubmedBookArticle>", "<BookDocument>", "</BookDocument>", "<DateRevised>",
    "</DateRevised>", "<Month>", "</Month>", "<Day>", "</Day>", "13", "99999", "Dec", "&amp;", "&x;", "<!-- c -->",
    "<![CDATA[<b>]]>", "<?pi x?>", " ", "\n", "text", "é", '<!DOCTYPE PubmedArticleSet SYSTEM "http://x/y.dtd">',
    '<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML">', "</mml:math>", '<?xml version="1.0"?>',
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(XML_PIECES), max_size=60))
def test_xml_shaped_junk_raises_only_pubmed_xml_error(pieces):
    try:
        records = parse_efetch_reply("".join(pieces).encode())
    except PubmedXmlError:
        return
    for record in records:
        assert isinstance(record.pmid, int) and record.pmid > 0


def _assert_well_typed(r: PubmedRecord) -> None:
    def clean_or_none(value):
        return value is None or (isinstance(value, str) and value and value == " ".join(value.split()))

    assert isinstance(r.pmid, int) and r.pmid > 0 and isinstance(r.version, int) and r.version >= 1
    for value in (r.title, r.journal, r.journal_abbrev, r.medline_date, r.volume, r.issue, r.pages, r.doi,
                  r.pmcid, r.status):
        assert clean_or_none(value)
    assert r.year is None or isinstance(r.year, int)
    assert r.date_revised is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.date_revised)
    for seq in (r.abstract, r.languages, r.publication_types, r.mesh_headings, r.chemicals, r.keywords,
                r.authors, r.comments_corrections):
        assert isinstance(seq, tuple)
    assert all(s.text and clean_or_none(s.text) for s in r.abstract)
    assert all(clean_or_none(m.descriptor) and isinstance(m.qualifiers, tuple) for m in r.mesh_headings)


XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")) | st.sampled_from("\n\t "),
                   max_size=12)
ATTRIBUTES = ["Version", "Label", "NlmCategory", "UI", "MajorTopicYN", "IdType", "EIdType", "ValidYN",
              "RefType", "Status", "Type", "PubStatus"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["text", "attribute", "drop"]),
                          st.sampled_from(ATTRIBUTES), XML_TEXT), max_size=10))
def test_mutated_snapshot_records_are_well_typed_and_replay(mutations):
    """Real records with random text, attributes and missing elements: fields stay well typed
    (missing None, tuples, cleaned strings) and raw_xml parses back to the same record."""
    root = etree.fromstring(SNAPSHOT.read_bytes(), etree.XMLParser(load_dtd=False, no_network=True))
    elements = list(root.iter(etree.Element))
    for index, action, attribute, value in mutations:
        element = elements[index % len(elements)]
        if action == "text":
            element.text = value
        elif action == "attribute":
            element.set(attribute, value)
        elif element.getparent() is not None:
            element.getparent().remove(element)
    records = parse_efetch_reply(etree.tostring(root))
    for record in records:
        _assert_well_typed(record)
        assert parse_efetch_reply(f"<PubmedArticleSet>{record.raw_xml}</PubmedArticleSet>".encode()) == [record]


# --- the reader by cuts: the same records as iterparse, raw XML as the bytes came ---------------

FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.xml"))


def _without_raw(items):
    return [dataclasses.replace(i, raw_xml="") if isinstance(i, PubmedRecord) else i for i in items]


def _by_iterparse(data: bytes):
    """The reference: iterparse over the whole document, each record serialised again."""
    out = []
    for elem in _iter_elements(io.BytesIO(data)):
        if elem.tag == "DeleteCitation":
            out.append(DeletedCitations(parse_deleted_pmids(elem)))
            continue
        parse = parse_pubmed_book_article if elem.tag == "PubmedBookArticle" else parse_pubmed_article
        if (record := parse(elem, etree.tostring(elem, encoding="unicode", with_tail=False))) is not None:
            out.append(record)
    return out


@pytest.mark.parametrize("cut_bytes", [1, 97, 1 << 16])
@pytest.mark.parametrize("name", FIXTURE_FILES + ["snapshot"])
def test_wherever_the_bytes_are_cut_the_records_are_those_of_iterparse(name, cut_bytes, monkeypatch):
    data = SNAPSHOT.read_bytes() if name == "snapshot" else fixture_bytes(name)
    monkeypatch.setattr(pubmed_xml, "_CUT_BYTES", cut_bytes)
    try:
        expected = _by_iterparse(data)
    except PubmedXmlError as exc:
        with pytest.raises(PubmedXmlError, match=re.escape(str(exc).split(":")[0])):
            list(iter_pubmed_xml(data))
        return
    got = list(iter_pubmed_xml(data))
    assert _without_raw(got) == _without_raw(expected)
    for record in got:
        if isinstance(record, PubmedRecord):  # raw XML replays, whichever way it was taken
            assert parse_efetch_reply(f"<PubmedArticleSet>{record.raw_xml}</PubmedArticleSet>".encode()) == [record]


def test_raw_xml_is_the_records_bytes_as_they_came():
    """CRLF line ends survive in raw XML: it was cut out of the bytes, not serialised again
    (which would give LF: the parser normalises line ends)."""
    data = fixture_bytes("all_fields.xml").replace(b"\n", b"\r\n")
    [record] = parse_efetch_reply(data)
    assert record.raw_xml.count("\r\n") > 50 and record.raw_xml.encode() in data
    assert dataclasses.replace(record, raw_xml="") == dataclasses.replace(records_of("all_fields.xml")[90000013],
                                                                           raw_xml="")


def test_processing_instructions_comments_and_cdata_between_and_inside_records(monkeypatch):
    data = fixture_bytes("markup_between_records.xml")
    for cut_bytes in (1, 50, 1 << 16):
        monkeypatch.setattr(pubmed_xml, "_CUT_BYTES", cut_bytes)
        records = {r.pmid: r for r in iter_pubmed_xml(data)}
        assert records[90000021].title == "A processing instruction in the title."
        assert records[90000022].title == "An end tag in </PubmedArticle> a CDATA section."
        assert records[90000023].title == "Windows line ends & a reference."
        assert "<?pmcsd ?>" in records[90000021].raw_xml and records[90000021].raw_xml in data.decode()
        for record in records.values():
            assert parse_efetch_reply(f"<PubmedArticleSet>{record.raw_xml}</PubmedArticleSet>".encode()) == [record]


@pytest.mark.parametrize("prologue, why", [
    (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<PubmedArticleSet>', "another encoding"),
    (b'<PubmedArticleSet xmlns:mml="http://www.w3.org/1998/Math/MathML">', "a root with attributes"),
    (b'<!-- <PubmedArticleSet> --><PubmedArticleSet>', "the root tag in a comment first"),
    (b'<!DOCTYPE PubmedArticleSet [<!ENTITY x "y">]><PubmedArticleSet>', "a DTD subset"),
])
def test_documents_that_cannot_be_cut_are_read_by_iterparse(prologue, why):
    data = prologue + SNAPSHOT.read_bytes().split(b"<PubmedArticleSet>", 1)[1]
    assert pubmed_xml._plain_prologue(data, etree.XMLParser(**pubmed_xml._PARSER_OPTIONS)) is None, why
    assert [r.pmid for r in parse_efetch_reply(data)] == SNAPSHOT_PMIDS


def test_a_record_inside_another_element_is_found_as_iterparse_finds_it():
    records = SNAPSHOT.read_bytes().split(b"<PubmedArticleSet>", 1)[1]
    first, rest = records.split(b"</PubmedArticle>", 1)
    data = b"<PubmedArticleSet><Wrapper>" + first + b"</PubmedArticle></Wrapper>" + rest
    assert [r.pmid for r in parse_efetch_reply(data)] == SNAPSHOT_PMIDS


def test_mesh_headings_out_of_the_dtds_shape_are_read_one_by_one():
    data = (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>4</PMID><MeshHeadingList>"
            b"<MeshHeading><QualifierName>orphan</QualifierName></MeshHeading>"
            b'<MeshHeading><DescriptorName UI="D1" MajorTopicYN="N">First</DescriptorName>'
            b'<DescriptorName UI="D2">Second</DescriptorName><QualifierName MajorTopicYN="Y">q</QualifierName>'
            b"</MeshHeading></MeshHeadingList></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    [r] = parse_efetch_reply(data)
    assert r.mesh_headings == (MeshHeading("D1", "First", True, ("q",)),)  # no descriptor: no heading


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(XML_PIECES), max_size=60), st.sampled_from([1, 7, 64]))
def test_junk_read_in_small_cuts_gives_what_iterparse_gives(pieces, cut_bytes):
    data = ('<?xml version="1.0"?><PubmedArticleSet>' + "".join(pieces)).encode()
    original = pubmed_xml._CUT_BYTES
    pubmed_xml._CUT_BYTES = cut_bytes
    try:
        try:
            got = parse_efetch_reply(data)
        except PubmedXmlError:
            got = None
    finally:
        pubmed_xml._CUT_BYTES = original
    try:
        expected = [r for r in _by_iterparse(data) if isinstance(r, PubmedRecord)]
    except PubmedXmlError:
        expected = None
    assert (got is None) == (expected is None)
    if got is not None:
        assert _without_raw(got) == _without_raw(expected)


def test_article_ids_and_history():
    r = records_of("all_fields.xml")[90000013]
    assert r.article_ids == (("pubmed", "90000013"), ("doi", "10.1000/own.doi"), ("pmc", "PMC9000013"))
    assert r.history == (("received", "2019-10-01"), ("pubmed", "2019-12-21"))
    book = records_of("book_article.xml")[90000007]
    assert book.article_ids == (("pubmed", "90000007"), ("bookaccession", "NBK0000001"))
    assert book.history == (("pubmed", "2010-02-05"),)


def test_article_id_without_id_type_is_pubmed_as_the_dtd_says():
    data = (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>5</PMID></MedlineCitation><PubmedData>"
            b"<ArticleIdList><ArticleId>5</ArticleId><ArticleId IdType='doi'> 10.1/x </ArticleId></ArticleIdList>"
            b"<History><PubMedPubDate PubStatus='entrez'><Year>2001</Year><Month>Mar</Month></PubMedPubDate>"
            b"<PubMedPubDate PubStatus='pubmed'><Year>2001</Year><Month>3</Month><Day>40</Day></PubMedPubDate>"
            b"<PubMedPubDate><Year>2002</Year><Month>1</Month><Day>1</Day></PubMedPubDate></History>"
            b"</PubmedData></PubmedArticle></PubmedArticleSet>")
    [r] = parse_efetch_reply(data)
    assert r.article_ids == (("pubmed", "5"), ("doi", "10.1/x"))
    assert r.history == (("entrez", "2001-03"), ("pubmed", "2001-03"))  # no status: left out; day 40: dropped
    assert r.year == 2001  # no PubDate: the "pubmed" history date


# --- shards: several processes sharing one file --------------------------------------------------


def _placed(data: bytes, shard: Shard) -> list[tuple[int, object]]:
    return list(iter_placed_records(data, shard=shard))


@pytest.mark.parametrize("cut_bytes", [400, 1 << 16])
@pytest.mark.parametrize("count", [2, 3, 5])
def test_shards_split_a_document_exactly_and_agree_on_places(count, cut_bytes, monkeypatch):
    """Every record in exactly one shard, with the place the whole reading gives it; places grow
    in document order. Small cuts (the prologue still fits the first) give many cuts from the
    snapshot's eight records."""
    monkeypatch.setattr(pubmed_xml, "_CUT_BYTES", cut_bytes)
    data = SNAPSHOT.read_bytes() + b""  # deletions too: an update file's shape
    data = data.replace(b"</PubmedArticleSet>", b'<DeleteCitation><PMID Version="1">11443939</PMID>'
                                                b"</DeleteCitation></PubmedArticleSet>")
    whole = _placed(data, Shard())
    places = [place for place, _ in whole]
    assert places == sorted(places) and len(set(places)) == len(places) == 9
    shards = [_placed(data, Shard(i, count)) for i in range(count)]
    assert sorted((p, item) for part in shards for p, item in part) == whole
    if cut_bytes == 400:
        assert sum(1 for part in shards if part) > 1  # the work really is shared


def test_a_real_baseline_file_splits_into_shards_with_every_record_once(testdata_dir):
    path = testdata_dir / "pubmed21n1298.xml.gz"
    stats = [ParseStats(), ParseStats()]
    items = [list(iter_placed_records(path, stats[i], Shard(i, 2))) for i in range(2)]
    assert stats[0].records + stats[1].records == 20788
    assert abs(stats[0].records - stats[1].records) < 1000  # cuts alternate: the halves are even
    whole = list(iter_placed_records(path))
    assert sorted(items[0] + items[1], key=lambda item: item[0]) == whole


@pytest.mark.parametrize("prologue", [
    b'<!DOCTYPE PubmedArticleSet [<!ENTITY x "y">]><PubmedArticleSet>',
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<PubmedArticleSet>',
])
def test_a_document_that_must_be_read_whole_refuses_shards(prologue):
    data = prologue + SNAPSHOT.read_bytes().split(b"<PubmedArticleSet>", 1)[1]
    with pytest.raises(UnshardableXml):
        _placed(data, Shard(1, 2))
    assert [r.pmid for _, r in _placed(data, Shard())] == SNAPSHOT_PMIDS


def test_a_cut_that_does_not_stand_alone_stops_its_shard(monkeypatch):
    """Comments holding an end tag make cuts fall inside them: the whole reading falls back to
    iterparse there; the shard that owns such a cut says it cannot go on, rather than guess."""
    monkeypatch.setattr(pubmed_xml, "_CUT_BYTES", 400)
    comment = b"<!-- " + b"x" * 150 + b" </PubmedArticle> " + b"y" * 150 + b" -->"
    data = SNAPSHOT.read_bytes().replace(b"</PubmedArticle>", b"</PubmedArticle>" + comment)
    assert [r.pmid for r in iter_pubmed_xml(data)] == SNAPSHOT_PMIDS
    outcomes = []
    for i in range(2):
        try:
            outcomes.append(len(_placed(data, Shard(i, 2))))
        except UnshardableXml:
            outcomes.append("whole")
    assert "whole" in outcomes


def test_a_shard_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="shard 2 of 2"):
        Shard(2, 2)
