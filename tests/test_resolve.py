"""Citation matching: the esearch a reference becomes (pure), then resolution of real 1970s
references through Bio.Entrez against the stand-in (ECitMatch batched, esearch fallbacks,
ambiguity kept with its candidates), through the snapshot, and into the warehouse.

The records are the first 3,000 of pubmed20n0014.xml.gz, where first authors really do
collide: four papers by a first author Smith in 1979, two by Hummel in one volume.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from grading.models import CitationMention, PubmedRecord
from grading.pubmed.entrez import EntrezSource
from grading.pubmed.ladder import steps
from grading.pubmed.parser import iter_pubmed_xml
from grading.pubmed.resolve import resolve_mentions, resolve_one
from grading.pubmed.snapshot import SnapshotSource
from grading.settings import bundled_path
from grading.testing.standin import EutilsStandin
from tests.factories import make_record
from tests.runs import grade
from tests.standin_fixtures import TEST_EMAIL

pytest_plugins = ("tests.standin_fixtures",)

SMITH_1979 = (399371, 399675, 400960, 401316)  # first author Smith, 1979, in these records


def reference(kind: str = "author_year", *authors: str, year: int | None = 1979, title: str | None = None,
              journal: str | None = None, volume: str | None = None, first_page: str | None = None) -> CitationMention:
    raw = " ".join(filter(None, [", ".join(authors), str(year or ""), title, journal, volume, first_page]))
    return CitationMention(0, len(raw), raw, kind, raw, authors=authors, year=year, title=title, journal=journal,
                           volume=volume, first_page=first_page)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def records_1979(testdata_dir: Path) -> list[PubmedRecord]:
    return [r for r in itertools.islice(iter_pubmed_xml(testdata_dir / "pubmed20n0014.xml.gz"), 3000)
            if isinstance(r, PubmedRecord)]


@pytest.fixture()
def standin(records_1979):  # type: ignore[no-untyped-def]
    with EutilsStandin(records=records_1979, rate=None, rate_with_key=None) as s:
        yield s


@pytest.fixture()
def entrez(standin: EutilsStandin) -> EntrezSource:
    return EntrezSource(standin.base_url, TEST_EMAIL, "k", rate=40, backoff=0.01, max_tries=2, seed=0)


# --- the query (pure) ----------------------------------------------------------------------------

def test_the_ladder_loosens_step_by_step_and_never_ands_everything() -> None:
    assert [x.term for x in steps(reference("author_year", "Smith"))] == ["Smith[1au] AND 1979[dp]"]
    listed = reference("author_list", "Hummel R", "Witte W", "Schulz K", "Roe A", title="Staphylococcus aureus "
                       "infections in domestic fowls: 1. Ecology (review)", journal="Arch Exp Veterinarmed",
                       volume="33", first_page="831")
    got = [(x.name, x.term) for x in steps(listed)]
    assert got[0] == ("author+year+title", ("Hummel R[1au] AND 1979[dp] AND staphylococcus[ti] AND infection*[ti] "
                                           "AND domestic[ti]"))
    assert got[1] == ("author+title, year±1", ("Hummel R[1au] AND 1978:1980[dp] AND staphylococcus[tiab] "
                                              "AND infection*[tiab]"))
    assert ("journal+year+volume/page", '"Arch Exp Veterinarmed"[ta] AND 1979[dp] AND 33[vi] AND 831[pg]') in got
    assert ("author+co-authors", "Hummel R[1au] AND Witte W[au] AND Schulz K[au] AND 1978:1980[dp]") in got
    assert not any("Roe A" in term or term.count(" AND ") > 4 for _, term in got)  # never every field at once
    # A surname of several words is one author term, quoted.
    assert [x.term for x in steps(reference("author_year", "Dos Vantos Orrina"))] == [
        '"Dos Vantos Orrina"[1au] AND 1979[dp]']
    assert steps(reference("author_list", "van Orrin T", "Roe A"))[-1].term == '"van Orrin T"[1au] AND 1979[dp]'
    journal = reference("journal_ref", journal='Brain "Res"', volume="1117", first_page="54", year=2006)
    assert [x.term for x in steps(journal)] == ['"Brain Res"[ta] AND 2006[dp] AND 1117[vi] AND 54[pg]']
    assert steps(reference("author_year", year=None)) == []


def test_narrative_cues_search_with_their_topic_words() -> None:
    cue = CitationMention(0, 10, "lead author Ulla K. Vartola", "narrative", "v", authors=("Vartola UK",),
                          design="first-author", topic=("quillberry", "tinnitus", "hearing"), year=2011)
    terms = [x.term for x in steps(cue)]
    assert terms == ["Vartola UK[1au] AND quillberry[tiab] AND tinnitus[tiab] AND hearing[tiab]",
                     "Vartola UK[1au] AND quillberry[tiab] AND tinnitus[tiab]", "Vartola UK[1au] AND 2010:2012[dp]",
                     "quillberry[tiab] AND tinnitus[tiab] AND hearing[tiab] AND 2010:2012[dp]",
                     "quillberry[tiab] AND hearing[tiab] AND 2010:2012[dp]",  # then drop one word at a time
                     "tinnitus[tiab] AND hearing[tiab] AND 2010:2012[dp]"]
    journal = replace(cue, authors=(), design=None, journal="Otology Letters", acronym="QUEST",
                      title="Quillberry Extract Study of Tinnitus")
    names = [x.name for x in steps(journal)]
    assert names[:3] == ["acronym+topic", "expansion+topic", "acronym+year±1"]
    assert "journal+topic" in names and "journal+year±1+topic" in names


# --- through Bio.Entrez and the stand-in ------------------------------------------------------------

def test_journal_names_with_an_ampersand_are_asked_both_ways_and_numbered_plurals_singular() -> None:
    from grading.pubmed.ladder import journal, word
    assert journal("Examplins & Other Lipid Notes") == (
        '("Examplins & Other Lipid Notes"[ta] OR "Examplins and Other Lipid Notes"[ta])')
    assert journal("Journal of Example and Metabolic Notes") == (
        '("Journal of Example and Metabolic Notes"[ta] OR "Journal of Example & Metabolic Notes"[ta])')
    assert journal("Example Research") == '"Example Research"[ta]'
    assert word("Zorvatide-3s") == "zorvatide-3[tiab]"


def test_author_year_is_ambiguous_with_every_candidate_until_a_title_narrows_it(entrez: EntrezSource) -> None:
    smith = resolve_one(reference("author_year", "Smith"), entrez)
    assert (smith.status, smith.method, smith.pmid) == ("ambiguous", "author-esearch", None)
    assert sorted(smith.candidates) == sorted(SMITH_1979)  # first authors only: co-author Smiths excluded
    assert smith.detail == ("4 records match for Smith[1au] AND 1979[dp]; no figure or design the page states "
                            "tells the candidates apart")
    titled = resolve_one(reference("author_list", "Smith SR", title="Comparative effects of azathioprine"), entrez)
    assert (titled.status, titled.pmid, titled.method) == ("resolved", 401316, "author-esearch")
    brown = resolve_one(reference("author_year", "Brown", title="Phagosome/lysosome fusion"), entrez)
    assert (brown.status, brown.pmid) == ("resolved", 399339)


def test_journal_references_go_to_ecitmatch_in_one_batch(entrez: EntrezSource, standin: EutilsStandin) -> None:
    refs = [reference("journal_ref", journal="Arch Exp Veterinarmed", volume="33", first_page="837"),
            reference("author_list", "Hummel R", "Witte W", journal="Arch Exp Veterinarmed", volume="33",
                      first_page="831"),
            reference("journal_ref", journal="Parasite Immunol", volume="1", first_page="309"),
            reference("author_year", "Smith")]
    got = resolve_mentions(refs, entrez)
    assert [(r.status, r.pmid, r.method) for r in got.values()] == [
        ("resolved", 399433, "ecitmatch"), ("resolved", 399432, "ecitmatch"), ("resolved", 399339, "ecitmatch"),
        ("ambiguous", None, "author-esearch")]
    assert standin.requests == {"ecitmatch": 1, "esearch": 1, "efetch": 1}  # Smith's 4 hits fetched to verify
    assert standin.seen[0].params["bdata"].count("\r") == 2  # three citations, one request


def test_what_ecitmatch_cannot_place_falls_back_to_esearch(entrez: EntrezSource, standin: EutilsStandin) -> None:
    # ECitMatch knows journals by their abbreviation; esearch's [ta] also takes the full title.
    full_title = reference("journal_ref", journal="Archiv fur experimentelle Veterinarmedizin", volume="33",
                           first_page="831", year=1979)
    standin.faults.script("error", endpoint="ecitmatch")  # a retried failure changes nothing
    assert resolve_one(full_title, entrez).pmid == 399432
    wrong = reference("journal_ref", journal="Arch Exp Vet Med", volume="33", first_page="831", year=1979)
    missed = resolve_one(wrong, entrez)
    assert (missed.status, missed.method) == ("not_found", "journal-esearch")
    assert missed.detail == 'PubMed has no matching record for "Arch Exp Vet Med"[ta] AND 1979[dp] AND 33[vi] AND 831[pg]'
    assert standin.requests["ecitmatch"] == 3 and standin.requests["esearch"] == 1  # 2 tries + 1; 1 search


def test_an_ecitmatch_ambiguity_is_narrowed_by_the_title_or_kept(make_entrez_source) -> None:  # type: ignore[no-untyped-def]
    twins = [make_record(1, "Zinc and colds in children", journal="J Twins", year=2000, authors=("Roe R",),
                         volume="3", pages="10-12"),
             make_record(2, "Erratum: zinc and colds in children", journal="J Twins", year=2000,
                         authors=("Roe R",), volume="3", pages="10")]
    with EutilsStandin(records=twins, rate=None) as standin:
        source = make_entrez_source(base_url=standin.base_url)
        untitled = resolve_one(reference("author_list", "Roe R", year=2000, journal="J Twins", volume="3",
                                         first_page="10"), source)
        titled = resolve_one(reference("author_list", "Roe R", year=2000, title="Erratum: zinc and colds",
                                       journal="J Twins", volume="3", first_page="10"), source)
    assert (untitled.status, untitled.candidates) == ("ambiguous", (2, 1))
    assert (titled.status, titled.pmid, titled.method) == ("resolved", 2, "author-esearch")


def test_a_failed_search_is_unavailable_not_absent(entrez: EntrezSource, standin: EutilsStandin) -> None:
    standin.faults.set_rate(1.0, kinds=["server_error"], endpoints=["esearch"])
    failed = resolve_one(reference("author_year", "Smith"), entrez)
    assert failed.status == "unavailable" and failed.detail.startswith("esearch failed: HTTP 503")


# --- through the snapshot ----------------------------------------------------------------------------

def test_the_snapshot_resolves_what_it_holds_and_cannot_rule_anything_out() -> None:
    snapshot = SnapshotSource(bundled_path("snapshot.xml"))
    eremin = resolve_one(reference("author_year", "Eremin", year=2005), snapshot)
    assert (eremin.status, eremin.pmid) == ("resolved", 16362768)
    journal = resolve_one(reference("journal_ref", journal="Brain Res", volume="1117", first_page="54", year=2006),
                          snapshot)
    assert (journal.status, journal.pmid, journal.method) == ("resolved", 16996037, "ecitmatch")
    nobody = resolve_one(reference("author_year", "Nobody", year=1999), snapshot)
    assert nobody.status == "unavailable" and "subset of PubMed" in (nobody.detail or "")


def test_the_query_log_names_each_citation_as_it_stands() -> None:
    """resolution_queries shows a citation's kind and value as `citations` does, never the
    resolver's own key (authors, year, journal … joined with '|')."""
    snapshot = SnapshotSource(bundled_path("snapshot.xml"))
    mentions = [reference("author_year", "Eremin", year=2005),
                reference("journal_ref", journal="Brain Res", volume="1117", first_page="54", year=2006),
                reference("author_year", "Nobody", year=1999),
                replace(reference("author_list", "Nobody A", year=1999, title="A title nobody wrote"), kind="doi",
                        value="10.1000/damaged")]
    log: list = []
    resolve_mentions(mentions, snapshot, log)
    assert {q.step for q in log} >= {"ecitmatch", "author+year", "doi"}
    assert {(q.kind, q.value) for q in log} == {(m.kind, m.value) for m in mentions}
    assert not any("|" in q.value for q in log)


def test_a_damaged_doi_searched_by_its_fields_is_logged_as_the_doi(entrez: EntrezSource) -> None:
    """The fallback searches the entry's other fields as a reference; its queries stay under the
    DOI citation the page holds."""
    damaged = replace(reference("author_list", "Hummel R", title="Staphylococcus aureus infections in domestic "
                                "fowls", journal="Arch Exp Veterinarmed", volume="33", first_page="831"),
                      kind="doi", value="10.9999/no.such.doi")
    log: list = []
    resolve_mentions([damaged], entrez, log)
    assert log[0].step == "doi" and len(log) > 1  # the DOI, then the entry's fields
    assert {(q.kind, q.value) for q in log} == {("doi", "10.9999/no.such.doi")}


# --- into the warehouse ------------------------------------------------------------------------------

def test_the_warehouse_lists_an_ambiguous_citations_candidates(tmp_path: Path, standin,  # type: ignore[no-untyped-def]
                                                                monkeypatch: pytest.MonkeyPatch) -> None:

    doc = tmp_path / "botulism.md"
    doc.write_text("Clostridium botulinum toxin causes infant botulism (Smith et al., 1979).\n"
                   "Phagosome fusion is needed for BCG to enhance antibody responses "
                   "(Brown et al., 1979, Phagosome/lysosome fusion).\n", encoding="utf-8")
    monkeypatch.setenv("NCBI_API_KEY", "resolve-test-key")
    grade([doc], tmp_path / "w.duckdb", tmp_path / "r", eutils_url=standin.base_url)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        got = con.execute("SELECT value, resolution, method, candidates, pmid, fetch_outcome, detail "
                          "FROM citations WHERE kind = 'author_year' ORDER BY char_start").fetchall()
        queries = con.execute("SELECT kind, step, term, count, outcome FROM resolution_queries "
                              "WHERE value = 'Smith et al., 1979' ORDER BY seq").fetchall()
    assert queries == [("author_year", "author+year", "Smith[1au] AND 1979[dp]", 4,
                        "verified " + " ".join(map(str, sorted(SMITH_1979, reverse=True))))]
    smith = got[0]
    assert smith[:3] == ("Smith et al., 1979", "ambiguous", "author-esearch")
    assert sorted(smith[3]) == sorted(SMITH_1979) and smith[4] is None and smith[5] is None
    assert "4 records match" in smith[6]


# --- citations with no id, through Bio.Entrez and the stand-in (invented papers) ---------------------

QUILL = [
    make_record(501, "Quillberry extract for chronic tinnitus in older adults: a randomized trial",
                "In 212 adults aged 60 to 80, quillberry extract 300 mg daily for 12 weeks reduced tinnitus "
                "loudness by 41% versus 12% with placebo.", year=2011, authors=("Vartola U", "Marrow P", "Orrin T"),
                journal="Otol Lett", volume="42", pages="113-119", pub_types=("Randomized Controlled Trial",)),
    make_record(502, "Quillberry and tinnitus: an open-label pilot study",
                "Eighteen adults took quillberry for tinnitus for 4 weeks.", year=2009,
                authors=("Vartola U", "Fenwick S"), journal="Otol Lett", volume="40", pages="7-9"),
    make_record(503, "Hearing loss after noise: a cohort of 9,000 workers", "Noise and hearing in workers.",
                year=2011, authors=("Løvås K", "Strauß B"), journal="Occup Hear", volume="3", pages="1-8"),
]


def cue(raw: str, **fields: object) -> CitationMention:
    from grading.documents.citation_cues import cue_value

    m = CitationMention(0, len(raw), raw, "narrative", "", **fields)  # type: ignore[arg-type]
    return replace(m, value=cue_value(m))


@pytest.fixture()
def quill(make_entrez_source):  # type: ignore[no-untyped-def]
    with EutilsStandin(records=QUILL, rate=None) as standin:
        yield standin, make_entrez_source(base_url=standin.base_url)


def test_a_lead_author_and_the_pages_topic_find_the_paper_and_every_query_is_logged(quill) -> None:  # type: ignore[no-untyped-def]
    standin, source = quill
    log: list = []
    lead = cue("lead author Ulla Vartola", authors=("Vartola U",), design="first-author",
               topic=("quillberry", "tinnitus", "loudness"), figures=("212", "41"))
    got = resolve_mentions([lead], source, log)[("narrative", lead.value)]
    assert (got.status, got.pmid, got.method) == ("resolved", 501, "narrative-esearch")
    assert got.detail.startswith("person+topic: agrees on author, figures, topic")
    assert [(q.step, q.term, q.count, q.ids, q.outcome) for q in log] == [
        ("person+topic", "Vartola U[1au] AND quillberry[tiab] AND tinnitus[tiab] AND loudness[tiab]", 1, (501,),
         "verified 501")]
    assert standin.requests["efetch"] == 1  # the hit was fetched to check who wrote it


def test_two_verified_papers_stay_ambiguous_unless_the_pages_figures_pick_one(quill) -> None:  # type: ignore[no-untyped-def]
    _, source = quill
    vague = cue("Ulla Vartola of the University of Brindle", authors=("Vartola U",), affiliation="University of Brindle",
                topic=("quillberry", "tinnitus"))
    got = resolve_one(vague, source)
    assert (got.status, got.pmid, sorted(got.candidates)) == ("ambiguous", None, [501, 502])
    assert "no figure or design" in got.detail
    figures = replace(vague, figures=("212", "300"), value=vague.value + " | figures=212 300")
    picked = resolve_one(figures, source)
    assert (picked.status, picked.pmid) == ("resolved", 501)
    assert "figures the page states (212, 300) appear in this abstract only" in picked.detail


def test_one_typo_or_missing_word_loosens_the_search_instead_of_losing_the_paper(quill) -> None:  # type: ignore[no-untyped-def]
    _, source = quill
    typo = reference("author_list", "Vartola U", "Marrow P", year=2011,
                     title="Quillbery extract for chronic tinitus in older adults")  # two typos, no journal
    log: list = []
    got = resolve_one(typo, source, None, log)
    assert (got.status, got.pmid) == ("resolved", 501)
    assert log[0].outcome == "zero" and log[-1].outcome == "verified 501"


def test_a_named_author_not_on_the_paper_rules_it_out(quill) -> None:  # type: ignore[no-untyped-def]
    _, source = quill
    wrong = cue("lead author Tomas Quarry", authors=("Quarry T",), design="first-author", journal="Otol Lett",
                topic=("quillberry", "tinnitus"))
    got = resolve_one(wrong, source)
    assert got.status == "not_found"  # the journal search found quillberry papers, none by Quarry
    assert "none is the cited paper" in got.detail and "contradicts author Quarry T" in got.detail


def test_names_are_folded_alike_in_the_query_the_index_and_the_identity_check(quill) -> None:  # type: ignore[no-untyped-def]
    _, source = quill
    for spelled in ("Løvås K", "Lovas K"):
        got = resolve_one(reference("author_list", spelled, "Strauss B", year=2011,
                                    title="Hearing loss after noise"), source)
        assert (got.status, got.pmid) == ("resolved", 503), spelled


def test_a_failed_search_is_unavailable_and_a_clean_zero_is_not_found(quill) -> None:  # type: ignore[no-untyped-def]
    standin, source = quill
    nobody = cue("lead author Ada Nobody", authors=("Nobody A",), topic=("quillberry", "tinnitus"))
    clean = resolve_one(nobody, source)
    assert clean.status == "not_found" and clean.detail.startswith("PubMed has no matching record")
    standin.faults.set_rate(1.0, kinds=["server_error"], endpoints=["esearch"])
    failed = resolve_one(nobody, source)
    assert failed.status == "unavailable" and "503" in failed.detail


def test_ecitmatch_gets_the_journal_never_the_title(quill) -> None:  # type: ignore[no-untyped-def]
    from grading.documents.citations import extract_citations

    standin, source = quill
    entry = extract_citations("Vartola U, Marrow P. Quillberry and hearing. Otol Lett. 2011;42:113-9.")[0]
    got = resolve_mentions([entry], source)
    assert [(r.status, r.pmid, r.method) for r in got.values()] == [("resolved", 501, "ecitmatch")]
    assert standin.seen[0].params["bdata"].startswith("Otol Lett|2011|42|113|Vartola U|")


def test_offline_the_snapshot_answers_the_same_ladder(tmp_path: Path) -> None:
    xml = tmp_path / "quill.xml"
    xml.write_text("<PubmedArticleSet>" + "".join(r.raw_xml for r in QUILL) + "</PubmedArticleSet>", encoding="utf-8")
    snapshot = SnapshotSource(xml)
    journal = cue("published in Otology Letters", journal="Otol Lett", topic=("quillberry", "tinnitus", "older"),
                  figures=("212", "300"))
    got = resolve_one(journal, snapshot)
    assert (got.status, got.pmid) == ("resolved", 501)
    missing = resolve_one(cue("lead author Ada Nobody", authors=("Nobody A",), topic=("quillberry",)), snapshot)
    assert missing.status == "unavailable" and "subset of PubMed" in missing.detail


def test_a_publisher_item_id_is_searched_as_an_article_id(quill) -> None:  # type: ignore[no-untyped-def]
    from grading.documents.citations import extract_citations

    _, source = quill
    pii = extract_citations("memory (https://www. examplejournal.com/science/article/pii/S0000000000000001)")[0]
    log: list = []
    got = resolve_one(pii, source, None, log)
    assert (pii.kind, got.method) == ("pii", "pii-esearch")
    assert got.status == "not_found" and [(q.step, q.term) for q in log] == [("pii", "S0000000000000001[aid]")]


def test_a_titles_only_reference_list_resolves_by_title_or_stays_cited_but_not_found(entrez: EntrezSource) -> None:
    from grading.documents.citations import extract_citations
    text = ("Azathioprine weakened humoral immunity in mice.[1] Zorvatide cured every cold.[2]\n\n"
            "References\n"
            "1. Comparative effects of azathioprine, cyclophosphamide and frentizole on humoral immunity in mice.\n"
            "2. Zorvatide for the common cold in examplamide-treated adults.\n")
    first, second = [m for m in extract_citations(text) if m.kind == "title"]
    assert (first.footnote, second.footnote) == (1, 2)
    assert resolve_one(first, entrez).pmid == 401316  # the title search, checked by identity
    missing = resolve_one(second, entrez)
    assert (missing.status, missing.pmid) == ("not_found", None)  # its claim: "citation not found", not "not cited"
