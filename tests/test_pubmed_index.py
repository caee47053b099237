"""Field-tag queries over an in-memory index (shared by the snapshot and the stand-in)."""

from __future__ import annotations

import pytest

from grading.pubmed.index import PubmedIndex
from tests.factories import make_record


@pytest.fixture()
def index() -> PubmedIndex:
    return PubmedIndex([
        make_record(1001, "Zinc lozenges shorten colds", "In 120 adults, zinc shortened colds.", year=2006,
                    authors=("Hemilä H", "Chalker E"), journal="BMC Fam Pract", doi="10.1/abc(12)3",
                    volume="7", pages="54-60"),
        make_record(1002, "Zinc and taste", "Zinc deficiency alters taste.", year=2006,
                    authors=("Hemilä H", "Jones RA"), journal="Nutrients"),
        make_record(1003, "Vitamin C and colds", "Vitamin C did not prevent colds.", year=2013,
                    authors=("Müller K",), journal="Cochrane Database Syst Rev", pmcid="PMC99"),
    ])


@pytest.mark.parametrize("term, expected", [
    ("Hemilä H[au]", [1002, 1001]),
    ("Hemila H[au] AND Chalker E[au]", [1001]),
    ("Hemilä[au] AND 2006[dp]", [1002, 1001]),
    ('"10.1/ABC(12)3"[doi]', [1001]),
    ('"10.1/abc(12)3"[aid]', [1001]),
    ('"BMC Fam Pract"[ta]', [1001]),
    ("colds[ti]", [1003, 1001]),
    ("colds[tiab] NOT zinc[tiab]", [1003]),
    ("(zinc[ti] OR vitamin[ti]) AND 2013[dp]", [1003]),
    ("taste zinc", [1002]),
    ("PMC99[pmc]", [1003]),
    ("1002[pmid]", [1002]),
    ("Mueller K[au]", []),
    ("Muller K[au]", [1003]),
])
def test_queries(index: PubmedIndex, term: str, expected: list[int]) -> None:
    assert index.search(term) == expected


def test_citation_match(index: PubmedIndex) -> None:
    assert index.citation_match("BMC Fam Pract", "2006", "7", "54", "Hemilä H") == [1001]
    assert index.citation_match("BMC Fam Pract", "2006", "8", "54", "Hemilä H") == []


@pytest.mark.parametrize("term", ["(zinc[ti]", "zinc[nosuchtag]", "AND"])
def test_bad_queries_raise_value_error(index: PubmedIndex, term: str) -> None:
    with pytest.raises(ValueError):
        index.search(term)


def test_affiliations_text_words_truncation_and_folded_names() -> None:
    from dataclasses import replace

    from grading.models import Author

    base = make_record(2001, "Quillberry tablets for tinnitus", "Tablet use in 80 adults.", year=2015,
                       authors=("Løvås K", "Strauß B"), journal="Otol Lett", mesh=("Hearing Disorders",))
    record = replace(base, authors=(Author("Løvås", "Kari", "K", None, ("University of Brindle, Tallinna",)),
                                    *base.authors[1:]))
    other = make_record(2002, "Łukasiewicz on tablet taste", "", year=2015, authors=("Łukasiewicz J",))
    index = PubmedIndex([record, other])
    assert index.search('"University of Brindle"[ad]') == [2001]
    assert index.search("tallinna[ad] AND quillberry[tiab]") == [2001]
    assert index.search("hearing[tw]") == [2001] and index.search("hearing[tiab]") == []  # MeSH words too
    assert index.search("tablet*[tiab]") == [2002, 2001]  # tablet, tablets
    assert index.search("Lovas K[1au]") == index.search("Løvås K[1au]") == [2001]
    assert index.search("Strauss B[au]") == [2001] and index.search("Lukasiewicz J[1au]") == [2002]
