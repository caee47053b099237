"""Is a record about a claim's substance and outcome (grading.engine.topic)? Real records from
tests/fixtures/grading/records; inferred links from reference lists; the document's subject."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.engine.claim_reading import read_claim
from grading.engine.topic import document_subjects, inferred_link, match_record, match_topic, terms
from grading.models import PubmedRecord
from grading.pubmed.parser import iter_pubmed_xml

RECORDS = Path(__file__).resolve().parent / "fixtures" / "grading" / "records"


@pytest.fixture(scope="module")
def records() -> dict[int, PubmedRecord]:
    return {int(p.stem): next(iter(iter_pubmed_xml(p))) for p in RECORDS.glob("*.xml")}


def test_terms_fold_plurals_and_drop_generic_words():
    assert terms("Studies show that statins reduce strokes in patients") == {"statin", "stroke"}


def test_substance_named_and_outcome_studied(records):
    rel = match_record(read_claim("Korean red ginseng protects hair follicles from chemotherapy."), records[27158238])
    assert rel.on_topic and rel.substance and rel.outcome
    assert rel.substance_span is not None and rel.substance_span.where == "title"
    assert "ginseng" in rel.substance_found


def test_another_substance_is_off_topic_and_says_so(records):
    rel = match_record(read_claim("Curcumin prevents hair loss during chemotherapy."), records[27158238])
    assert rel.substance is False and not rel.on_topic
    assert "curcumin" in rel.explanation and "another substance" in rel.explanation


def test_same_substance_other_outcome_is_off_topic(records):
    rel = match_record(read_claim("Korean red ginseng improves memory in older adults."), records[27158238])
    assert rel.substance and rel.outcome is False and not rel.on_topic
    assert "memory" in rel.explanation


def test_an_outcome_family_counts_as_the_same_outcome(records):
    # the claim says memory; the abstract says learning and conditioned avoidance
    rel = match_record(read_claim("Semax improves memory."), records[16996037])
    assert rel.outcome and "cognition" in rel.outcome_found


def test_no_abstract_cannot_contradict_the_outcome(records):
    rel = match_record(read_claim("The drug has no side effects.", frozenset({"semax"})), records[9173745])
    assert rel.substance and rel.outcome is None and rel.on_topic


def test_a_mechanism_the_claim_gives_keeps_the_record_on_topic(records):
    rel = match_record(read_claim("Ticlopidine prevents strokes by boosting prostacyclin production."), records[399526])
    assert rel.on_topic and "prostacyclin" in rel.outcome_found


def test_inferred_link_needs_substance_and_outcome(records):
    subjects = frozenset({"semax"})
    yes = inferred_link("Semax raises TrkB phosphorylation 1.6-fold.", records[16996037], subjects)
    assert yes.on_topic and "reference-list entry linked by subject" in yes.explanation
    other_outcome = inferred_link("Semax lowers blood pressure.", records[16996037], subjects)
    assert not other_outcome.on_topic
    descriptive = inferred_link("Semax is a synthetic peptide made in a laboratory.", records[16996037], subjects)
    assert not descriptive.on_topic  # states no outcome: nothing to link by
    regulatory = inferred_link("Semax is approved in Russia for stroke.", records[24661604], subjects)
    assert not regulatory.on_topic and "regulatory" in regulatory.explanation


def test_document_subject_is_what_most_claims_name():
    claims = ["Piracetam improves memory.", "Piracetam is well tolerated.", "Piracetam boosts focus.",
              "Memory declines with age.", "Piracetam is sold online."]
    assert document_subjects(claims) == {"piracetam"}
    assert document_subjects(claims[:2]) == frozenset()  # too few claims to call anything the subject


def test_term_overlap_fallback_when_no_substance_is_readable(records):
    match = match_topic("Hair follicles in culture resist chemotherapy-induced catagen.", records[27158238], ())
    assert match.on_topic and "shares" in match.explanation


def test_outcomes_match_across_morphology_and_related_names():
    from grading.engine.terms import stem
    from tests.factories import make_record

    assert stem("prevention") == stem("preventing") == stem("prevents") == "prevent"
    record = make_record(90001, "Zorvatide for the prevention and treatment of Alzheimer's disease",
                         "We reviewed randomized trials of zorvatide in older adults. Zorvatide did not reduce the "
                         "incidence of Alzheimer's disease.")
    for claim in ("Zorvatide is effective in preventing Alzheimer's disease.", "Zorvatide prevents dementia."):
        rel = match_record(read_claim(claim), record)
        assert rel.on_topic and rel.outcome, (claim, rel.explanation)
