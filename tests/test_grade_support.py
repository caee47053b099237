"""The support check and the evidence profile on hand-made records about an invented substance
("zorvatide"): each check, the status it leads to, the label and the sentence it quotes, and every
GRADE domain judged. Real records are in the case table (test_grade_cases.py)."""

from __future__ import annotations

import re

import pytest

from grading.cli import verdict_counts
from grading.engine.record_text import vocabulary
from grading.engine.rubric import load_rubric
from grading.models import GRADE_DOMAINS
from grading.settings import bundled_path
from tests.factories import make_record
from tests.test_rules import fired, grade

TITLE = "Zorvatide for migraine prevention"
RCT = ("Randomized Controlled Trial",)


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(bundled_path("rubric.toml"))


def rct(pmid: int, abstract: str, pub_types: tuple[str, ...] = RCT, title: str = TITLE):
    return make_record(pmid, title, abstract, pub_types=pub_types, authors=("Doe J",))


POSITIVE = ("METHODS: In this randomized, double-blind, placebo-controlled trial, 640 adults with migraine received "
            "zorvatide or placebo (n = 320 and n = 320). The primary endpoint was the number of migraine days per "
            "month. RESULTS: Migraine days fell by 3.1 with zorvatide and by 1.2 with placebo (p < 0.001). "
            "CONCLUSIONS: Zorvatide significantly reduced migraine frequency.")


def test_a_phase_the_record_does_not_have_contradicts(rubric):
    record = rct(1, "METHODS: This phase 2, randomized, double-blind study enrolled 120 adults with migraine. "
                    "CONCLUSIONS: Zorvatide significantly reduced migraine frequency.",
                 pub_types=("Clinical Trial, Phase II", "Randomized Controlled Trial"))
    g = grade("In a phase 3 trial, zorvatide reduced migraine frequency.", record, rubric=rubric)
    assert (g.status, g.certainty) == ("not-supported", "no evidence")
    (check,) = g.support
    assert (check.label, check.aspects) == ("contradicts", ("phase",))


def test_an_endpoint_the_record_names_otherwise_contradicts(rubric):
    g = grade("Primary endpoint: time to first headache relief.", rct(2, POSITIVE), rubric=rubric,
              subjects=frozenset({"zorvatide"}))
    assert g.status == "not-supported" and "support.endpoint" in fired(g)
    assert "primary endpoint was the number of migraine days" in g.support[0].span_text


def test_a_central_figure_absent_from_the_abstract_is_not_mentioned(rubric):
    g = grade("Zorvatide produced a 75% reduction in migraine days.", rct(3, POSITIVE), rubric=rubric)
    assert g.status == "not-supported" and g.support[0].aspects == ("figure",)


def test_a_figure_in_brackets_is_only_flagged(rubric):
    g = grade("Zorvatide reduced migraine frequency (75% vs 20%).", rct(4, POSITIVE), rubric=rubric)
    assert g.status == "graded" and fired(g)["numbers.figure_missing"] == 0
    assert g.support[0].label == "partly" and "figure" in g.support[0].aspects


def test_arms_in_one_sentence_add_up_to_the_total(rubric):
    g = grade("Zorvatide reduces migraine frequency.", rct(5, POSITIVE.replace("640 adults", "adults")), rubric=rubric)
    assert "imprecision.participants" not in fired(g) and g.certainty == "high"  # 320 + 320 = 640 >= 400


def test_a_noun_claim_of_an_effect_on_a_null_trial_is_not_supported(rubric):
    null = rct(6, "METHODS: A randomized, double-blind trial of 600 adults. RESULTS: Migraine days did not "
                  "differ (p = 0.41). CONCLUSIONS: Zorvatide was not effective.")
    g = grade("Zorvatide's migraine-preventing effects in adults.", null, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"


def test_every_domain_is_judged_with_a_reason(rubric):
    g = grade("Zorvatide reduces migraine frequency.", rct(7, POSITIVE), rubric=rubric)
    assert [d.domain for d in g.domains] == list(GRADE_DOMAINS)  # an RCT: no upgrades shown
    judged = {d.domain: d.judgement for d in g.domains}
    assert judged == {"risk_of_bias": "not serious", "inconsistency": "not assessed", "indirectness": "not serious",
                      "imprecision": "not serious", "publication_bias": "not serious"}
    assert all(d.explanation for d in g.domains)
    (check,) = g.support
    assert check.label == "supports" and "significantly reduced" in check.span_text


def test_harms_need_more_people_than_benefits(rubric):
    reported = POSITIVE.replace("CONCLUSIONS:", "Adverse effects were mild and as frequent as with placebo. CONCLUSIONS:")
    g = grade("Zorvatide is well tolerated, with no serious adverse effects.", rct(8, reported), rubric=rubric)
    assert fired(g)["imprecision.participants"] == -1 and g.certainty == "moderate"  # 640 < 4,000
    # an abstract that never speaks of harms does not support a claim about them
    g = grade("Zorvatide is well tolerated, with no serious adverse effects.", rct(8, POSITIVE), rubric=rubric)
    assert g.status == "not-supported" and g.support[0].aspects == ("property",)


def test_the_run_summary_counts_statuses_in_words():
    graded, ungraded = verdict_counts({"low": 2, "no evidence": 5, "high": 1},
                                      {"graded": 3, "uncited": 3, "not-supported": 1, "unavailable": 1})
    assert graded == "1 high, 2 low"
    assert ungraded == "1 paper doesn't support this, 1 couldn't retrieve (will retry), 3 not cited"
    assert "no evidence" not in graded + ungraded


def test_a_quoted_lead_clause_naming_harms_is_judged_as_a_benefit(rubric):
    g = grade("\u201cGiven the low risk of adverse effects, patients may try zorvatide to reduce migraine frequency,\u201d "
              "said a researcher.", rct(9, POSITIVE), rubric=rubric)
    assert "imprecision.participants" not in fired(g) and g.certainty == "high"  # 640 >= 400, no harms threshold


def test_did_not_assess_what_the_record_measured_contradicts(rubric):
    record = rct(10, "METHODS: 640 adults were randomized. Endpoints: migraine days, isokinetic strength, physical "
                     "function and quality of life. CONCLUSIONS: Zorvatide significantly reduced migraine frequency.")
    g = grade("The trial did not assess functional outcomes such as strength or physical performance.", record,
              rubric=rubric, subjects=frozenset({"zorvatide"}))
    assert g.status == "not-supported" and "support.not_assessed" in fired(g)
    (check,) = g.support
    assert check.label == "contradicts" and "isokinetic strength" in check.span_text


def test_did_not_assess_what_the_record_never_names_stands(rubric):
    g = grade("The trial did not assess bone density or fracture risk.", rct(11, POSITIVE), rubric=rubric,
              subjects=frozenset({"zorvatide"}))
    assert "support.not_assessed" not in fired(g)


def test_a_property_no_record_names_is_not_mentioned(rubric):
    g = grade("While some zorvatide tablets have an unpleasant taste, those used in these trials did not.",
              rct(12, POSITIVE), rubric=rubric)
    assert g.status == "not-supported" and fired(g)["support.property"] == 0
    assert g.support[0].label == "not mentioned" and g.support[0].aspects == ("property",)


def test_a_property_the_record_names_is_graded(rubric):
    record = rct(13, POSITIVE.replace("CONCLUSIONS:", "Taste was rated acceptable by 90% of participants. CONCLUSIONS:"))
    g = grade("The zorvatide tablets used in these trials had no unpleasant taste.", record, rubric=rubric)
    assert "support.property" not in fired(g) and g.status == "graded"


REVIEW = ("Zorvatide for migraine: a systematic review and meta-analysis",
          ("METHODS: We searched MEDLINE for randomized trials. RESULTS: Eight trials with 320 patients were included. "
          "Only two of these studies demonstrated a positive effect of zorvatide in reducing migraine days. The "
          "meta-analysis did not demonstrate any benefit of zorvatide on migraine days compared to placebo. "
          "CONCLUSIONS: Zorvatide was not beneficial for patients with migraine."))


def test_a_subset_of_a_reviews_studies_is_partly_and_inconsistent(rubric):
    record = rct(14, REVIEW[1], pub_types=("Systematic Review", "Meta-Analysis"), title=REVIEW[0])
    g = grade("In 2 of the studies examined, zorvatide was found to reduce migraine days.", record, rubric=rubric)
    assert g.status == "graded" and fired(g)["inconsistency.subset"] == -1
    assert g.support[0].label == "partly" and "Only two of these studies" in g.support[0].span_text
    # the same claim without the subset is contradicted by the pooled conclusion
    g = grade("Zorvatide was found to reduce migraine days.", record, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"


def test_clinically_relevant_results_on_surrogate_outcomes_are_indirect(rubric):
    record = rct(15, "METHODS: In a randomized, double-blind trial, 640 adults received zorvatide or placebo. "
                     "RESULTS: Muscle insulin signaling and the expression of genes related to remodeling increased "
                     "with zorvatide. CONCLUSIONS: Zorvatide increases insulin signaling.", title="Zorvatide and insulin signaling")
    g = grade("Researchers published a trial that suggests clinically relevant results in people given zorvatide.",
              record, rubric=rubric)
    assert fired(g)["indirectness.outcome"] == -1 and g.certainty == "moderate"
    clinical = rct(16, record.abstract_text.replace("CONCLUSIONS:", "Fewer fractures occurred with zorvatide. "
                                                                     "CONCLUSIONS:"), title=record.title)
    g = grade("Researchers published a trial that suggests clinically relevant results in people given zorvatide.",
              clinical, rubric=rubric)
    assert "indirectness.outcome" not in fired(g)


def test_did_not_assess_is_not_contradicted_by_an_abstract_saying_so(rubric):
    record = rct(17, "METHODS: 640 adults were randomized. Isokinetic strength and physical function were not "
                     "measured. CONCLUSIONS: Zorvatide significantly reduced migraine frequency.")
    g = grade("The trial did not assess strength or physical function.", record, rubric=rubric,
              subjects=frozenset({"zorvatide"}))
    assert "support.not_assessed" not in fired(g)


def test_a_methods_definition_does_not_excuse_a_null_trial(rubric):
    record = rct(20, "METHODS: 640 adults were randomized. Liver injury was defined as ALT three times higher than "
                     "normal. RESULTS: No significant effect of zorvatide was observed on the incidence of liver "
                     "injury. CONCLUSIONS: Zorvatide did not protect against drug-induced liver injury.",
                 title="Zorvatide fails to protect against drug-induced liver injury")
    g = grade("Zorvatide protects the liver from damage caused by other drugs.", record, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"


def test_another_outcome_of_the_substance_does_not_excuse_the_claims(rubric):
    record = rct(21, "METHODS: 30 women were randomized. RESULTS: The effect of zorvatide on IL-37 levels was not "
                     "statistically significant (p > 0.05). Fatigue decreased significantly in the group given "
                     "zorvatide (p = 0.004). CONCLUSIONS: Zorvatide does not raise IL-37 significantly.")
    g = grade("Zorvatide significantly boosted levels of IL-37 in the women who received it.", record, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"


def test_a_passive_claims_subject_is_its_outcome(rubric):
    record = rct(22, "METHODS: 640 adults were randomized. RESULTS: Levels of IGF-1 increased by 51 ng/ml with "
                     "zorvatide (p < 0.001). Walking speed did not improve. CONCLUSIONS: Zorvatide did not improve "
                     "function.")
    g = grade("IGF-1 levels were increased as expected.", record, rubric=rubric, subjects=frozenset({"zorvatide"}))
    assert g.status == "graded" and "support.direction" not in fired(g)


def test_a_causal_verb_reads_the_claim_as_an_effect(rubric):
    record = rct(23, "METHODS: 640 adults were randomized. RESULTS: The death rate was 3.7% with zorvatide and "
                     "4.9% with standard care, without any significant difference (p = 1.00). CONCLUSIONS: "
                     "Zorvatide did not reduce mortality.")
    g = grade("The study proved that zorvatide cuts deaths.", record, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"


def test_a_rounded_or_derived_percentage_is_the_abstracts(rubric):
    record = rct(24, POSITIVE.replace("RESULTS:", "RESULTS: 40.2% of patients had half as many migraine days; "
                                      "recurrence fell (RR = 0.28)."))
    g = grade("Zorvatide halved migraine days in 40% of patients.", record, rubric=rubric)
    assert "support.figures" not in fired(g) and fired(g).get("numbers.figure_found") == 0
    g = grade("Zorvatide cut the recurrence of migraine by more than 70%.", record, rubric=rubric)
    assert "support.figures" not in fired(g) and g.status == "graded"


def test_a_conclusion_of_insufficient_evidence_for_the_outcome_contradicts(rubric):
    record = rct(25, "METHODS: We pooled 12 randomized trials. RESULTS: Zorvatide significantly improved post-void "
                     "residual urine and maximal flow rate (MFR) (MD = 7.58). CONCLUSIONS: There is insufficient "
                     "evidence that zorvatide can increase the patient's MFR. However, zorvatide improves post-void "
                     "residual urine.", pub_types=("Systematic Review", "Meta-Analysis"),
                 title="Zorvatide for urinary retention: a systematic review and meta-analysis")
    g = grade("Zorvatide is proven to restore a normal urinary flow rate.", record, rubric=rubric)
    assert g.status == "not-supported" and "MFR" in g.support[0].span_text
    g = grade("Zorvatide improves post-void residual urine.", record, rubric=rubric)
    assert g.status == "graded"


def test_beating_the_comparator_is_contradicted_by_no_difference_but_within_group_change_is_not(rubric):
    record = rct(26, "METHODS: 320 adults were randomized to zorvatide, exercise or a booklet. RESULTS: At 12 weeks, "
                     "zorvatide and exercise participants had modest within-group improvements in depressive "
                     "symptoms. Compared with the booklet group, differences were not statistically significant. "
                     "CONCLUSIONS: Effects were not superior to the booklet.")
    g = grade("Zorvatide beat standard care for depression in a randomized trial.", record, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"
    g = grade("Depressive symptoms improved modestly within both the zorvatide and exercise groups.", record,
              rubric=rubric, subjects=frozenset({"zorvatide"}))
    assert g.status == "graded"


def test_a_clinical_study_that_was_a_mouse_experiment_is_the_wrong_design(rubric):
    mice = make_record(27, "Zorvatide reverses dyskinesia in mice", "METHODS: Male mice received haloperidol and "
                       "zorvatide. RESULTS: Zorvatide reduced dyskinesia and improved memory in mice.",
                       pub_types=("Journal Article",), mesh=("Animals", "Mice"))
    g = grade("For people taking antipsychotics, zorvatide reversed dyskinesia in a clinical study.", mice, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].aspects == ("design",)
    g = grade("Zorvatide reversed dyskinesia in mice.", mice, rubric=rubric)
    assert g.status == "graded"


def test_rare_side_effects_are_contradicted_by_adverse_events_in_most(rubric):
    record = rct(28, "METHODS: 18 adults received zorvatide. RESULTS: AEs occurred in all, the most common being "
                     "nausea (52.9%). CONCLUSIONS: Zorvatide reduced seizures in some adults.",
                 title="Zorvatide in adults with epilepsy: seizures and adverse effects")
    g = grade("Zorvatide is well tolerated: side effects are rare and mild.", record, rubric=rubric,
              subjects=frozenset({"zorvatide"}))
    assert g.status == "not-supported" and "AEs occurred in all" in g.support[0].span_text
    calm = rct(29, POSITIVE.replace("CONCLUSIONS:", "Adverse effects occurred in 3% of patients. CONCLUSIONS:"),
               title="Zorvatide for migraine: efficacy and adverse effects")
    g = grade("Zorvatide is well tolerated: side effects are rare and mild.", calm, rubric=rubric,
              subjects=frozenset({"zorvatide"}))
    assert g.status == "graded"


def test_every_participant_is_contradicted_by_a_subgroup_only_finding(rubric):
    record = rct(30, "We conducted a randomized crossover trial of zorvatide in 27 nurses. Zorvatide reduced "
                     "circadian misalignment by 20%. Moreover, zorvatide in those who presented high misalignment "
                     "reduced body weight and waist circumference.", title="Zorvatide, circadian misalignment and weight")
    g = grade("Zorvatide helped every participant lose weight.", record, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].aspects == ("population",)
    g = grade("Zorvatide helped participants with high misalignment lose weight.", record, rubric=rubric)
    assert g.status == "graded"


@pytest.mark.parametrize("key, claim, hit", [
    ("claims_clinical_study", "For people taking antipsychotics, zorvatide reversed tremor in a clinical study.",
     "in a clinical study"),
    ("claims_clinical_study", "A small clinical trial showed that zorvatide lowers pain.",
     "A small clinical trial showed"),
    ("claims_clinical_study", "Clinical studies show that zorvatide raises BDNF.", None),  # generic: clinical_wording
    ("human_scope_for", "For patients with arthritis, zorvatide may ease stiffness.", "For patients with"),
    ("human_scope_for", "Zorvatide eased stiffness in arthritic rats.", None),
])
def test_the_clinical_study_and_human_scope_wording(key, claim, hit):
    """The wording the support check needs to set aside animal or cell work called "a clinical study" or
    addressed "for people with/taking …" (support.design / support.population)."""
    phrases = vocabulary()["support"][key]
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(phrases) + r")(?![\w])", re.IGNORECASE)
    m = pattern.search(claim)
    assert (m.group(0) if m else None) == hit


def test_no_difference_in_another_outcome_leaves_a_comparison_alone(rubric):
    record = rct(31, "METHODS: 640 adults were randomized to zorvatide or placebo. RESULTS: Migraine days fell by 3.1 "
                     "with zorvatide and 1.2 with placebo (p < 0.001). There was no significant difference in sleep "
                     "quality. CONCLUSIONS: Zorvatide reduced migraine frequency.")
    g = grade("Zorvatide works better than placebo for migraine days.", record, rubric=rubric)
    assert g.status == "graded" and "support.direction" not in fired(g)


def test_a_named_group_of_people_on_rat_work_is_not_mentioned(rubric):
    rats = make_record(32, "Zorvatide and bone in ovariectomized rats", "METHODS: Ovariectomized rats received "
                       "zorvatide for 12 weeks. RESULTS: Bone structure improved in the femur and mandible.",
                       pub_types=("Journal Article",), mesh=("Animals", "Rats"))
    g = grade("Women after menopause who took zorvatide for 12 weeks had better bone structure.", rats, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].aspects == ("population",)
    g = grade("Zorvatide improves bone structure.", rats, rubric=rubric)
    assert (g.status, g.certainty) == ("graded", "very low")  # no population named: graded, not set aside


def test_the_other_way_is_a_contradiction_but_a_placebo_arms_change_is_not(rubric):
    record = rct(33, "METHODS: A randomized, double-blind crossover trial in 10 adults. RESULTS: IL-6 (0.35; 95% CI: "
                     "0.13 to 0.56; p = 0.001) increased after exercise with zorvatide versus placebo. Fatigue was lower "
                     "with zorvatide.", title="Zorvatide, cytokines and fatigue after exercise")
    g = grade("Zorvatide lowers post-workout inflammation by cutting IL-6 levels.", record, rubric=rubric)
    assert g.status == "not-supported" and "IL-6" in g.support[0].span_text
    g = grade("Zorvatide lowers fatigue after exercise.", record, rubric=rubric)
    assert g.status == "graded"
    slowed = rct(34, "METHODS: 30 volunteers in a crossover trial. RESULTS: With placebo, heart rate recovery was "
                     "faster; zorvatide delayed heart rate recovery after exercise.",
                 title="Zorvatide slows heart rate recovery after strength exercise")
    g = grade("Zorvatide speeds up heart rate recovery after strength training.", slowed, rubric=rubric)
    assert g.status == "not-supported" and g.support[0].label == "contradicts"


def test_a_higher_risk_is_found_as_a_ratio_above_one(rubric):
    cohort = make_record(35, "Zorvatide use and risk of gout: a prospective cohort study",
                         "METHODS: Participants (N = 5101) were followed. RESULTS: Adjusted RRs (95% CI) were 1.53 "
                         "(1.21, 1.93) in long-term users compared with nonusers. CONCLUSIONS: Long-term zorvatide use "
                         "was associated with increased gout risk.", pub_types=("Journal Article",))
    g = grade("In a cohort of 5,101 people, long-term zorvatide use was linked to about a 50% higher risk of gout.",
              cohort, rubric=rubric)
    assert "support.figures" not in fired(g) and g.status == "graded"


def test_everyday_names_of_outcomes_find_the_medical_ones(rubric):
    mice = make_record(36, "Zorvatide enhances thermogenesis in high-fat diet-fed mice", "METHODS: Mice were fed a "
                       "high-fat diet and zorvatide. RESULTS: Zorvatide increased energy expenditure and brown adipose "
                       "tissue thermogenesis.", pub_types=("Journal Article",), mesh=("Animals", "Mice"))
    g = grade("Zorvatide helps burn fat.", mice, rubric=rubric)
    assert (g.status, g.certainty) == ("graded", "very low")


def test_denying_an_effect_the_record_concludes_it_found_contradicts(rubric):
    cohort = make_record(37, "Zorvatide use and risk of gestational diabetes mellitus: a prospective cohort study",
                         "METHODS: 5101 women were followed; gestational diabetes mellitus (GDM) was diagnosed by OGTT. "
                         "RESULTS: RR 1.53. CONCLUSIONS: Long-term zorvatide use was associated with increased GDM risk.",
                         pub_types=("Journal Article",))
    g = grade("Zorvatide is safe in pregnancy and does not raise the risk of gestational diabetes.", cohort,
              rubric=rubric)
    assert g.status == "not-supported" and "increased GDM risk" in g.support[0].span_text
    null = make_record(38, "Zorvatide and gestational diabetes: a cohort study", "METHODS: 5101 women were followed. "
                       "CONCLUSIONS: Zorvatide use was not associated with gestational diabetes.",
                       pub_types=("Journal Article",))
    g = grade("Zorvatide does not raise the risk of gestational diabetes.", null, rubric=rubric)
    assert g.status == "graded"
