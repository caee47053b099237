"""Quotable evidence, without a warehouse: claim text as a reader quotes it, one entry per
record per card, the abstract sentence a finding cites, sources named by title."""

from __future__ import annotations

from types import SimpleNamespace

from grading.reports.html import claim_cards, display_text, mini_bar, source_label


def test_display_text_drops_markup_and_keeps_words() -> None:
    assert display_text("repairs heart valves ([Lancet 1979](https://example.org/a_(b)))") == \
        "repairs heart valves (Lancet 1979)"
    assert display_text("**Cuts** <b>pain</b> by ![chart](c.png) *half*\n  in   `weeks`") == \
        "Cuts pain by chart half in weeks"
    assert display_text("5 * 3 = 15 and a*b") == "5 * 3 = 15 and a*b"  # a lone asterisk is not emphasis
    assert display_text(None) == ""


def cite(claim_id: str, pmid: int | None, raw: str, footnote: int | None = None) -> dict:
    return {"claim_id": claim_id, "pmid": pmid, "raw": raw, "footnote": footnote, "kind": "pmid" if pmid else "url",
            "value": str(pmid) if pmid else "https://example.org/x", "source": "s"}


def test_a_record_cited_twice_by_a_claim_is_one_entry_with_both_citations() -> None:
    claim = {"claim_id": "c1", "claim_text": "Helps [x](https://e.org)", "source": "s", "certainty": "low"}
    record = {"pmid": 7, "title": "A trial", "journal": "J", "year": 2001}
    reasons = [{"claim_id": "c1", "pmid": 7, "span_in": "title", "span_text": "A trial"},
               {"claim_id": "c1", "pmid": 7, "span_in": "abstract", "span_text": "Pain fell by half."},
               {"claim_id": "c1", "pmid": 7, "span_in": "abstract", "span_text": "A later sentence."}]
    marts = SimpleNamespace(support=[], evidence_profile=[], claims=[claim], records=[record], reasons=reasons,
                            citations=[cite("c1", 7, "[1] Doe 2001", footnote=1), cite("c1", 7, "PMID 7"),
                                       cite("c1", None, "https://example.org/x")])
    card = claim_cards(marts)["c1"]
    assert [c["pmid"] for c in card["citations"]] == [7, None]
    assert card["citations"][0]["raws"] == ["[1] Doe 2001", "PMID 7"] and card["citations"][0]["footnote"] == 1
    assert card["display_text"] == "Helps x"
    assert card["quotes"] == [{"pmid": 7, "record": record, "href": "https://pubmed.ncbi.nlm.nih.gov/7/",
                               "label": None, "sentence": "Pain fell by half.", "quoted_in": "abstract"}]


def test_the_cite_block_quotes_the_sentence_the_support_label_rests_on() -> None:
    """claim_support's sentence (what the record says about the claim) before any sentence a rule
    quoted; a record with no support row keeps the rule's abstract sentence."""
    claim = {"claim_id": "c1", "claim_text": "Cuts pain in adults", "source": "s", "certainty": "low"}
    records = [{"pmid": 7, "title": "A trial"}, {"pmid": 8, "title": "Another"}]
    reasons = [{"claim_id": "c1", "pmid": 7, "span_in": "abstract", "span_text": "We enrolled 40 adults."},
               {"claim_id": "c1", "pmid": 8, "span_in": "abstract", "span_text": "Pain fell in mice."}]
    support = [{"claim_id": "c1", "pmid": 7, "label": "supports", "span_in": "abstract",
                "span_text": "Pain fell by half compared with placebo."}]
    marts = SimpleNamespace(support=support, evidence_profile=[], claims=[claim], records=records, reasons=reasons,
                            citations=[cite("c1", 7, "PMID 7"), cite("c1", 8, "PMID 8")])
    quotes = {q["pmid"]: q for q in claim_cards(marts)["c1"]["quotes"]}
    assert (quotes[7]["label"], quotes[7]["sentence"]) == ("supports", "Pain fell by half compared with placebo.")
    assert (quotes[8]["label"], quotes[8]["sentence"]) == (None, "Pain fell in mice.")
    # A label resting on no sentence (span_in "none") quotes the rule's sentence and keeps its label.
    support[0].update(span_in="none", span_text=None)
    quote = claim_cards(marts)["c1"]["quotes"][0]
    assert (quote["label"], quote["sentence"]) == ("supports", "We enrolled 40 adults.")


def test_sources_are_named_by_title_then_address_then_file_name() -> None:
    assert source_label("data/a/001_x.txt", "  A page  ", "https://e.org/p") == "A page"
    assert source_label("data/a/001_x.txt", None, "https://e.org/p") == "https://e.org/p"
    assert source_label("data/a/001_x.txt", "", None) == "001_x.txt"


def test_mini_bar_length_follows_claims_against_the_longest() -> None:
    segments = mini_bar({"very low": 1, "no evidence": 3}, longest=8)
    assert [(s["certainty"], s["x"], s["width"]) for s in segments] == \
        [("very low", "0.00", "12.50"), ("no evidence", "12.50", "37.50")]
