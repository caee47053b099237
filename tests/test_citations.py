"""Finding citations in plain text: links and glued footnotes, ids, reference entries and lists,
author-year markers; exact offsets on every input; linear time on large and hostile input."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.documents.citations import extract_citations
from grading.documents.reference_entries import parse_reference_entry
from grading.models import CitationMention

FIXTURES = Path(__file__).parent / "fixtures" / "citations"
SICI_DOI = "10.1002/(sici)1520-6769(199609)19:2<115::aid-nrc171>3.0.co;2-b"
ABCAM = "https://www.abcam.com/acth-4-10-human-ab142255.html"


def cites(text: str) -> list[CitationMention]:
    """extract_citations plus the invariants every result must keep."""
    found = extract_citations(text)
    assert [m.char_start for m in found] == sorted(m.char_start for m in found)
    for m in found:
        assert 0 <= m.char_start <= m.char_end <= len(text)
        assert text[m.char_start:m.char_end] == m.raw
    for a, b in pairwise(found):
        assert a.char_end <= b.char_start, (a, b)
    return found


def brief(text: str) -> list[tuple[int | None, str, str]]:
    return [(m.footnote, m.kind, m.value) for m in cites(text)]


# --- the demo documents ----------------------------------------------------------------

def test_001_glued_footnotes_in_order(seed_texts: dict[str, str]) -> None:
    expected = [(11, "doi", SICI_DOI), (1, "pmid", "16996037"), (8, "pmid", "9173745"), (1, "pmid", "16996037"),
                (2, "pmid", "15088389"), (3, "pmid", "16362768"), (4, "pmid", "17850024"), (5, "pmid", "24385169"),
                (6, "pmid", "18204410"), (6, "pmid", "18204410"), (7, "pmid", "16996699"), (9, "url", ABCAM),
                (10, "pmid", "11443939"), (8, "pmid", "9173745"), (12, "pmid", "28966252"), (13, "pmid", "28849028"),
                (14, "pmid", "26820528"), (15, "pmid", "28885585"), (16, "pmid", "27158238"),
                (17, "pmid", "25396716")]
    found = cites(seed_texts["001"])
    assert [(m.footnote, m.kind, m.value) for m in found] == expected
    assert not any(m.in_reference_list for m in found)
    raws = [m.raw for m in found]
    assert "2https://www.ncbi.nlm.nih.gov/pubmed/15088389" in raws
    assert "3https://www.ncbi.nlm.nih.gov/pubmed/16362768" in raws
    assert "12www.ncbi.nlm.nih.gov/m/pubmed/28966252/" in raws
    assert raws[0].startswith("11https://onlinelibrary.wiley.com/doi/abs/") and raws[0].endswith("2-B")  # no "."


def test_000_only_the_three_author_lists(seed_texts: dict[str, str]) -> None:
    found = cites(seed_texts["000"])
    assert [m.kind for m in found] == ["author_list"] * 3
    assert all(m.in_reference_list for m in found)
    assert [m.authors for m in found] == [("Dolotov OV", "Karpenko EA", "Inozemtseva LS"),
                                          ("Medvedeva EV", "Dmitrieva VG", "Povarova OV"),
                                          ("Shadrina M", "Kolomin T", "Agapova T")]
    assert found[0].raw == "Dolotov OV, Karpenko EA, Inozemtseva LS, et al."


def test_002_has_no_citations(seed_texts: dict[str, str]) -> None:
    assert cites(seed_texts["002"]) == []


# --- links -------------------------------------------------------------------------------

@pytest.mark.parametrize("link, kind, value", [
    ("https://pubmed.ncbi.nlm.nih.gov/16996037/", "pmid", "16996037"),
    ("pubmed.ncbi.nlm.nih.gov/16996037", "pmid", "16996037"),
    ("http://www.ncbi.nlm.nih.gov/pubmed/16996037", "pmid", "16996037"),
    ("www.ncbi.nlm.nih.gov/m/pubmed/16996037/", "pmid", "16996037"),
    ("ncbi.nlm.nih.gov/pubmed/?term=16996037", "pmid", "16996037"),
    ("https://pubmed.ncbi.nlm.nih.gov/?term=16996037", "pmid", "16996037"),
    ("https://europepmc.org/abstract/med/9173745", "pmid", "9173745"),
    ("europepmc.org/article/MED/9173745", "pmid", "9173745"),
    ("https://europepmc.org/article/PMC/PMC1234567", "pmcid", "PMC1234567"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/", "pmcid", "PMC1234567"),
    ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1234567", "pmcid", "PMC1234567"),
    ("https://doi.org/10.1016/j.brainres.2006.07.070", "doi", "10.1016/j.brainres.2006.07.070"),
    ("http://dx.doi.org/10.1016/J.BRAINRES.2006.07.070", "doi", "10.1016/j.brainres.2006.07.070"),
    ("doi.org/10.1000/x%2Fy", "doi", "10.1000/x/y"),
    ("https://onlinelibrary.wiley.com/doi/abs/10.1002/(SICI)1520-6769(199609)19:2%3C115::AID-NRC171%3E3.0.CO;2-B",
     "doi", SICI_DOI),
    ("https://www.frontiersin.org/articles/10.3389/fnins.2019.00123/full", "doi", "10.3389/fnins.2019.00123"),
    ("https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0096905", "doi",
     "10.1371/journal.pone.0096905"),
    ("https://pubmed.ncbi.nlm.nih.gov/?term=semax+bdnf", "url", "https://pubmed.ncbi.nlm.nih.gov/?term=semax+bdnf"),
    ("https://www.sciencedirect.com/science/article/pii/S0006899306019755", "pii", "S0006899306019755"),
    (ABCAM, "url", ABCAM),
])
def test_link_forms(link: str, kind: str, value: str) -> None:
    text = f"Semax improves memory {link}. More text."
    [m] = cites(text)
    assert (m.kind, m.value, m.raw, m.footnote, m.in_reference_list) == (kind, value, link, None, False)


@pytest.mark.parametrize("text, raw", [
    ("(see https://pubmed.ncbi.nlm.nih.gov/123456/).", "https://pubmed.ncbi.nlm.nih.gov/123456/"),
    ("as in https://en.wikipedia.org/wiki/Foo_(bar), and", "https://en.wikipedia.org/wiki/Foo_(bar)"),
    ("“https://doi.org/10.1000/abc”", "https://doi.org/10.1000/abc"),
    ("<https://doi.org/10.1000/abc>", "https://doi.org/10.1000/abc"),
    ("end https://doi.org/10.1000/abc;", "https://doi.org/10.1000/abc"),
])
def test_link_trailing_punctuation(text: str, raw: str) -> None:
    assert [m.raw for m in cites(text)] == [raw]


def test_a_pmid_longer_than_eight_digits_is_kept_for_resolution_to_reject() -> None:
    assert brief("see https://pubmed.ncbi.nlm.nih.gov/123456789012 now") == [(None, "pmid", "123456789012")]


# --- glued footnotes -----------------------------------------------------------------------

PM = "https://pubmed.ncbi.nlm.nih.gov/"


def test_seven_digit_pmid_followed_by_footnote() -> None:
    text = f"Claim one1{PM}12345672{PM}7654321/ end."
    assert brief(text) == [(1, "pmid", "12345672"[:7]), (2, "pmid", "7654321")]
    assert cites(text)[1].raw == f"2{PM}7654321/"


def test_footnotes_of_two_digits_follow_the_sequence() -> None:
    text = f"a8{PM}23456789 b9{PM}1234567810{PM}8765432111{PM}11111111."
    assert brief(text) == [(8, "pmid", "23456789"), (9, "pmid", "12345678"), (10, "pmid", "87654321"),
                           (11, "pmid", "11111111")]


def test_repeated_footnote_keeps_its_target() -> None:
    # "1" was given to 16996037; reused later with the same link, while the sequence runs on
    text = (f"x1{PM}16996037 y2{PM}22222222 z1{PM}16996037 w3{PM}3333333"
            f"4{PM}44444444.")
    assert brief(text) == [(1, "pmid", "16996037"), (2, "pmid", "22222222"), (1, "pmid", "16996037"),
                           (3, "pmid", "3333333"), (4, "pmid", "44444444")]


def test_repeat_decides_where_a_glued_id_ends() -> None:
    # 7 was 1234567 before, so "12345677" after link 6 splits as 1234567|7, not 12345677|none
    text = f"a6{PM}1111111 b7{PM}1234567 c6{PM}11111117{PM}1234567 end"
    assert brief(text)[-2:] == [(6, "pmid", "1111111"), (7, "pmid", "1234567")]


def test_document_may_start_mid_sequence() -> None:
    assert brief(f"first claim23{PM}11111111 second24{PM}22222222.") == [(23, "pmid", "11111111"),
                                                                        (24, "pmid", "22222222")]


def test_footnote_after_trailing_slash_and_scheme_less_www() -> None:
    text = "levels.4www.ncbi.nlm.nih.gov/pubmed/28966252/5www.ncbi.nlm.nih.gov/pubmed/2884902/\n"
    found = cites(text)
    assert [(m.footnote, m.value) for m in found] == [(4, "28966252"), (5, "2884902")]
    assert found[1].raw == "5www.ncbi.nlm.nih.gov/pubmed/2884902/"


def test_number_inside_a_word_is_not_a_footnote_without_a_link() -> None:
    assert cites("CYP2D6 and IL6 and 5-HT2A matter; COVID-19 in 2020 too.") == []


def test_word_with_digits_keeps_them_when_the_sequence_says_so() -> None:
    # after footnote 1, "CYP2D62https" is the word CYP2D6 and footnote 2, not footnote 62
    text = f"Enzyme1{PM}11111111 and CYP2D62{PM}22222222 end"
    assert brief(text) == [(1, "pmid", "11111111"), (2, "pmid", "22222222")]
    assert cites(text)[1].raw == f"2{PM}22222222"


def test_non_scholarly_link_keeps_its_footnote_and_gives_up_its_trailing_digits() -> None:
    text = f"a1{PM}11111111 b2https://example.com/item/44323{PM}3333333 c"
    assert brief(text) == [(1, "pmid", "11111111"), (2, "url", "https://example.com/item/4432"),
                           (3, "pmid", "3333333")]


def test_number_of_the_previous_link_is_not_reused_for_the_next() -> None:
    # "…/44322https": footnote 2 would repeat the previous link's number for another target
    text = f"a1{PM}11111111 b2https://example.com/item/44322{PM}3333333 c"
    assert brief(text)[1:] == [(2, "url", "https://example.com/item/44322"), (None, "pmid", "3333333")]


@pytest.mark.parametrize("text, footnote, raw", [
    (f"Claim [3] {PM}3333333/ more", 3, f"[3] {PM}3333333/"),
    (f"Claim[12]{PM}3333333 more", 12, f"[12]{PM}3333333"),
    (f"Claim (4) {PM}3333333 more", 4, f"(4) {PM}3333333"),
    (f"Claim\u00b2{PM}3333333 more", 2, f"\u00b2{PM}3333333"),
    (f"Intro\n7. {PM}3333333\n", 7, f"7. {PM}3333333"),
])
def test_explicit_markers(text: str, footnote: int, raw: str) -> None:
    [m] = cites(text)
    assert (m.footnote, m.value, m.raw) == (footnote, "3333333", raw)


def test_year_glued_to_a_link_is_not_a_four_digit_footnote() -> None:
    [m] = cites(f"published in 2006{PM}3333333 ok")
    assert m.footnote is None or m.footnote < 1000


# --- labelled identifiers --------------------------------------------------------------

@pytest.mark.parametrize("text, kind, value, raw", [
    ("see PMID: 16996037.", "pmid", "16996037", "PMID: 16996037"),
    ("see PMID 16996037,", "pmid", "16996037", "PMID 16996037"),
    ("see PubMed ID: 9173745", "pmid", "9173745", "PubMed ID: 9173745"),
    ("PMCID: PMC1234567)", "pmcid", "PMC1234567", "PMCID: PMC1234567"),
    ("free text PMC1234567 here", "pmcid", "PMC1234567", "PMC1234567"),
    ("(doi: 10.1016/j.brainres.2006.07.070).", "doi", "10.1016/j.brainres.2006.07.070",
     "doi: 10.1016/j.brainres.2006.07.070"),
    ("DOI 10.1016/J.Brainres.2006.07.070, and", "doi", "10.1016/j.brainres.2006.07.070",
     "DOI 10.1016/J.Brainres.2006.07.070"),
    ("doi:10.1002/(SICI)1520-6769(199609)19:2<115::AID-NRC171>3.0.CO;2-B.", "doi", SICI_DOI,
     "doi:10.1002/(SICI)1520-6769(199609)19:2<115::AID-NRC171>3.0.CO;2-B"),
    ("bare 10.1371/journal.pone.0096905 here", "doi", "10.1371/journal.pone.0096905",
     "10.1371/journal.pone.0096905"),
])
def test_labelled_identifiers(text: str, kind: str, value: str, raw: str) -> None:
    [m] = cites(text)
    assert (m.kind, m.value, m.raw) == (kind, value, raw)


def test_version_numbers_and_decimals_are_not_dois() -> None:
    assert cites("Version 10.2 and 10.12345 mg, 10.5/kg dose.") == []


# --- reference entries -----------------------------------------------------------------

VANCOUVER = ("Dolotov OV, Karpenko EA, Inozemtseva LS, et al. Semax, an analog of ACTH(4-10) with cognitive "
             "effects, regulates BDNF and trkB expression in the rat hippocampus. Brain Res. 2006;1117(1):54-60.")
APA = ("Dolotov, O. V., Karpenko, E. A., & Inozemtseva, L. S. (2006). Semax, an analog of ACTH(4-10) with "
       "cognitive effects, regulates BDNF and trkB expression in the rat hippocampus. Brain Research, 1117(1), 54–60.")
TITLE = ("Semax, an analog of ACTH(4-10) with cognitive effects, regulates BDNF and trkB expression in the rat "
         "hippocampus")


def test_vancouver_entry_fields() -> None:
    [m] = cites(VANCOUVER)
    assert (m.kind, m.in_reference_list, m.raw) == ("author_list", True, VANCOUVER)
    assert m.authors == ("Dolotov OV", "Karpenko EA", "Inozemtseva LS")
    assert (m.year, m.title, m.journal, m.volume, m.first_page) == (2006, TITLE, "Brain Res", "1117", "54")


def test_apa_entry_fields() -> None:
    [m] = cites(APA)
    assert m.kind == "author_list" and m.in_reference_list
    assert m.authors == ("Dolotov OV", "Karpenko EA", "Inozemtseva LS")
    assert (m.year, m.title, m.journal, m.volume, m.first_page) == (2006, TITLE, "Brain Research", "1117", "54")


@pytest.mark.parametrize("suffix, kind, value", [
    (" PMID: 16996037", "pmid", "16996037"),
    (" doi:10.1016/j.brainres.2006.07.070. PMID: 16996037.", "pmid", "16996037"),
    (" https://doi.org/10.1016/j.brainres.2006.07.070", "doi", "10.1016/j.brainres.2006.07.070"),
    (" https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1234567/", "pmcid", "PMC1234567"),
])
def test_entry_with_an_id_is_one_mention_of_the_ids_kind(suffix: str, kind: str, value: str) -> None:
    text = "References\n1. " + VANCOUVER + suffix + "\n"
    [m] = cites(text)
    assert (m.kind, m.value, m.footnote, m.in_reference_list) == (kind, value, 1, True)
    assert m.authors[0] == "Dolotov OV" and m.year == 2006 and m.title == TITLE
    assert m.raw == "1. " + VANCOUVER + suffix


def test_line_naming_several_papers_is_not_one_entry() -> None:
    text = "Dolotov OV, Karpenko EA. See PMID: 16996037 and PMID: 15088389.\n"
    assert [m.kind for m in cites(text)] == ["pmid", "pmid"]


@pytest.mark.parametrize("line", [
    "Vitamin D, Vitamin K.", "Pro-Gly-Pro C-terminal extension", "BDNF Increase", "Study on ADHD Symptoms",
    "SourceClinical use in Russia", "Like Selank, Semax is used as a nasal spray.", "Omega 3, Vitamin E.",
])
def test_lines_that_are_not_entries(line: str) -> None:
    assert parse_reference_entry(line) is None
    assert cites(line + "\n") == []


def test_parse_reference_entry_dotted_initials_and_single_author() -> None:
    e = parse_reference_entry("Martins J.G. EPA but not DHA. J Am Coll Nutr. 2009;28(5):525-42.")
    assert e is not None and e.authors == ("Martins JG",) and (e.journal, e.year, e.first_page) == (
        "J Am Coll Nutr", 2009, "525")
    assert parse_reference_entry("Martins JG. A title without a year.") is None  # one author needs a year


# --- reference lists ---------------------------------------------------------------------

def test_heading_starts_a_list_that_prose_ends() -> None:
    text = ("Sources:\n" f"{PM}111/\n" "https://www.example.com/page\n\n"
            f"A new paragraph with a link {PM}222/ in the middle of a sentence.\n")
    assert [m.in_reference_list for m in cites(text)] == [True, True, False]


def test_title_first_entries_under_a_heading() -> None:
    text = ("Literature\n" f"Semax in stroke: a randomised trial. Stroke. 2010. {PM}333/\n"
            "Effects of Semax on attention. doi: 10.1000/xyz\n")
    assert [(m.kind, m.in_reference_list) for m in cites(text)] == [("pmid", True), ("doi", True)]


def test_run_of_citation_only_lines_is_a_list_without_heading() -> None:
    text = f"Intro text.\n1. {PM}111/\n2. {PM}222/\nSource: PMID: 333\n\nAfter.\n"
    found = cites(text)
    assert [(m.footnote, m.in_reference_list) for m in found] == [(1, True), (2, True), (None, True)]


def test_claims_with_links_on_their_own_lines_are_not_a_list() -> None:
    text = f"Improves memory {PM}111/\nReduces anxiety {PM}222/\n"
    assert [m.in_reference_list for m in cites(text)] == [False, False]


def test_fixture_blog_with_inline_markers_and_references() -> None:
    text = (FIXTURES / "review_blog.txt").read_text(encoding="utf-8")
    found = cites(text)
    inline = [(m.kind, m.value, m.footnote) for m in found if not m.in_reference_list]
    assert inline == [("author_year", "Freeman et al., 2006", None), ("author_year", "Appleton & Rogers, 2010", None),
                      ("author_year", "Grosso et al. (2014)", None), ("pmid", "24805797", 1),
                      ("pmid", "24805797", None), ("journal_ref", "Lancet. 2002;359:2000-5", None)]
    listed = [m for m in found if m.in_reference_list]
    assert [(m.footnote, m.kind) for m in listed] == [(1, "pmid"), (2, "doi"), (3, "author_list"), (4, "author_list")]
    assert listed[1].value == "10.3945/ajcn.2009.28313" and listed[1].authors == ("Appleton KM", "Rogers PJ", "Ness AR")
    assert listed[0].journal == "PLoS One" and listed[0].first_page == "e96905"
    assert listed[3].authors == ("Martins JG",) and listed[3].volume == "28"


# --- author-year and journal references --------------------------------------------------

@pytest.mark.parametrize("text, raws, authors, years", [
    ("shown (Dolotov et al., 2006).", ["(Dolotov et al., 2006)"], [("Dolotov",)], [2006]),
    ("Dolotov et al. (2006) showed", ["Dolotov et al. (2006)"], [("Dolotov",)], [2006]),
    ("as (Smith & Jones, 2010; Lee 2012) said", ["Smith & Jones, 2010", "Lee 2012"], [("Smith", "Jones"), ("Lee",)],
     [2010, 2012]),
    ("as (Smith 2010) said", ["(Smith 2010)"], [("Smith",)], [2010]),
    ("as (e.g., van der Berg, 2015a) said", ["(e.g., van der Berg, 2015a)"], [("van der Berg",)], [2015]),
    ("as (Smith, Lee, and Jones 2001) said", ["(Smith, Lee, and Jones 2001)"], [("Smith", "Lee", "Jones")], [2001]),
    ("Smith & Jones (2010) found", ["Smith & Jones (2010)"], [("Smith", "Jones")], [2010]),
    ("by experts (WHO, 2010).", ["(WHO, 2010)"], [("WHO",)], [2010]),
    # Surnames of several words: led by a particle in either case, or before "et al."
    ("trial (Dos Vantos Orrina et al., 2021).", ["(Dos Vantos Orrina et al., 2021)"], [("Dos Vantos Orrina",)], [2021]),
    ("as (van der Merl & De Vorries, 2019) said", ["(van der Merl & De Vorries, 2019)"],
     [("van der Merl", "De Vorries")], [2019]),
    ("shown (Garvia Lorez et al. 2018)", ["(Garvia Lorez et al. 2018)"], [("Garvia Lorez",)], [2018]),
])
def test_author_year(text: str, raws: list[str], authors: list[tuple[str, ...]], years: list[int]) -> None:
    found = cites(text)
    assert [m.raw for m in found] == raws
    assert [m.kind for m in found] == ["author_year"] * len(raws)
    assert [m.authors for m in found] == authors and [m.year for m in found] == years


@pytest.mark.parametrize("text", [
    "approved (since 2006) in Russia", "approved (in 2010)", "released (March 2010)", "(Since 2006) it sold",
    "results (FY 2010)", "ACTH (4-10) analog", "dose (50 mcg/kg) daily", "around 1990s (Russia)",
    "the 2006 study (n = 24)", "Table (2010 data)", "(COVID-19, 2020)", "(Phase III Trial, 2019)",
    "(Annual Report 2019)",
])
def test_parenthesised_years_that_are_not_citations(text: str) -> None:
    assert cites(text) == []


def test_journal_reference_without_authors() -> None:
    [m] = cites("Published in Brain Res. 2006;1117(1):54-60 last year.")
    assert (m.kind, m.raw, m.journal, m.year, m.volume, m.first_page) == (
        "journal_ref", "Brain Res. 2006;1117(1):54-60", "Brain Res", 2006, "1117", "54")
    [m] = cites("see J Neurosci. 2010 Oct;30(4):e123.")
    assert (m.journal, m.year, m.volume, m.first_page) == ("J Neurosci", 2010, "30", "e123")


# --- robustness ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "", " ", "\n\n\r\n", "\x00\x01\xff" * 50, "\ud800\udfff", "https://", "www.", "12www.", "PMID:", "doi:",
    "10.1000/", "(((((", ")))))", "[1]", "¹²³https://", "٣https://pubmed.ncbi.nlm.nih.gov/٣٣", "et al. (2006)",
    "References\n" * 5, "1" * 5000 + "https://pubmed.ncbi.nlm.nih.gov/" + "9" * 5000,
])
def test_junk_never_raises(text: str) -> None:
    for m in cites(text):
        if m.kind == "pmid":
            assert m.value.isascii() and m.value.isdigit()


def test_not_a_string_gives_nothing() -> None:
    assert extract_citations(None) == []  # type: ignore[arg-type]


PIECES = ["https://", "www.", "pubmed.ncbi.nlm.nih.gov/", "ncbi.nlm.nih.gov/pubmed/", "doi.org/", "10.1002/",
          "(SICI)", "%3C", "PMC", "PMID: ", "doi: ", "europepmc.org/abstract/med/", "12", "1234567", "89", "[3]", "(",
          ")", ";", ":", " et al.", "Smith", " OV, ", "Dolotov, O. V., ", "(2006)", "2006;1117(1):54-60",
          "Brain Res. ", "\n", "\r\n", "References\n", " ", ".", ",", "&", "²", "\u2028", "\x00", "/", "?term=", "é"]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=40))
def test_fuzzed_citation_fragments_keep_the_invariants(pieces: list[str]) -> None:
    cites("".join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_fuzzed_text_keeps_the_invariants(text: str) -> None:
    cites(text)


N = 1_000_000


@pytest.mark.parametrize("name, text", [
    ("demo documents", None),
    ("glued footnote chain", "12www.ncbi.nlm.nih.gov/pubmed/1234567813" * (N // 40)),
    ("digits before links", ("1" * 5000 + "https://pubmed.ncbi.nlm.nih.gov/") * (N // 5032)),
    ("schemes only", "https://" * (N // 8)),
    ("closing brackets after a URL", "https://x.org/" + ")" * N),
    ("open parentheses", "(" * N),
    ("unclosed parentheses with names", "(Smith, Jones, Lee, Kim, Park, Wu, " * (N // 35)),
    ("author-like run", "Smith AB, " * (N // 10)),
    ("APA-like run", "Smith, A. B., " * (N // 14)),
    ("journal-like run", "Brain Res. 2006;1117(" * (N // 21)),
    ("newlines", "\n" * N),
    ("doi labels", "doi: 10.1234/(((((" * (N // 18)),
    # one trigger, then a long run that an ambiguous pattern would backtrack over quadratically
    ("slashes after a DOI", "https://doi.org/10.1234/" + "/" * 50_000 + "x"),
    ("view suffixes after a DOI", "10.1234/" + "/full" * 20_000 + "x"),
    ("spaces after PMID", "PMID" + " " * 50_000 + "x"),
    ("tabs after PMCID", "PMCID" + "\t" * 50_000 + "x"),
    ("spaces after doi", "doi" + " " * 50_000 + "x"),
    ("a line of spaces", "\n" + " " * 50_000 + "x"),
    ("spaces after a heading", "References" + " " * 50_000 + "x"),
    ("spaces after a journal", "Brain Res." + " " * 50_000 + "2006;1:2"),
])
def test_megabyte_inputs_are_fast(name: str, text: str | None, seed_texts: dict[str, str]) -> None:
    """Linear, not quadratic: four times the input costs about four times the work, never sixteen.
    Judged by a ratio on the same machine, not a wall-clock limit (the speed itself is a benchmark's)."""
    if text is None:
        demo = "".join(seed_texts.values())
        text = (demo * (N // len(demo) + 1))[:N]
    quarter = text[:len(text) // 4]

    def cost(sample: str) -> float:
        best = float("inf")
        for _ in range(2):  # the better of two: a busy machine slows one run, rarely both
            started = time.perf_counter()
            extract_citations(sample)
            best = min(best, time.perf_counter() - started)
        return best

    assert cost(text) < 10 * max(cost(quarter), 0.01), name


# --- citations with no id: narrative cues, titles, damaged forms (invented names throughout) ---------

def one(text: str, kind: str) -> CitationMention:
    found = [m for m in cites(text) if m.kind == kind]
    assert len(found) == 1, found
    return found[0]


def test_journal_cues_name_the_journal_and_carry_the_topic() -> None:
    text = ("Quillberry extract eased tinnitus in a 2019 study published in the journal Otology Letters, "
            "where 212 adults took quillberry for tinnitus.")
    m = one(text, "narrative")
    assert (m.journal, m.year) == ("Otology Letters", 2019)
    assert m.raw.endswith("published in the journal Otology Letters")
    assert {"quillberry", "tinnitus"} <= set(m.topic) and "212" in m.figures
    assert "ta=Otology Letters" in m.value
    other = one("The first study, in the Brindle Therapeutics Review journal, gave quillberry to 40 adults.",
                "narrative")
    assert other.journal == "Brindle Therapeutics Review" and other.raw.endswith("journal")
    misnamed = one("According to a recent study in the Journal of Coastal Nutrition, quillberry did nothing.",
                   "narrative")
    assert misnamed.journal == "Journal of Coastal Nutrition"
    assert [m for m in cites("A study in Finland found that quillberry helps.") if m.kind == "narrative"] == []


def test_trial_acronyms_lead_authors_researchers_and_groups() -> None:
    acronym = one("According to the sponsor, the Quillberry Extract Study of Tinnitus (QUEST) trial enrolled 300.",
                  "narrative")
    assert (acronym.acronym, acronym.title) == ("QUEST", "Quillberry Extract Study of Tinnitus")
    assert acronym.raw == "the Quillberry Extract Study of Tinnitus (QUEST) trial"
    lead = one("“It did not work,” notes lead author Ulla K. Vartola, MD, of the clinic.", "narrative")
    assert (lead.raw, lead.authors, lead.design) == ("lead author Ulla K. Vartola", ("Vartola UK",), "first-author")
    researcher = one("\"Try it,\" said Piet Marrow from the University of Tallinna in Estonia.", "narrative")
    assert researcher.authors == ("Marrow P",) and researcher.affiliation.startswith("University of Tallinna")
    assert "estonia" not in researcher.topic  # a place is no topic
    group = one("Researchers at Brindle University School of Medicine have published a trial of quillberry.",
                "narrative")
    assert group.affiliation == "Brindle University School of Medicine" and not group.authors
    assert [m for m in cites("The Institute of Molecular Quillberry Research of the Brindle Academy of Sciences.")
            if m.kind == "narrative"] == []  # "Molecular Quillberry" is no person


def test_authors_without_a_year_after_a_named_study() -> None:
    ma = one("A 2019 meta-analysis of 12 RCTs (Orrin et al.) found quillberry no better than placebo.", "narrative")
    assert (ma.authors, ma.year, ma.design) == (("Orrin",), 2019, "meta-analysis")
    assert ma.raw == "(Orrin et al.)"
    cochrane = one("A Cochrane review (Fenwick & Soldau) found no trials of quillberry for tinnitus.", "narrative")
    assert cochrane.authors == ("Fenwick", "Soldau") and cochrane.design == "systematic review"
    assert [m for m in cites("Quillberry (Vartola et al.) is a shrub.") if m.kind == "narrative"] == []


def test_a_cue_later_in_a_paragraph_takes_its_topic_from_its_own_sentence() -> None:
    text = ("Examplamide eased joint pain in a small new trial of examplamide capsules.\n\n"
            "Dr. Jane Quorrel said the examplamide part was better established. \"Zorvatide-3s have been shown to "
            "lower inflammation in pregnant women,\" she said, pointing to a meta-analysis published in the "
            "Journal of Example & Metabolic Disorders.\n\n"
            "Examplamide itself may matter too. Separately, a study of 29,000 adults published in Example Research "
            "found that people who took examplamide had a stronger grip.\n\n"
            "And researchers have reported that examplamide protects the gut of premature babies, in a paper in "
            "Examplins & Other Lipid Notes.\n\n"
            "Examplamide capsules are high in sugar; 500 mg tablets are sold too.\n")
    cues = {m.journal: m for m in cites(text) if m.kind == "narrative"}
    aside = cues["Journal of Example & Metabolic Disorders"]
    assert set(aside.topic[:3]) == {"inflammation", "zorvatide-3s", "pregnant"}
    assert "quorrel" not in aside.topic and "jane" not in aside.topic
    later = cues["Example Research"]
    assert {"separately", "itself"}.isdisjoint(later.topic) and "grip" in later.topic
    paper = cues["Examplins & Other Lipid Notes"]
    assert paper.topic[:3] == ("examplamide", "protects", "premature")


def test_abbreviated_journal_citations_and_review_numbers() -> None:
    m = one("Quillberry did not prevent tinnitus (Otol Lett. 2011;42:113-119).", "journal_ref")
    assert (m.raw, m.journal, m.year, m.volume, m.first_page) == ("Otol Lett. 2011;42:113-119", "Otol Lett", 2011,
                                                                    "42", "113")
    review = one("A review found it helped (Cochrane Database Syst Rev. 2015[7]:CD012345).", "journal_ref")
    assert review.raw == "Cochrane Database Syst Rev. 2015[7]:CD012345"  # "[7]" is the issue, inside the citation
    assert (review.issue, review.first_page, review.footnote, review.journal) == ("7", "CD012345", None,
                                                                                   "Cochrane Database Syst Rev")
    titled = one("We saw it (Effects of Quillberry on Hearing. Otol Lett. 2011;42:113-9).", "journal_ref")
    assert titled.journal == "Otol Lett"  # the title's words are not the journal


def test_study_cards_with_mojibake_bullets_take_the_title_line_above() -> None:
    text = ("Research Studies\n"
            "Effects of Quillberry Extract on Chronic Tinnitus in Older Adults: A Randomized Trial\n"
            "Vartola U, Marrow P, Orrin T, et al. (2011) \u0e42\u0e02 Otology Letters\n"
            "Landmark trial in 212 adults.\n")
    found = cites(text)
    assert [m.kind for m in found] == ["author_list"]
    card = found[0]
    assert (card.authors, card.year, card.journal) == (("Vartola U", "Marrow P", "Orrin T"), 2011, "Otology Letters")
    assert card.title.startswith("Effects of Quillberry Extract on Chronic Tinnitus")


def test_printed_titles_are_citations_but_datelines_are_not() -> None:
    m = one("Quillberry for chronic tinnitus: a phase 3 study — Some Site\nmedium\n- it works\n", "title")
    assert m.raw == "Quillberry for chronic tinnitus: a phase 3 study"
    assert one("Back\n\nExpression of hearing proteins in quillberry-fed voles: modulation by the extract.\n",
               "title").title.startswith("Expression of hearing proteins")
    assert [m for m in cites("New Delhi: Taking quillberry may triple recovery from tinnitus, says a research.\n")
            if m.kind == "title"] == []


def test_damaged_links_and_names_keep_their_identifiers() -> None:
    text = ("Benefits (https://www.journalsite. org/articles/10.5555/qb.2021.00001/full) and memory "
            "(https://www. examplejournal.com/science/article/pii/S0000000000000001), see also "
            "https://quillberryblog.example.com/why-i-love-it.")
    found = cites(text)
    assert [(m.kind, m.value) for m in found] == [
        ("doi", "10.5555/qb.2021.00001"),
        ("pii", "S0000000000000001"),
        ("url", "https://quillberryblog.example.com/why-i-love-it")]
    assert found[0].raw == "https://www.journalsite. org/articles/10.5555/qb.2021.00001/full"
    entry = one("Vartola U1, Marrow P2, Orrin T, et al. Quillberry for tinnitus. Otol Lett. 2011;42:113-9. "
                "doi:10.1000/otl.2011.1", "doi")
    assert entry.authors == ("Vartola U", "Marrow P", "Orrin T")  # affiliation digits are not initials


def test_a_marker_whose_entry_is_missing_carries_its_sentences_cues() -> None:
    text = ("The first study, in the Otology Letters journal, reported a 12-week trial of quillberry [4]. "
            "Rest helps too [2].\n")
    found = cites(text)
    assert [(m.kind, m.raw, m.footnote, m.journal) for m in found] == [("narrative", "[4]", 4, "Otology Letters")]
    listed = text + "\nReferences\n4. Vartola U, Marrow P. Quillberry for tinnitus. Otol Lett. 2011;42:113-9.\n"
    assert "[4]" not in [m.raw for m in cites(listed)]  # the list entry is the citation


def test_a_saved_pages_header_line_holds_no_citation() -> None:
    text = "SOURCE: https://example.com/research/pubmed/12345678\nQuillberry helps (PMID: 23456789).\n"
    assert [m.value for m in extract_citations(text, text.index("\n") + 1)] == ["23456789"]


def test_names_fold_the_way_pubmed_does() -> None:
    from grading.folding import fold
    assert [fold(x) for x in ("Løvås", "Strauß", "Łukasiewicz", "Müller", "Ærø")] == [
        "lovas", "strauss", "lukasiewicz", "muller", "aero"]


def test_a_study_noun_before_published_in_keeps_the_journal() -> None:
    m = one("Quillberry did not help, according to a systematic review and meta-analysis published in Otolaryngica.",
            "narrative")
    assert m.journal == "Otolaryngica" and m.design == "meta-analysis"


# --- reference lists of titles only --------------------------------------------------------


TITLES_ONLY = ("Examplamide lowered fasting glucose in adults.[1] It also protects the liver.[2]\n\n"
               "Sources\n"
               "1. Effect of examplamide on insulin homeostasis in overweight adults: a randomized trial.\n"
               "2. Association of examplamide metabolites with liver injury in elderly individuals.\n\n"
               "This page was last edited on 3 May 2021.\n")


def test_numbered_titles_under_a_sources_heading_are_title_entries() -> None:
    found = [m for m in cites(TITLES_ONLY) if m.kind == "title"]
    assert [(m.footnote, m.in_reference_list) for m in found] == [(1, True), (2, True)]
    assert found[0].title == "Effect of examplamide on insulin homeostasis in overweight adults: a randomized trial"
    assert found[1].raw.startswith("2. Association") and found[0].value != found[1].value
    assert not any("last edited" in m.raw for m in cites(TITLES_ONLY))  # the list ended before it


def test_bulleted_titles_need_a_title_and_other_headings_make_no_entries() -> None:
    bullets = "References\n- Examplamide and sleep latency in older adults.\n- Back to top\n"
    assert [m.title for m in cites(bullets) if m.kind == "title"] == ["Examplamide and sleep latency in older adults"]
    steps = "How to use it\n1. Take one tablet of examplamide with water.\n2. Wait two hours before eating.\n"
    assert [m for m in cites(steps) if m.kind == "title"] == []


def test_a_numbered_line_that_reads_as_no_title_is_still_the_entry_its_marker_names() -> None:
    text = "Zorvatide cut relapse rates.[1]\n\nReferences\n1. Personal communication, 2019.\n"
    (m,) = [m for m in cites(text) if m.footnote == 1]
    assert (m.kind, m.in_reference_list, m.year) == ("title", True, 2019)


@pytest.mark.parametrize("text, authors, journal", [
    ("Zorvatide eased pain (Doe et al., Annals of Example Medicine and Rehabilitation, 2021).", ("Doe",),
     "Annals of Example Medicine and Rehabilitation"),
    ("A hip dislocated during a session (Roe et al., Examplary Surgery Today 2021).", ("Roe",), "Examplary Surgery Today"),
    ("Examplamide helps (Smith & Jones, Journal of Examples, 2010).", ("Smith", "Jones"), "Journal of Examples"),
    ("Examplamide helps (Smith et al., 2010).", ("Smith",), None),
])
def test_author_year_with_a_journal_between_names_and_year(text: str, authors: tuple[str, ...],
                                                           journal: str | None) -> None:
    (m,) = cites(text)
    assert (m.kind, m.authors, m.year, m.journal) == ("author_year", authors, int(m.raw[-5:-1]), journal)


def test_led_by_a_person_of_an_institution_is_a_narrative_cue() -> None:
    text = ("The researchers, led by Amara Velde of Universitas Examplia in Borduria, studied 30 patients. "
            "Fifteen took zorvatide.\n")
    (m,) = cites(text)
    assert (m.kind, m.raw, m.authors, m.affiliation) == (
        "narrative", "led by Amara Velde of Universitas Examplia in Borduria", ("Velde A",),
        "Universitas Examplia in Borduria")
    (bare,) = cites("The trial, led by Dr. Amara Velde, enrolled 40 adults taking zorvatide.")
    assert (bare.kind, bare.authors, bare.affiliation) == ("narrative", ("Velde A",), None)
