"""One rule at a time, on hand-made records where the real ones lack the situation (two trials that
disagree, a healthy-volunteer claim on a patient trial, a route, dose-response). The case table
(test_grade_cases.py) covers real records."""

from __future__ import annotations

import hashlib

import pytest

from grading.documents.claims import classify_population, classify_type
from grading.engine.body import LinkedEvidence
from grading.engine.grade import grade_claim
from grading.engine.record_reading import read_record
from grading.engine.rubric import load_rubric
from grading.engine.rules import REGISTRY
from grading.models import CitationMention, Claim, Grade, PubmedRecord, Resolution
from grading.settings import bundled_path
from tests.factories import make_record

RCT = ("Randomized Controlled Trial",)
OBSERVATIONAL = ("Observational Study",)


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(bundled_path("rubric.toml"))


def grade(text: str, *records: PubmedRecord, rubric, subjects: frozenset[str] = frozenset()) -> Grade:
    digest = hashlib.sha256(text.encode()).hexdigest()
    claim = Claim(digest[:16], "t.txt", digest, 0, len(text), text, classify_type(text) or "other",
                  classify_population(text))
    links = []
    for r in records:
        raw = f"PMID: {r.pmid}"
        links.append(LinkedEvidence(CitationMention(0, len(raw), raw, "pmid", str(r.pmid)), "inline",
                                    Resolution("pmid", str(r.pmid), "resolved", r.pmid, "direct"), "fetched", None,
                                    r, read_record(r)))
    return grade_claim(claim, links, rubric, subjects)


def fired(g: Grade) -> dict[str, int]:
    return {r.rule_id: r.change for r in g.reasons}


def trial(pmid: int, abstract: str, title: str = "Zinc lozenges for the common cold",
          authors: tuple[str, ...] = ("Smith J",)) -> PubmedRecord:
    return make_record(pmid, title, abstract, pub_types=RCT, authors=authors)


POSITIVE = ("In this randomized, double-blind, placebo-controlled trial, 480 adults with a cold received zinc "
            "lozenges or placebo. Conclusions: Zinc significantly shortened the duration of colds.")
NULL = ("In this randomized, double-blind, placebo-controlled trial, 520 adults with a cold received zinc "
        "lozenges or placebo. Conclusions: Zinc did not shorten the duration of colds; no significant difference.")


def test_every_registered_rule_is_in_the_bundled_rubric(rubric):
    assert set(REGISTRY) == {r for ids in rubric.rules.values() for r in ids}


def test_a_large_well_run_rct_stays_high(rubric):
    g = grade("Zinc lozenges shorten colds in adults.", trial(1, POSITIVE), rubric=rubric)
    assert g.certainty == "high", fired(g)


def test_two_trials_that_disagree_rate_down_once(rubric):
    g = grade("Zinc lozenges shorten colds in adults.", trial(1, POSITIVE, authors=("Smith J",)),
              trial(2, NULL, authors=("Lee K",)), rubric=rubric)
    assert fired(g)["inconsistency.directions"] == -1 and g.certainty == "moderate"


def test_the_only_trial_contradicting_the_claim_does_not_support_it(rubric):
    g = grade("Zinc lozenges shorten colds in adults.", trial(2, NULL), rubric=rubric)
    assert (g.status, g.certainty) == ("not-supported", "no evidence")
    reason = next(r for r in g.reasons if r.rule_id == "support.direction")
    assert reason.span_in == "abstract" and "Zinc did not shorten" in reason.span_text
    (check,) = g.support
    assert check.label == "contradicts" and check.aspects == ("finding",) and check.span_text == reason.span_text


def test_two_trials_that_disagree_label_the_null_one_contradicts(rubric):
    g = grade("Zinc lozenges shorten colds in adults.", trial(1, POSITIVE, authors=("Smith J",)),
              trial(2, NULL, authors=("Lee K",)), rubric=rubric)
    assert g.status == "graded"
    assert {c.pmid: c.label for c in g.support} == {1: "supports", 2: "contradicts"}


def test_a_claim_of_no_effect_is_not_contradicted_by_a_null_trial(rubric):
    g = grade("Zinc lozenges do not affect the duration of colds.", trial(2, NULL), rubric=rubric)
    assert "support.direction" not in fired(g) and g.status == "graded"
    assert [c.label for c in g.support] == ["supports"]


def test_open_and_stopped_early(rubric):
    record = trial(3, "Adults with a cold were randomly assigned to zinc or usual care in an open-label trial of 600 "
                      "adults. The trial was stopped early for benefit. Zinc shortened colds.")
    changes = fired(grade("Zinc shortens colds.", record, rubric=rubric))
    assert changes["risk_of_bias.trial_conduct"] == -1 and changes["risk_of_bias.stopped_early"] == -1


def test_healthy_claim_patient_trial(rubric):
    record = trial(4, "We randomized 500 patients with type 2 diabetes to cinnamon or placebo in a double-blind "
                      "trial. Cinnamon significantly lowered fasting glucose.", title="Cinnamon in diabetes")
    g = grade("Cinnamon lowers blood glucose in healthy adults.", record, rubric=rubric)
    reason = next(r for r in g.reasons if r.rule_id == "indirectness.patient_group")
    assert reason.change == -1 and reason.span_in == "claim" and reason.span_text.lower().startswith("healthy")


def test_another_route_is_indirect(rubric):
    record = trial(5, "In a randomized double-blind trial, 450 adults took oral zinc tablets or placebo. "
                      "Zinc significantly shortened colds.")
    g = grade("Intranasal zinc shortens colds.", record, rubric=rubric)
    assert fired(g)["indirectness.intervention"] == -1


def test_another_animal_species_is_indirect_for_an_animal_claim(rubric):
    mouse = make_record(6, "Resveratrol in aged mice", "Forty mice received resveratrol; lifespan increased.",
                        mesh=("Animals", "Mice"))
    g = grade("In rats, resveratrol extends lifespan.", mouse, rubric=rubric)
    reason = next(r for r in g.reasons if r.rule_id == "indirectness.population")
    assert reason.change == -1 and "mouse" in reason.explanation and reason.span_text == "rats"


def test_a_claim_about_cells_takes_cell_evidence_as_direct(rubric):
    cells = make_record(7, "Quercetin in HepG2 liver cancer cells",
                        "HepG2 cells were treated with quercetin; viability fell dose-dependently.")
    g = grade("In vitro, quercetin kills liver cancer cells.", cells, rubric=rubric)
    assert fired(g)["indirectness.population"] == 0


def sized_trial(pmid: int, size: int, author: str) -> PubmedRecord:
    return trial(pmid, f"In this randomized, double-blind, placebo-controlled trial, {size} adults with a cold "
                       "received zinc or placebo. Zinc significantly shortened colds.", authors=(author,))


@pytest.mark.parametrize("size, change", [(99, -2), (100, -2), (399, -2), (400, None)])
def test_imprecision_of_a_single_trial(rubric, size, change):
    """The rubric: below 400 participants -1, below 100 or a single small study -2."""
    record = sized_trial(8, size, "Smith J")
    assert fired(grade("Zinc shortens colds in adults.", record, rubric=rubric)).get("imprecision.participants") == change


@pytest.mark.parametrize("sizes, change", [((40, 50), -2), ((60, 60), -1), ((150, 249), -1), ((200, 200), None)])
def test_imprecision_of_a_body_counts_all_participants(rubric, sizes, change):
    records = [sized_trial(20 + i, n, author) for i, (n, author) in enumerate(zip(sizes, ("Smith J", "Lee K")))]
    assert fired(grade("Zinc shortens colds in adults.", *records, rubric=rubric)).get("imprecision.participants") == change


def test_observational_dose_response_and_large_effect_rate_up(rubric):
    cohort = make_record(9, "Smoking and lung cancer", (
        "In this prospective cohort of 12,000 adults compared with never-smoking controls, smoking was associated "
        "with lung cancer (HR 9.1) in a dose-dependent manner."), pub_types=OBSERVATIONAL)
    changes = fired(grade("Smoking raises the risk of lung cancer.", cohort, rubric=rubric))
    assert changes["upgrade.large_effect"] == 2 and changes["upgrade.dose_response"] == 1


def test_a_reviews_own_rating_caps_the_body_but_never_raises_it(rubric):
    review = make_record(10, "Zinc for the common cold", (
        "We searched MEDLINE and CENTRAL for randomized trials. 18 trials with 1,781 participants were included. "
        "Zinc shortened colds (moderate-certainty evidence) and caused nausea (low-certainty evidence)."),
        pub_types=("Systematic Review",))
    g = grade("Zinc shortens colds.", review, rubric=rubric)
    assert g.certainty == "moderate" and fired(g)["review.stated_certainty"] == -1
    small = make_record(11, "Zinc for the common cold", (
        "We searched MEDLINE for randomized trials; 2 trials with 60 participants. Zinc shortened colds "
        "(high-certainty evidence)."), pub_types=("Systematic Review",))
    g = grade("Zinc shortens colds.", small, rubric=rubric)
    assert g.certainty == "low" and fired(g)["review.stated_certainty"] == 0  # ours is lower: ours stands


def test_every_reason_span_points_into_its_text(rubric):
    record = trial(12, POSITIVE)
    text = "Zinc lozenges shorten colds in 480 adults by 2 days."
    for reason in grade(text, record, rubric=rubric).reasons:
        if reason.span_in == "claim":
            assert text[reason.span_start:reason.span_end] == reason.span_text
        elif reason.span_in == "abstract":
            assert record.abstract_text[reason.span_start:reason.span_end] == reason.span_text


REVIEW = ("Systematic Review",)


def review(pmid: int, abstract: str, title: str = "Zorvatide for chronic cough: a systematic review") -> PubmedRecord:
    return make_record(pmid, title, abstract, pub_types=REVIEW)


def test_a_review_that_speaks_against_its_trials_rates_down_for_risk_of_bias(rubric):
    weak = review(30, "We searched MEDLINE for randomized trials; 12 trials with 1,480 adults were included. The "
                      "quality of the included trials varied widely. Zorvatide significantly reduced cough frequency.")
    g = grade("Zorvatide reduces cough in adults.", weak, rubric=rubric)
    assert fired(g)["risk_of_bias.review_quality"] == -1 and g.certainty == "moderate"
    call = review(31, "We searched MEDLINE for randomized trials; 12 trials with 1,480 adults were included. Zorvatide "
                      "significantly reduced cough frequency. Further well-designed randomized trials are needed.")
    assert fired(grade("Zorvatide reduces cough in adults.", call, rubric=rubric))["risk_of_bias.review_quality"] == -1
    clean = review(32, "We searched MEDLINE for randomized trials; 12 trials with 1,480 adults were included, all at "
                       "low risk of bias. Zorvatide significantly reduced cough frequency.")
    g = grade("Zorvatide reduces cough in adults.", clean, rubric=rubric)
    assert "risk_of_bias.review_quality" not in fired(g) and g.certainty == "high"


def test_a_review_that_rates_its_own_evidence_is_not_rated_down_again(rubric):
    rated = review(33, "We searched MEDLINE for randomized trials; 12 trials with 1,480 adults were included. "
                       "Methodological limitations were common. Zorvatide reduced cough frequency (moderate-certainty "
                       "evidence).")
    g = grade("Zorvatide reduces cough in adults.", rated, rubric=rubric)
    assert "risk_of_bias.review_quality" not in fired(g) and g.certainty == "moderate"


def test_a_review_pooling_cohorts_and_case_series_starts_low(rubric):
    mixed = review(34, "METHODS: We searched MEDLINE and Embase. RESULTS: 15 studies (four randomized trials, eight "
                       "cohort studies and three case series) with 6,200 patients were included. Zorvatide was "
                       "associated with less cough.")
    g = grade("Zorvatide reduces cough.", mixed, rubric=rubric)
    start = next(r for r in g.reasons if r.rule_id == "start.design")
    assert "pools non-randomized designs" in start.explanation and start.span_text == "cohort studies"
    assert g.certainty == "low"
    trials_only = review(35, "Unlike earlier cohort studies, this meta-analysis of randomized controlled trials pooled "
                             "12 trials with 1,480 adults. Zorvatide significantly reduced cough frequency.",
                         title="Zorvatide for chronic cough: a meta-analysis of randomized controlled trials")
    assert grade("Zorvatide reduces cough in adults.", trials_only, rubric=rubric).certainty == "high"


@pytest.mark.parametrize("wording, level", [
    ("Evidence is not sufficiently strong to support zorvatide for cough.", "very low"),
    ("There is insufficient evidence that zorvatide reduces cough.", "very low"),
    ("With low to moderate quality of the evidence, zorvatide seems to reduce cough.", "low"),
])
def test_a_reviews_plain_language_verdict_caps_the_body(rubric, wording, level):
    plain = review(36, "We searched MEDLINE for randomized trials; 12 trials with 1,480 adults were included. "
                       f"Zorvatide reduced cough frequency. {wording}")
    g = grade("Zorvatide reduces cough in adults.", plain, rubric=rubric)
    assert g.certainty == level and fired(g)["review.stated_certainty"] < 0


def test_a_safety_signal_claim_is_a_harms_claim(rubric):
    safety = review(37, "We searched MEDLINE for randomized trials; 12 trials with 1,480 adults were included. No new "
                        "safety signals were seen with zorvatide.")
    changes = fired(grade("Zorvatide showed no new safety signals.", safety, rubric=rubric))
    assert changes["imprecision.participants"] == -1


def cohort(pmid: int, abstract: str) -> PubmedRecord:
    return make_record(pmid, "Zorvatide and hip fracture: a cohort study", abstract, pub_types=OBSERVATIONAL)


def test_a_large_effect_is_judged_by_its_confidence_bound_nearest_one(rubric):
    wide = cohort(40, "In this prospective cohort of 12,000 adults, zorvatide users had fewer hip fractures "
                      "(adjusted HR 0.49, 95% CI 0.42-0.58).")
    g = grade("Zorvatide lowers the risk of hip fracture.", wide, rubric=rubric)
    upgrade = next(r for r in g.reasons if r.rule_id == "upgrade.large_effect")
    assert upgrade.change == 0 and "0.42-0.58" in upgrade.explanation and g.certainty == "low"
    tight = cohort(41, "In this prospective cohort of 12,000 adults, zorvatide users had fewer hip fractures "
                       "(adjusted HR 0.30, 95% CI 0.25-0.40).")
    g = grade("Zorvatide lowers the risk of hip fracture.", tight, rubric=rubric)
    assert fired(g)["upgrade.large_effect"] == 1 and g.certainty == "moderate"


def test_no_large_effect_upgrade_when_the_study_names_unmeasured_confounding(rubric):
    confounded = cohort(42, "In this prospective cohort of 12,000 adults, zorvatide users had fewer hip fractures "
                            "(adjusted HR 0.30, 95% CI 0.25-0.40). Residual confounding by frailty cannot be excluded.")
    g = grade("Zorvatide lowers the risk of hip fracture.", confounded, rubric=rubric)
    upgrade = next(r for r in g.reasons if r.rule_id == "upgrade.large_effect")
    assert upgrade.change == 0 and upgrade.span_text == "Residual confounding" and g.certainty == "low"


def test_a_record_of_several_groups_is_direct_for_any_of_them(rubric):
    both = review(43, "We searched MEDLINE for randomized trials of zorvatide in healthy volunteers and in patients "
                      "with chronic cough; 14 trials with 1,320 participants. Zorvatide significantly reduced cough.",
                  title="Zorvatide in healthy volunteers and patients with chronic cough: a meta-analysis")
    assert [g for g, _ in read_record(both).human_groups][:2] == ["healthy", "patients with chronic cough"]
    g = grade("Zorvatide reduces cough in patients with chronic cough.", both, rubric=rubric)
    assert "indirectness.patient_group" not in fired(g)
    healthy_only = review(44, "We searched MEDLINE for randomized trials of zorvatide in healthy volunteers; 14 trials "
                              "with 1,320 participants. Zorvatide significantly reduced induced cough.",
                          title="Zorvatide in healthy volunteers: a meta-analysis")
    g = grade("Zorvatide reduces cough in patients with chronic cough.", healthy_only, rubric=rubric)
    assert fired(g)["indirectness.patient_group"] == -1


def cited_grade(text: str, record: PubmedRecord, authors: tuple[str, ...], year: int, rubric) -> Grade:
    digest = hashlib.sha256(text.encode()).hexdigest()
    claim = Claim(digest[:16], "t.txt", digest, 0, len(text), text, classify_type(text) or "other",
                  classify_population(text))
    raw = f"{authors[0]} et al. {year}, PMID: {record.pmid}"
    mention = CitationMention(0, len(raw), raw, "pmid", str(record.pmid), authors=authors, year=year)
    link = LinkedEvidence(mention, "inline", Resolution("pmid", str(record.pmid), "resolved", record.pmid, "direct"),
                          "fetched", None, record, read_record(record))
    return grade_claim(claim, [link], rubric, frozenset())


@pytest.mark.parametrize("cited, recorded, same", [
    ("Montes Oca R", "Montes Oca R", True),        # a two-word surname: the whole surname, not its first word
    ("van der Velde JA", "Velde JA", True),         # particles allowed
    ("Velde J", "van der Velde J", True),
    ("Duval-Pereira K", "Duval Pereira K", True),   # hyphen or space
    ("Müllerova, K.", "Mullerova K", True),         # folded, initials after a comma
    ("Montes R", "Oca R", False),
])
def test_identity_compares_the_whole_cited_surname(rubric, cited, recorded, same):
    record = trial(45, POSITIVE, authors=(recorded, "Lee K"))
    g = cited_grade("Zinc shortens colds in adults.", record, (cited,), 2020, rubric)
    assert ("identity.mismatch" not in fired(g)) is same


@pytest.mark.parametrize("methods", ["Non-randomized studies and case series were excluded.",
                                     "We searched MEDLINE, excluding cohort studies."])
def test_designs_a_review_left_out_do_not_lower_its_start(rubric, methods):
    excluded = review(46, f"METHODS: {methods} RESULTS: 12 randomized trials with 1,480 adults were included. "
                          "Zorvatide significantly reduced cough frequency.")
    assert read_record(excluded).start_design == "systematic_review"
    assert grade("Zorvatide reduces cough in adults.", excluded, rubric=rubric).certainty == "high"
