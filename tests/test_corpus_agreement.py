"""The scoring functions of benchmarks/corpus_agreement.py, on small hand-made gold and project rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus_agreement.py"


@pytest.fixture(scope="module")
def ca():
    spec = importlib.util.spec_from_file_location("corpus_agreement_under_test", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TEXT = ("SOURCE: https://example.org/page\n"
        "Zinc shortens colds by three days in adults. It is safe.\n"
        "A trial of 100 adults found fewer   colds (Smith 2020).\n"
        "Zinc shortens colds by three days in adults.")


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def claim_row(cid, s, e, status="graded", certainty="low", pmids=(), reasons=()):
    return {"claim_id": cid, "char_start": s, "char_end": e, "status": status, "certainty": certainty,
            "pmids": list(pmids), "reasons": list(reasons)}


def test_locate_exact_all_occurrences_and_whitespace_fallback(ca):
    spans, how = ca.locate("Zinc shortens colds by three days in adults.", TEXT)
    assert how == "exact" and len(spans) == 2
    spans, how = ca.locate("found fewer colds", TEXT)
    assert how == "whitespace"
    (s, e), = spans
    assert TEXT[s:e] == "found fewer   colds"
    assert ca.locate("not in the page", TEXT) == ([], "missing")


def test_claim_overlap_mapping(ca):
    gold = [{"text": "Zinc shortens colds by three days in adults."},   # two occurrences
            {"text": "It is safe."},
            {"text": "A trial of 100 adults found fewer   colds (Smith 2020)."}]
    s1, _ = span(TEXT, "Zinc shortens colds")
    trial = span(TEXT, "A trial of 100 adults found fewer   colds (Smith 2020).")
    rows = [
        claim_row("p1", s1, s1 + 30),                        # 30 of 44 characters: found
        claim_row("p2", trial[0], trial[0] + 21),             # "A trial of 100 adults": a clause inside the sentence
        claim_row("p3", span(TEXT, "It is")[0], span(TEXT, "It is")[0] + 3),  # 3 of 11, but inside the sentence
    ]
    matches = ca.match_claims(gold, rows, TEXT)
    assert [m["claim_id"] for m in matches] == ["p1", "p3", "p2"]
    assert all(m["found"] for m in matches)
    assert matches[0]["located"] == "exact" and len(matches[0]["spans"]) == 2


def test_claim_not_found_when_overlap_small_and_outside_sentence(ca):
    gold = [{"text": "It is safe."}]
    _, e = span(TEXT, "It is safe.")
    # a project claim spanning both sentences of line 2 and more: overlaps all of "It is safe." -> found
    rows = [claim_row("wide", span(TEXT, "Zinc")[0], e)]
    assert ca.match_claims(gold, rows, TEXT)[0]["found"]
    # one that barely touches it and reaches into the next line: not found
    rows = [claim_row("edge", e - 2, e + 30)]
    m = ca.match_claims(gold, rows, TEXT)[0]
    assert not m["found"] and m["claim_id"] is None


def test_several_gold_claims_on_one_project_claim_are_counted(ca):
    gold = [{"text": "Zinc shortens colds by three days in adults."}, {"text": "It is safe."}]
    line = span(TEXT, "Zinc shortens colds by three days in adults. It is safe.")
    matches = ca.match_claims(gold, [claim_row("p", *line)], TEXT)
    assert [m["claim_id"] for m in matches] == ["p", "p"]
    assert [m["shared"] for m in matches] == [2, 2]


@pytest.mark.parametrize(("status", "certainty", "expected"), [
    ("graded", "high", "High"), ("graded", "moderate", "Moderate"), ("graded", "low", "Low"),
    ("graded", "very low", "Very low"),
    ("not-supported", "no evidence", "CDNS"), ("off-topic", "no evidence", "CDNS"),
    ("retracted", "no evidence", "CDNS"), ("contradicts", "no evidence", "CDNS"),
    ("uncited", "no evidence", "NEC"), ("unresolved", "no evidence", "NEC"),
    ("unavailable", "no evidence", "unavailable"),
])
def test_verdict_class_mapping(ca, status, certainty, expected):
    assert ca.project_class({"status": status, "certainty": certainty}) == expected


def test_verdict_class_of_missing_claim_and_gold_aliases(ca):
    assert ca.project_class(None) == "not found"
    assert ca.gold_class("Citation does not support claim") == "CDNS"
    assert ca.gold_class("No evidence cited") == "NEC"
    assert ca.gold_class("Very low") == "Very low"


def test_link_precision_recall_and_invented(ca):
    served = {"1", "2"}
    gold = [
        {"text": "a", "cited": ["c1"], "cited_resolved": ["pmid:1", "pmid:2"]},  # two gold pairs
        {"text": "b", "cited": ["c3"], "cited_resolved": ["key:NoPmid"]},       # no served pair
        {"text": "c", "cited": [], "cited_resolved": []},                        # cites nothing
        {"text": "d", "cited": [], "cited_resolved": []},                        # cites nothing, not linked
        {"text": "e", "cited": ["c1"], "cited_resolved": ["pmid:1"]},           # not found
    ]
    matches = [{"claim_id": "p1", "found": True}, {"claim_id": "p2", "found": True},
               {"claim_id": "p3", "found": True}, {"claim_id": "p4", "found": True},
               {"claim_id": None, "found": False}]
    claims = [claim_row("p1", 0, 1, pmids=[1, 9]), claim_row("p2", 0, 1, pmids=[2]),
              claim_row("p3", 0, 1), claim_row("p4", 0, 1)]
    citations = [{"claim_id": "p3", "pmid": None, "link": "inline", "raw": "http://x"},
                 {"claim_id": None, "pmid": 1, "link": "none", "raw": "ref"}]
    links, linked = ca.project_links(claims, citations)
    assert links == {"p1": {"1", "9"}, "p2": {"2"}}
    assert linked == {"p1", "p2", "p3"}
    fig = ca.score_links(gold, matches, links, linked, served)
    assert (fig["recalled"], fig["gold_pairs"]) == (1, 3)      # p1->1 yes, p1->2 no, e->1 not found
    assert (fig["correct_links"], fig["project_links"]) == (1, 3)  # 1 right; 9 and (b, 2) extra
    assert fig["invented"] == 1 and fig["uncited_gold"] == 2
    assert {(m["claim"], m["pmid"]) for m in fig["missing"]} == {("a", "2"), ("e", "1")}
    assert {(m["claim"], m["pmid"]) for m in fig["extra"]} == {("a", "9"), ("b", "2")}


def test_link_to_an_unserved_gold_pmid_is_not_extra(ca):
    gold = [{"text": "a", "cited": ["c2"], "cited_resolved": None}]
    cits = {"c2": {"id": "c2", "pmid": "777", "verified": False}}
    fig = ca.score_links(gold, [{"claim_id": "p", "found": True}], {"p": {"777"}}, {"p"}, {"1"}, cits)
    assert fig["gold_pairs"] == 0 and fig["correct_links"] == 1 and fig["extra"] == []


def test_confusion_matrix_agreement_and_overstatement(ca):
    served = {"1"}
    gold = [
        {"certainty": "High", "cited_resolved": ["pmid:1"]},
        {"certainty": "Moderate", "cited_resolved": ["pmid:1"]},
        {"certainty": "Very low", "cited_resolved": ["pmid:1"]},
        {"certainty": "Citation does not support claim", "cited_resolved": ["pmid:1"]},
        {"certainty": "No evidence cited", "cited_resolved": []},
        {"certainty": "Low", "cited_resolved": ["key:X"]},       # unreachable
        {"certainty": "Low", "cited_resolved": ["pmid:1"]},
    ]
    claims = {
        "a": {"status": "graded", "certainty": "high"},
        "b": {"status": "uncited", "certainty": "no evidence"},
        "c": {"status": "graded", "certainty": "moderate"},       # two above Very low: overstated
        "d": {"status": "graded", "certainty": "low"},            # graded where gold says CDNS
        "e": {"status": "uncited", "certainty": "no evidence"},
        "f": {"status": "unresolved", "certainty": "no evidence"},
    }
    matches = [{"claim_id": k} for k in "abcdef"] + [{"claim_id": None}]
    v = ca.score_verdicts(gold, matches, claims, served)
    assert (v["agree"], v["n"]) == (2, 7)
    assert (v["reachable_agree"], v["reachable_n"]) == (2, 6)
    assert v["confusion"]["High"] == {"High": 1}
    assert v["confusion"]["Moderate"] == {"NEC": 1}
    assert v["confusion"]["Very low"] == {"Moderate": 1}
    assert v["confusion"]["CDNS"] == {"Low": 1}
    assert v["confusion"]["Low"] == {"NEC": 1, "not found": 1}
    assert v["mh_n"] == 2 and v["mh_not_within_one"] == 1
    assert v["overstated_graded"] == 1 and v["graded_where_gold_ungraded"] == 1


def test_citation_resolution_at_the_gold_span(ca):
    served = {"1", "2"}
    text = "Claim one (Smith 2020). Claim two [2]. Reference: Smith J. 2020."
    gold = [{"id": "c1", "raw": "(Smith 2020)", "pmid": "1"},
            {"id": "c2", "raw": "[2]", "pmid": "2"},
            {"id": "c3", "raw": "Reference", "pmid": None, "key": "K"}]
    s1, e1 = span(text, "Smith 2020")
    s3, e3 = span(text, "Smith J. 2020.")
    s2, e2 = span(text, "[2]")
    rows = [{"claim_id": "p1", "char_start": s1, "char_end": e1, "pmid": 1, "method": "author-esearch",
             "resolution": "resolved", "raw": "Smith 2020"},
            {"claim_id": None, "char_start": s3, "char_end": e3, "pmid": 2, "method": "ecitmatch",
             "resolution": "resolved", "raw": "Smith J. 2020."},
            {"claim_id": "p2", "char_start": s2, "char_end": e2, "pmid": None, "method": "none",
             "resolution": "not_found", "raw": "[2]"}]
    fig = ca.score_citations(gold, rows, text, served)
    assert (fig["resolved"], fig["served"], fig["anywhere"]) == (1, 2, 2)
    assert fig["records"] == 2 and fig["records_resolved"] == 2
    (miss,) = fig["misses"]
    assert miss["pmid"] == "2" and miss["anywhere"] and miss["project"][0]["resolution"] == "not_found"
    assert [u["id"] for u in fig["unscored"]] == ["c3"]


def test_score_doc_and_totals(ca):
    text = "Drug X cures colds (PMID 1). Drug X is popular."
    gold = {"claims": [
        {"text": "Drug X cures colds (PMID 1).", "cited": ["c1"], "cited_resolved": ["pmid:1"],
         "certainty": "Low", "reasons": "small trial"},
        {"text": "Drug X is popular.", "cited": [], "cited_resolved": [], "certainty": "No evidence cited",
         "reasons": "nothing cited"}],
        "citations": [{"id": "c1", "raw": "PMID 1", "pmid": "1"}]}
    s, e = span(text, "Drug X cures colds (PMID 1).")
    cs, ce = span(text, "PMID 1")
    claims = [claim_row("p1", s, e, certainty="very low", pmids=[1], reasons=["design: small"]),
              claim_row("p2", *span(text, "Drug X is popular."), status="uncited", certainty="no evidence")]
    cits = [{"claim_id": "p1", "char_start": cs, "char_end": ce, "pmid": 1, "method": "direct",
             "resolution": "resolved", "raw": "PMID 1", "link": "inline"}]
    doc = ca.score_doc(gold, text, claims, cits, {"1"})
    assert doc["claims_found"] == 2 and doc["citations"]["resolved"] == 1
    assert doc["links"]["recall"] == 1.0 and doc["links"]["precision"] == 1.0 and doc["links"]["invented"] == 0
    assert doc["verdicts"]["agree"] == 1
    (wrong,) = doc["misses"]["verdict_wrong"]
    assert (wrong["gold"], wrong["project"], wrong["project_reasons"]) == ("Low", "Very low", ["design: small"])
    t = ca.totals({"doc01": doc, "doc02": doc})
    assert t["claims_found"] == 4 and t["verdict_agreement"] == 0.5 and t["link_recall"] == 1.0
    assert t["confusion"]["Low"] == {"Very low": 2}
    assert "TOTALS" in ca.format_report({"corpus": "x", "served_pmids": ["1"], "per_doc": {"doc01": doc},
                                         "totals": ca.totals({"doc01": doc}), "run": {}})
