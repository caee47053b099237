"""Reading PubMed records into evidence facts (grading.engine.record_reading).

The bundled snapshot gives real titles and abstracts (most without MeSH, as In-Process records);
hand-built records cover what the snapshot lacks: trials, cohorts, case reports, reviews,
retractions, tags without text, text without tags.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.engine.record_reading import (
    RecordEvidence,
    TextSpan,
    classify_design_from_text,
    cues,
    read_record,
)
from grading.models import AbstractSection, CommentCorrection, MeshHeading, PubmedRecord
from grading.pubmed.parser import iter_pubmed_xml

SNAPSHOT = Path(__file__).resolve().parents[1] / "src" / "grading" / "data" / "snapshot.xml"

RCT = ("D016449", "Randomized Controlled Trial")
CLINICAL_TRIAL = ("D016430", "Clinical Trial")
OBSERVATIONAL = ("D064888", "Observational Study")
CASE_REPORTS = ("D002363", "Case Reports")
META_ANALYSIS = ("D017418", "Meta-Analysis")
REVIEW = ("D016454", "Review")
LETTER = ("D016422", "Letter")
RETRACTED = ("D016441", "Retracted Publication")
JOURNAL_ARTICLE = ("D016428", "Journal Article")
from tests.helpers import snapshot_records


def record(title: str | None = "A study", abstract: str | tuple[tuple[str | None, str], ...] = "", *,
           pub_types: tuple[tuple[str | None, str], ...] = (JOURNAL_ARTICLE,), mesh: tuple[str, ...] = (),
           languages: tuple[str, ...] = ("eng",), corrections: tuple[CommentCorrection, ...] = (),
           pmid: int = 1) -> PubmedRecord:
    """A hand-made record; `abstract` is plain text or (label, text) sections."""
    sections = ((None, abstract),) if isinstance(abstract, str) else abstract
    return PubmedRecord(
        pmid=pmid, version=1, title=title,
        abstract=tuple(AbstractSection(label, None, text) for label, text in sections if text),
        journal="J Test", journal_abbrev="J Test", year=2020, medline_date=None, volume=None, issue=None,
        pages=None, languages=languages, publication_types=pub_types,
        mesh_headings=tuple(MeshHeading(None, m, False) for m in mesh), chemicals=(), keywords=(), authors=(),
        doi=None, pmcid=None, comments_corrections=corrections, date_revised=None, status="MEDLINE",
        raw_xml="<PubmedArticle/>")


def all_spans(ev: RecordEvidence) -> list[TextSpan]:
    spans = [ev.design_span, ev.population_span, ev.human_group_span, ev.sample_size_span,
             ev.randomized, ev.blinded, ev.placebo, ev.controlled, ev.stopped_early, ev.dose_response,
             *ev.direction_spans, *(e.span for e in ev.effects)]
    return [s for s in spans if isinstance(s, TextSpan)]


def assert_spans_point_into(rec: PubmedRecord, ev: RecordEvidence) -> None:
    sources = {"title": rec.title or "", "abstract": rec.abstract_text}
    for span in all_spans(ev):
        text = sources[span.where]
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start:span.end] == span.text


@pytest.fixture(scope="module")
def snapshot() -> dict[int, PubmedRecord]:
    return snapshot_records()


# --- the bundled snapshot ---------------------------------------------------------------------

@pytest.mark.parametrize("pmid, design, species, basis", [
    (16996037, "animal", "rat", "text"),
    (16362768, "animal", "rodent", "text"),
    (11443939, "in_vitro", "human", "text"),
    (9173745, "review", None, "publication_type"),
    (24661604, "animal", "rat", "text"),
    (19662538, "animal", "rat", "text"),
    (28885585, "animal", "mouse", "text"),
    (27158238, "in_vitro", "human", "text"),
])
def test_snapshot_designs(snapshot, pmid, design, species, basis):
    rec = snapshot[pmid]
    ev = read_record(rec)
    assert (ev.design, ev.design_basis) == (design, basis)
    if species:
        assert species in ev.species
    if design in {"animal", "in_vitro"}:
        assert ev.population == design
        assert ev.design_span is not None and ev.population_span is not None
    assert_spans_point_into(rec, ev)


def test_rat_hippocampus_fold_changes(snapshot):
    ev = read_record(snapshot[16996037])
    assert [e.value for e in ev.effects if e.kind == "fold"] == [1.4, 1.6, 3.0, 2.0]
    assert ev.effects[0].span.text == "1.4-fold increase"
    assert ev.sample_size is None  # "50 μg/kg" is a dose, not a count


def test_rodent_percent_changes(snapshot):
    ev = read_record(snapshot[16362768])
    assert [(e.kind, e.value) for e in ev.effects] == [("percent", 25.0), ("percent", 180.0)]
    assert ev.design_span.text == "rodents"


def test_serum_enzymes_in_vitro_dose_dependent_russian(snapshot):
    ev = read_record(snapshot[11443939])
    assert ev.population == "in_vitro"
    assert "serum" in ev.design_span.text
    assert isinstance(ev.dose_response, TextSpan) and ev.dose_response.text == "dose-dependent"
    assert ev.non_english
    assert ev.sample_size is None  # "IC50 10 microM" is no count
    assert not ev.effects


def test_review_without_abstract_from_publication_type(snapshot):
    ev = read_record(snapshot[9173745])
    assert ev.design_span is None and ev.sample_size is None and ev.direction == "unknown"
    assert ev.non_english


def test_wistar_rats_among_mentions_of_humans(snapshot):
    ev = read_record(snapshot[19662538])
    assert {"rat", "human"} <= ev.species  # "in rodents and humans" is background
    assert ev.population == "animal"


def test_mouse_strain_is_the_design_cue(snapshot):
    ev = read_record(snapshot[28885585])
    assert ev.design_span.where == "title" and "C57BL/6" in ev.design_span.text
    assert not any(e.kind == "percent" for e in ev.effects)  # "10% RGO" is a concentration


def test_human_hair_follicle_organ_culture_is_in_vitro(snapshot):
    ev = read_record(snapshot[27158238])
    assert ev.design_span.text.lower() == "organ culture"
    assert ev.human_group is None  # "patients undergoing chemotherapy" were not studied
    assert ev.direction == "positive"


def test_every_snapshot_span_points_into_its_text(snapshot):
    for rec in snapshot.values():
        assert_spans_point_into(rec, read_record(rec))


# --- hand-made records: design ------------------------------------------------------------------

def test_tagged_rct_with_conduct_and_participants():
    rec = record("Effect of X on symptoms", (
        ("BACKGROUND", "X may help."),
        ("METHODS", ("In a randomized, double-blind, placebo-controlled trial, 553 participants with "
                     "moderate symptoms received X or placebo for 12 weeks; 61 participants withdrew.")),
        ("RESULTS", "X did not differ from placebo (p = 0.41)."),
    ), pub_types=(JOURNAL_ARTICLE, RCT))
    ev = read_record(rec)
    assert (ev.design, ev.design_basis, ev.design_span) == ("rct", "publication_type", None)
    assert (ev.sample_size, ev.sample_unit) == (553, "participants")
    assert ev.sample_size_span.text == "553 participants"
    assert ev.blinded.text == "double-blind" and ev.placebo and ev.randomized.text == "randomized"
    assert ev.population == "human" and ev.human_group == "participants with moderate symptoms"
    assert ev.direction == "null"
    assert_spans_point_into(rec, ev)


def test_clinical_trial_is_rct_only_when_text_says_randomized():
    open_label = record("X in adults with asthma", "Forty adults received X in an open-label study.",
                        pub_types=(CLINICAL_TRIAL,))
    randomized = record("X in adults with asthma", "Adults were randomly assigned to X or usual care.",
                        pub_types=(CLINICAL_TRIAL,))
    assert read_record(open_label).design == "nonrandomized_trial"
    ev = read_record(randomized)
    assert (ev.design, ev.design_span.text) == ("rct", "randomly assigned")


def test_rct_publication_type_sets_randomized_without_text():
    ev = read_record(record("Trial of X", "X was compared with usual care.", pub_types=(RCT,)))
    assert ev.randomized is True and ev.blinded is None


def test_cohort_from_publication_type_and_from_text():
    text = ("In this prospective cohort study of 12,345 adults followed for 10 years, higher intake was "
            "associated with lower mortality (HR 0.76; 95% CI 0.64-0.91).")
    tagged = read_record(record("Intake and mortality", text, pub_types=(OBSERVATIONAL,)))
    untagged = read_record(record("Intake and mortality", text))
    assert tagged.design == untagged.design == "observational"
    assert untagged.design_basis == "text" and untagged.design_span.text == "prospective"
    assert untagged.sample_size == 12345
    assert [(e.kind, e.value) for e in untagged.effects] == [("ratio", 0.76)]  # not the 95% CI


def test_case_report_from_type_and_text():
    text = "A 45-year-old woman presented with jaundice after six weeks of a herbal product."
    assert read_record(record("Liver injury", text, pub_types=(CASE_REPORTS, REVIEW))).design == "case_report"
    design, span = classify_design_from_text("Liver injury", text)
    assert design == "case_report" and span.text == "year-old woman"


def test_meta_analysis_outranks_review_and_is_read_from_text():
    text = ("We searched MEDLINE, Embase and CENTRAL for trials. 23 trials (n = 3,938) were included; "
            "the pooled relative risk was 0.58.")
    tagged = read_record(record("Probiotics", text, pub_types=(REVIEW, META_ANALYSIS)))
    assert tagged.design == "systematic_review"
    design, span = classify_design_from_text("Probiotics for diarrhoea: a meta-analysis", text)
    assert design == "systematic_review" and span.where == "title"
    assert classify_design_from_text("Probiotics", text)[0] == "systematic_review"


def test_background_meta_analysis_does_not_make_a_trial_a_review():
    text = ("A previous meta-analysis suggested benefit. We randomized 200 patients with heart failure "
            "to X or placebo.")
    assert classify_design_from_text("X in heart failure", text)[0] == "rct"


def test_untagged_randomised_trial_in_healthy_volunteers():
    rec = record("Acute effects of X",
                 "In this randomised double-blind trial, 24 healthy volunteers received X or placebo.")
    ev = read_record(rec)
    assert (ev.design, ev.design_basis, ev.design_span.text) == ("rct", "text", "randomised")
    assert (ev.human_group, ev.human_group_span.text) == ("healthy", "healthy volunteers")
    assert (ev.sample_size, ev.sample_size_span.text) == (24, "24 healthy volunteers")
    assert_spans_point_into(rec, ev)


def test_mesh_check_tags_decide_before_text():
    assert read_record(record("X and memory", "X was given.", mesh=("Animals", "Rats"))).design == "animal"
    ev = read_record(record("X in HeLa", "X was given.", mesh=("Humans", "Cells, Cultured")))
    assert (ev.design, ev.design_basis) == ("in_vitro", "mesh")
    both = read_record(record("X", "We randomized 80 patients to X or placebo.", mesh=("Animals", "Humans")))
    assert (both.design, both.design_basis) == ("rct", "text")
    assert read_record(record("X", "X was given.", mesh=("Animals", "Mice"))).species == {"mouse"}


def test_letter_and_review_titles():
    assert classify_design_from_text("Letter to the editor: on p-values", "")[0] == "opinion"
    assert read_record(record("On p-values", "", pub_types=(LETTER,))).design == "opinion"
    assert classify_design_from_text("Mechanisms of insulin resistance: an update",
                                     "In this review, we summarize recent advances.")[0] == "review"
    chart_review = "A retrospective chart review of falls in 200 patients"
    assert classify_design_from_text(chart_review, "")[0] != "review"


def test_lab_animals_randomly_divided_are_animal_not_rct():
    text = "Forty male Wistar rats were randomly divided into four groups and got X (10 mg/kg) or vehicle."
    ev = read_record(record("X after stroke", text))
    assert ev.design == "animal" and ev.population == "animal"
    assert (ev.sample_size, ev.sample_unit) == (40, "animals")
    assert ev.sample_size_span.text == "Forty male Wistar rats"
    assert ev.controlled.text == "vehicle"


def test_cell_culture_reagents_do_not_make_an_animal_study():
    text = ("MCF-7 cells were cultured in medium with 10% fetal bovine serum and treated with X; "
            "proteins were detected with a mouse monoclonal antibody. X reduced viability dose-dependently.")
    ev = read_record(record("X in breast cancer cells", text))
    assert ev.design == "in_vitro" and ev.species == frozenset()
    assert ev.dose_response.text == "dose-dependently"


def test_in_vitro_fertilisation_is_not_a_cell_study():
    text = "We followed 1,500 women undergoing in vitro fertilization in a retrospective cohort."
    assert classify_design_from_text("Outcomes of IVF", text)[0] == "observational"


def test_unknown_when_nothing_is_said():
    assert classify_design_from_text("Thoughts", "Some words here.") == ("unknown", None)
    assert read_record(record("Thoughts", "")).design_basis == "none"


# --- hand-made records: facts ---------------------------------------------------------------------

@pytest.mark.parametrize("text, size", [
    ("Eleven subjects completed the protocol.", 11),
    ("Twenty-four patients were enrolled.", 24),
    ("A total of 1,203 patients were screened and 553 patients were enrolled.", 1203),
    ("Patients (N=24) received X.", 24),
    ("We studied 120 women and 80 men aged 40 years.", 120),
    ("X (50 μg/kg) was given for 24 h in 2006, a 3-fold rise; IC50 10 microM.", None),
    ("In 2006 patients were first treated with X.", None),
    ("Response rate was 85% patients.", None),
])
def test_sample_size(text, size):
    ev = read_record(record("A study", text))
    assert ev.sample_size == size
    if size:
        assert_spans_point_into(record("A study", text), ev)


def test_patient_group_phrase():
    ev = read_record(record("X after stroke", "We enrolled 60 patients with ischemic stroke, who got X."))
    assert ev.human_group == "patients with ischemic stroke"
    assert ev.human_group_span.where == "abstract"


def test_effects_ratios_and_signed_percentages():
    text = ("X lowered the odds of relapse (OR = 0.45, 95% CI 0.30-0.70) and raised the rate ratio to 2.3. "
            "Scores rose by 12% versus -8% with placebo; 40% of participants were women.")
    kinds = [(e.kind, e.value) for e in read_record(record("X", text)).effects]
    assert kinds == [("ratio", 0.45), ("ratio", 2.3), ("percent", 12.0), ("percent", -8.0)]


def test_direction():
    def direction(text: str) -> str:
        return read_record(record("X", text)).direction

    assert direction("Methods: ... Conclusions: X significantly improved recall.") == "positive"
    assert direction("Results: X did not differ from placebo. Conclusion: X had no effect.") == "null"
    assert direction("X improved sleep but failed to alter mood.") == "mixed"
    assert direction("X worsened symptoms.") == "negative"
    assert direction("We measured things.") == "unknown"


def test_flags_from_text_and_from_mesh():
    ev = read_record(record("X", "The trial was stopped early for benefit after an interim analysis.",
                            mesh=("Humans", "Double-Blind Method")))
    assert "stopped" in ev.stopped_early.text
    assert ev.blinded is True  # indexed, not stated
    assert ev.placebo is None and ev.dose_response is None


def test_not_randomized_is_not_randomized():
    ev = read_record(record("X", "In this non-randomized, open-label trial, 30 patients received X."))
    assert ev.randomized is None and ev.design == "nonrandomized_trial"


def test_retraction_basis():
    assert (read_record(record(pub_types=(JOURNAL_ARTICLE, RETRACTED))).retracted_basis) == "publication_type"
    ev = read_record(record(corrections=(CommentCorrection("RetractionIn", 99, "J Test 2021"),)))
    assert ev.retracted and ev.retracted_basis == "retraction_in"
    assert read_record(record()).retracted is False


def test_non_english():
    assert read_record(record(languages=("ger",))).non_english
    assert read_record(record(languages=("eng", "fre"))).non_english is False
    assert read_record(record(pub_types=(("D004740", "English Abstract"),))).non_english


def test_labelled_sections_spans():
    rec = record("X", (("BACKGROUND", "Little is known."), ("METHODS", "We randomized 90 adults."),
                       ("CONCLUSIONS", "X significantly reduced pain.")))
    ev = read_record(rec)
    assert rec.abstract_text.startswith("BACKGROUND: ")
    assert ev.randomized.text == "randomized" and ev.sample_size == 90 and ev.direction == "positive"
    assert_spans_point_into(rec, ev)


def test_vocabulary_is_compiled_once():
    assert cues() is cues()


# --- properties -----------------------------------------------------------------------------------

WORDS = st.sampled_from([
    "randomized", "double-blind", "placebo", "rats", "mice", "patients", "24", "1,203", "eleven", "n = 12",
    "3-fold", "+25%", "OR = 2.3", "95% CI", "in vitro", "cohort", "case report", "review", "meta-analysis",
    "healthy volunteers", "patients with", "dose-dependent", "did not differ", "improved", "İ", "ß", "—",
    "Conclusions:", ".", ",", "(", ")", "\n", "μg/kg", "C57BL/6", "bovine serum", "year-old", "fold",
])
TEXT = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=40).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(title=st.one_of(st.none(), TEXT), abstract=TEXT)
def test_any_text_reads_without_error_and_spans_stay_in_range(title, abstract):
    _, span = classify_design_from_text(title, abstract)
    assert span is None or (title or "", abstract)[span.where == "abstract"][span.start:span.end] == span.text
    rec = record(title, abstract)
    assert_spans_point_into(rec, read_record(rec))


def cue_phrases() -> list[tuple[str, str, str]]:
    from grading.engine.record_reading import vocabulary

    v = vocabulary()
    tables = [(table, name, phrases) for table in ("design", "flags", "direction")
              for name, phrases in v[table].items() if not name.endswith("_not")]
    tables += [("species", name, phrases) for name, phrases in v["species"].items()]
    tables += [("animal", "animal", v["population"]["animal"])]
    return [(table, name, phrase) for table, name, phrases in tables for phrase in phrases]


@settings(max_examples=25, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("table, name, phrase", cue_phrases())
def test_quick_skip_never_hides_a_cue(data, table, name, phrase):
    """The word-start test that skips cue searches must pass whenever the cue itself matches."""
    from grading.engine.record_reading import prepare

    cue = getattr(cues(), table)
    cue = cue[name] if isinstance(cue, dict) else cue
    lead = ""
    if phrase.startswith("(?<="):  # a look-behind: generate what it asks for in front ("45-year-old")
        lead, phrase = "45-", phrase[phrase.index(")") + 1:]
    found = data.draw(st.from_regex(phrase.lower(), fullmatch=True))
    text = prepare(f"Before {lead}{found} after.")
    if cue.pattern.search(text.low) and cue.starts is not None:
        assert cue.starts.search(text.spaced)


# --- design from text: what the benchmark taught (benchmarks/design_agreement.py) ------------------

RECORDS = Path(__file__).resolve().parent / "fixtures" / "grading" / "records"


@pytest.mark.parametrize("title, abstract, design", [
    ("Air embolism in intravenous feeding", "Two patients with air embolism during feeding are reported.", "case_report"),
    ("Fatal septicemia", "Septicemia due to a rod developed in a 60-year-old alcoholic and was fatal.", "case_report"),
    ("Mucopolysaccharidosis", "This is a report of two brothers with the syndrome.", "case_report"),
    ("Cavitating metastases", "Twelve patients with cavitating metastases are described.", "case_report"),
    ("Gastric vagotomy", "Forty patients were followed for 7 years; 12% had recurrent ulcers.", "observational"),
    ("Soaps in xerosis", "Twenty patients used a soap or a placebo lotion for four weeks.", "rct"),
    ("Infant interactions among monkeys", "Adult male rhesus monkeys were housed with infants and families.", "animal"),
    ("Toxin activity", "The toxin was tested in vitro and in vivo; activity fell by half.", "animal"),
    ("Colliculus units", "Units in the superior colliculus were recorded after stimulation of the optic nerve.", "animal"),
    ("Diagnosis and treatment of salpingitis", "Salpingitis is common in women; treatment is discussed.", "review"),
    ("Adjuvant immunotherapy", ("Because systemic spread occurs early, control of micrometastases matters to "
                                "patients. Options are discussed."), "review"),
])
def test_design_wording_general_to_biomedicine(title, abstract, design):
    assert classify_design_from_text(title, abstract)[0] == design


def test_counts_with_hundreds_and_ages_that_are_no_counts():
    assert read_record(record("X", "One hundred and twenty-four edentulous patients had surgery.")).sample_size == 124
    assert read_record(record("X", "Six hundred patients were followed for 15 years.")).sample_size == 600
    ev = read_record(record("X", "A 52 year-old female patient had pain after surgery."))
    assert ev.sample_size is None and ev.design == "case_report"


def test_null_wording_and_a_reviews_own_rating():
    assert read_record(record("X", "Conclusions: X was no better than placebo.")).direction == "null"
    assert read_record(record("X", "The effect of X seemed to be no other than that of placebo.")).direction == "null"
    ev = read_record(record("X", ("We searched CENTRAL. Mortality fell (RR 0.8; 3 trials; low-certainty evidence); "
                                  "the certainty of the evidence was very low for sepsis.")))
    assert [level for level, _ in ev.stated_certainty] == ["low", "very low"]
    assert_spans_point_into(record("X", "(low-certainty evidence)"), read_record(record("X", "(low-certainty evidence)")))


def test_runners_are_people_not_animals():
    """Biopython's recorded reply pubmed6.xml: thirteen trained runners, no MeSH: never an animal study."""
    (rec,) = list(iter_pubmed_xml(RECORDS / "30108519.xml"))
    ev = read_record(rec)
    assert ev.design != "animal" and ev.population == "human"
