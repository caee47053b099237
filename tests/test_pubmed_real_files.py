"""The parser on real NLM files (pubmed20n0014.xml.gz: 30,000 records; pubmed21n1298.xml.gz: 20,788
and a DeleteCitation block): every record is read once, its raw XML is its bytes in the file and
parses back to the same record, and a sample agrees field by field with Bio.Entrez.read."""

from __future__ import annotations

import gc
import gzip
import io
import random
import re

import pytest

from grading.models import PubmedRecord
from grading.pubmed.parser import DeletedCitations, ParseStats, iter_pubmed_xml, parse_efetch_reply

pytestmark = pytest.mark.integration  # 50,000 real records parsed

FILES = {"pubmed20n0014.xml.gz": 30_000, "pubmed21n1298.xml.gz": 20_788}


@pytest.fixture(scope="module")
def real_files(testdata_dir):
    """name -> (decompressed bytes, items parsed from the .gz file, stats): parsed once."""
    out = {}
    gc.disable()  # 50,000 records held at once: generational collections would only cost time
    try:
        for name in FILES:
            stats = ParseStats()
            items = list(iter_pubmed_xml(testdata_dir / name, stats))
            out[name] = (gzip.decompress((testdata_dir / name).read_bytes()), items, stats)
    finally:
        gc.enable()
    return out


@pytest.mark.parametrize("name", FILES)
def test_every_record_is_read_once(real_files, name):
    data, items, stats = real_files[name]
    records = [i for i in items if isinstance(i, PubmedRecord)]
    assert len(records) == FILES[name] == data.count(b"<PubmedArticle>") + data.count(b"<PubmedArticle ")
    repeated = {"pubmed20n0014.xml.gz": 0, "pubmed21n1298.xml.gz": 5}[name]  # an update file may repeat a PMID
    assert len({r.pmid for r in records}) == len(records) - repeated
    assert stats.records == len(records) and stats.skipped_no_pmid == 0 and stats.books == 0
    deleted = [pmid for i in items if isinstance(i, DeletedCitations) for pmid in i.pmids]
    tail = data[data.rfind(b"<DeleteCitation>"):] if b"<DeleteCitation>" in data else b""
    assert stats.deleted == len(deleted) == len(re.findall(rb"<PMID[^>]*>\d+</PMID>", tail))
    assert (name == "pubmed21n1298.xml.gz") == bool(deleted)


@pytest.mark.parametrize("name", FILES)
def test_every_raw_xml_is_the_records_own_bytes_and_replays(real_files, name):
    """Each raw_xml (re-serialised by lxml) is the record's bytes in the file, in file order (so
    none overlaps another or is cut short), and parsing it again gives the same record (a sample
    of 1 in 20: it is a second parse of the file)."""
    data, items, _ = real_files[name]
    records = [i for i in items if isinstance(i, PubmedRecord)]
    at = 0
    for r in records:
        raw = r.raw_xml.encode("utf-8")
        found = data.find(raw, at)
        assert found >= 0 and data.find(b"<PubmedArticle>", at) == found, r.pmid  # no record skipped
        at = found + len(raw)
    sample = records[::20]
    replayed = parse_efetch_reply(("<PubmedArticleSet>" + "".join(r.raw_xml for r in sample)
                                   + "</PubmedArticleSet>").encode())
    assert replayed == sample


# --- agreement with Bio.Entrez.read, field by field --------------------------------------------

_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")


def _plain(value, squeeze: bool = False) -> str | None:
    """Bio.Entrez keeps inline markup as text ("<i>x</i>"): drop tags, normalise whitespace; with
    `squeeze` drop all spaces (MathML layout: we drop whitespace between tokens, Entrez keeps it)."""
    if value is None:
        return None
    text = " ".join(_TAG.sub("", str(value)).split()) or None
    return text.replace(" ", "") if squeeze and text else text


def _iso(date) -> str | None:
    return f"{int(date['Year']):04d}-{int(date['Month']):02d}-{int(date['Day']):02d}" if date else None


def _entrez_view(article, squeeze: bool) -> dict:
    cit = article["MedlineCitation"]
    art = cit["Article"]
    journal = art["Journal"]
    issue = journal.get("JournalIssue", {})
    pub_date = issue.get("PubDate", {})
    data = article.get("PubmedData", {})
    pagination = art.get("Pagination", {})
    pages = pagination.get("MedlinePgn") or (
        f"{pagination['StartPage']}-{pagination['EndPage']}" if pagination.get("StartPage") and pagination.get("EndPage")
        else pagination.get("StartPage"))
    author_lists = [art["AuthorList"]] if "AuthorList" in art else []
    return {
        "pmid": int(cit["PMID"]), "version": int(cit["PMID"].attributes.get("Version", 1)),
        "status": cit.attributes.get("Status"), "title": _plain(art.get("ArticleTitle"), squeeze),
        "abstract": [(t.attributes.get("Label"), t.attributes.get("NlmCategory"), _plain(t, squeeze))
                     for t in art.get("Abstract", {}).get("AbstractText", []) if _plain(t)],
        "journal": _plain(journal.get("Title")),
        "journal_abbrev": _plain(journal.get("ISOAbbreviation")) or _plain(cit["MedlineJournalInfo"].get("MedlineTA")),
        "volume": _plain(issue.get("Volume")), "issue": _plain(issue.get("Issue")), "pages": _plain(pages),
        "year": int(pub_date["Year"]) if "Year" in pub_date else None,
        "medline_date": None if "Year" in pub_date else _plain(pub_date.get("MedlineDate")),
        "languages": [str(x) for x in art.get("Language", [])],
        "publication_types": [(t.attributes.get("UI"), str(t)) for t in art.get("PublicationTypeList", [])],
        "mesh": [(m["DescriptorName"].attributes.get("UI"), _plain(m["DescriptorName"]),
                  m["DescriptorName"].attributes.get("MajorTopicYN") == "Y"
                  or any(q.attributes.get("MajorTopicYN") == "Y" for q in m.get("QualifierName", [])),
                  [_plain(q) for q in m.get("QualifierName", [])]) for m in cit.get("MeshHeadingList", [])],
        "chemicals": [_plain(c["NameOfSubstance"]) for c in cit.get("ChemicalList", [])],
        "keywords": [_plain(k, squeeze) for kl in cit.get("KeywordList", []) for k in kl if _plain(k)],
        "authors": [(_plain(a.get("LastName")), _plain(a.get("ForeName")), _plain(a.get("Initials")),
                     _plain(a.get("CollectiveName"), squeeze),
                     [_plain(i["Affiliation"], squeeze) for i in a.get("AffiliationInfo", []) if _plain(i.get("Affiliation"))])
                    for al in author_lists if al.attributes.get("Type") != "editors" for a in al],
        "article_ids": [(i.attributes.get("IdType", "pubmed"), _plain(i)) for i in data.get("ArticleIdList", []) if _plain(i)],
        "comments_corrections": [(c.attributes["RefType"], int(c["PMID"]) if "PMID" in c else None,
                                  _plain(c.get("RefSource"))) for c in cit.get("CommentsCorrectionsList", [])],
        "date_revised": _iso(cit.get("DateRevised")),
        "history": [(d.attributes["PubStatus"], _iso(d)) for d in data.get("History", [])],
    }


def _our_view(r: PubmedRecord, squeeze: bool) -> dict:
    has_year = re.search(r"<PubDate>\s*<Year>", r.raw_xml) is not None
    return {
        "pmid": r.pmid, "version": r.version, "status": r.status, "title": _plain(r.title, squeeze),
        "abstract": [(s.label, s.nlm_category, _plain(s.text, squeeze)) for s in r.abstract],
        "journal": r.journal, "journal_abbrev": r.journal_abbrev, "volume": r.volume, "issue": r.issue,
        "pages": r.pages, "year": r.year if has_year else None, "medline_date": r.medline_date,
        "languages": list(r.languages), "publication_types": list(r.publication_types),
        "mesh": [(m.descriptor_ui, m.descriptor, m.major_topic, list(m.qualifiers)) for m in r.mesh_headings],
        "chemicals": list(r.chemicals), "keywords": [_plain(k, squeeze) for k in r.keywords],
        "authors": [(a.last_name, a.fore_name, a.initials, _plain(a.collective_name, squeeze),
                     [_plain(x, squeeze) for x in a.affiliations]) for a in r.authors],
        "article_ids": list(r.article_ids),
        "comments_corrections": [(c.ref_type, c.pmid, c.ref_source) for c in r.comments_corrections],
        "date_revised": r.date_revised, "history": list(r.history),
    }


@pytest.mark.parametrize("name", FILES)
def test_a_sample_agrees_with_bio_entrez_field_by_field(real_files, name):
    entrez = pytest.importorskip("Bio.Entrez")
    _, items, _ = real_files[name]
    records = [i for i in items if isinstance(i, PubmedRecord)]
    sample = random.Random(name).sample(records, 400)
    # Biopython ships pubmed_190101.dtd, so nothing is downloaded (https: it refuses http:// DTDs).
    document = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD '
                'PubMedArticle, 1st January 2019//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">'
                "\n<PubmedArticleSet>" + "".join(r.raw_xml for r in sample) + "</PubmedArticleSet>").encode()
    theirs = entrez.read(io.BytesIO(document))["PubmedArticle"]
    assert len(theirs) == len(sample)
    compared = 0
    for record, article in zip(sample, theirs):
        squeeze = "math" in record.raw_xml
        mine, bio = _our_view(record, squeeze), _entrez_view(article, squeeze)
        for field in bio:
            assert mine[field] == bio[field], (record.pmid, field)
            compared += 1
    assert compared == len(sample) * len(bio) > 0
