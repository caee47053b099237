"""Reading a claim (grading.engine.claim_reading): substance, population, outcome, direction, figures, on
claims about many substances and sites; and that the reading names no substance of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.documents.claims import classify_population
from grading.engine import claim_reading
from grading.engine.claim_reading import outcome_families, read_claim, route_words
from grading.engine.figures import find_figure


def substance(text: str, subjects: frozenset[str] = frozenset()) -> tuple[frozenset[str], str]:
    r = read_claim(text, subjects)
    return r.substance_terms, r.substance_basis


@pytest.mark.parametrize("text, terms", [
    ("Curcumin lowers CRP levels in adults with arthritis.", {"curcumin"}),
    ("Vitamin D supplementation reduces the risk of fractures in older women.", {"vitamin"}),
    ("In rats, resveratrol extends lifespan.", {"resveratrol"}),
    ("Research demonstrates that melatonin improves sleep quality in healthy volunteers.", {"melatonin"}),
    ("Patients treated with ketamine showed rapid relief of depression.", {"ketamine"}),
    ("A daily dose of fish oil lowers triglycerides.", {"fish"}),
    ("Key finding: creatine increased muscle strength in older adults.", {"creatine"}),
    ("Metformin shares the ability of fasting to lower blood glucose.", {"metformin"}),
])
def test_the_agent_of_the_effect_is_the_substance(text, terms):
    found, basis = substance(text)
    assert basis == "named" and terms <= found, found


def test_a_pronoun_takes_the_documents_subject():
    assert substance("It improves memory and focus.", frozenset({"piracetam"})) == (frozenset({"piracetam"}), "document")
    assert substance("It improves memory and focus.") == (frozenset(), "none")


def test_the_documents_subject_outranks_a_participle_agent():
    terms, _ = substance("Piracetam is approved in Europe, demonstrating efficacy in improving memory.",
                         frozenset({"piracetam"}))
    assert terms == {"piracetam"}


def test_an_intervention_phrase_nearest_the_verb_is_the_agent():
    text = "If you take aspirin, supplementation of fish oil has been shown to prevent the side effect."
    r = read_claim(text, frozenset({"aspirin"}))
    assert r.substances[0].text == "fish oil" and r.substance_terms == {"fish"}


@pytest.mark.parametrize("text, population, species, group", [
    ("In rats, resveratrol extends lifespan.", "animal", {"rat"}, None),
    ("Mice fed quercetin ran longer.", "animal", {"mouse"}, None),
    ("In vitro, quercetin inhibits the growth of cancer cells.", "cells", set(), None),
    ("Melatonin improves sleep in healthy volunteers.", "human", set(), "healthy"),
    ("Statins lower mortality in patients with heart failure.", "human", set(), "patients"),
    ("Statins lower cholesterol.", "unspecified", set(), None),
    ("Shown in mice and in humans, it lowers glucose.", "human", set(), None),
])
def test_population(text, population, species, group):
    r = read_claim(text)
    assert (r.population, set(r.species), r.human_group) == (population, species, group)
    if r.population_span:
        assert text[r.population_span.start:r.population_span.end] == r.population_span.text


@pytest.mark.parametrize("text, outcome, kind", [
    ("Curcumin lowers CRP levels in adults with arthritis.", "CRP levels", "surrogate"),
    ("Vitamin D reduces the risk of fractures in older women.", "the risk of fractures", "clinical"),
    ("Ketamine increases BDNF mRNA expression.", "BDNF mRNA expression", "surrogate"),
    ("Omega-3 fatty acids improve depressive symptoms.", "depressive symptoms", "clinical"),
    ("1.4-fold increase in IL-6 protein levels", "IL-6 protein levels", "surrogate"),
    ("Ticlopidine prevents strokes by boosting prostacyclin production.", "strokes", "clinical"),
])
def test_outcome_and_whether_it_is_clinical(text, outcome, kind):
    r = read_claim(text)
    assert r.outcome is not None and r.outcome.text == outcome
    assert r.outcome_kind == kind and r.outcome_kind_span is not None
    assert text[r.outcome_kind_span.start:r.outcome_kind_span.end] == r.outcome_kind_span.text


def test_mechanism_terms_after_the_verb_are_kept():
    r = read_claim("Ticlopidine prevents strokes by boosting prostacyclin production in people.")
    assert {"prostacyclin", "production"} <= r.claim_terms and "people" not in r.claim_terms


@pytest.mark.parametrize("text, direction", [
    ("Metformin does not affect vitamin B12 levels.", "no_effect"),
    ("The drug is non-addictive.", "no_effect"),
    ("No withdrawal symptoms were reported.", "no_effect"),
    ("Zinc shortens colds.", "effect"),
    ("Zinc is a trace element.", "unknown"),
])
def test_direction(text, direction):
    assert read_claim(text).direction == direction


def test_figures_with_units():
    text = ("A single 50 mcg/kg dose gave a 1.4-fold increase, 24 participants, 20-24 hours, 12% less, "
            "400-1,800 mcg daily, 3x daily.")
    figures = [(f.kind, f.values, f.unit) for f in read_claim(text).figures]
    assert figures == [("dose", (50.0,), "mcg/kg"), ("fold", (1.4,), "fold"), ("count", (24.0,), "participants"),
                       ("duration", (20.0, 24.0), "hours"), ("percent", (12.0,), "%"),
                       ("dose", (400.0, 1800.0), "mcg"), ("frequency", (3.0,), "per day")]
    for f in read_claim(text).figures:
        assert text[f.span.start:f.span.end] == f.span.text


@pytest.mark.parametrize("claim, abstract, found", [
    ("50 mcg/kg", "Semax (50 μg/kg body weight) was given", "50 μg/kg"),
    ("1.4-fold", "a maximal 1.4-fold increase", "1.4-fold"),
    ("24 participants", "In 24 healthy volunteers we", "24 healthy volunteers"),
    ("24 participants", "Patients (n = 24) received", "n = 24"),
    ("20-24 hours", "effects lasted 20–24 h", "20–24 h"),
    ("1,800 mcg", "up to 1800 µg a day", "1800 µg"),
    ("12%", "a fall of 12 percent", "12 percent"),
    ("3-fold", "a 13-fold rise", None),
    ("50 mcg/kg", "50 mg/kg was given", None),
    ("20-24 hours", "at 3 and 24 h", None),
])
def test_a_figure_is_found_only_with_a_compatible_unit(claim, abstract, found):
    (figure,) = read_claim(claim).figures
    hit = find_figure(figure, abstract)
    assert (hit.group(0) if hit else None) == found


def test_outcome_families_and_routes():
    assert outcome_families("better recall in a maze") == {"cognition"}
    assert "mood" in outcome_families("anxiolytic and antidepressant effects")
    assert route_words("given intranasally as nasal drops") == {"intranasal"}
    assert route_words("0.15 mg/kg, ip") == frozenset()  # an abbreviation without dots is no route here
    assert route_words("by intraperitoneal injection") == {"injected"}


def test_reading_code_names_no_substance():
    """Substances and outcomes live in data files; the code only reads them."""
    code = Path(claim_reading.__file__).read_text(encoding="utf-8").lower()
    for word in ("semax", "bdnf", "trkb", "selank", "ginseng", "acth", "tianeptine", "hippocamp", "enkephalin"):
        assert word not in code, word


@pytest.mark.parametrize(("text", "population", "species"), [
    ("Fish oil lowers the risk of heart attack.", "unspecified", set()),  # a product, not a population
    ("Like fish oil, zorvatide increases BDNF.", "unspecified", set()),  # the comparison names no one studied
    ("In rats, zorvatide increases BDNF.", "animal", {"rat"}),
    ("Zorvatide increases BDNF in people with depression.", "human", set()),
])
def test_a_claims_population_is_read_as_a_reader_would(text, population, species):
    reading = read_claim(text)
    assert (reading.population, set(reading.species)) == (population, species)


def test_results_after_an_adjective_are_a_noun_not_an_effect_verb():
    noun = read_claim("Researchers at a university published a trial that suggests clinically relevant results in "
                      "people given zorvatide.", frozenset())
    assert noun.outcome is None and noun.substance_terms == {"zorvatide"}
    verb = read_claim("Zorvatide supplementation results in lower blood pressure.", frozenset())
    assert verb.outcome is not None and verb.outcome.text == "lower blood pressure"


@pytest.mark.parametrize("text, kind, stored", [
    ("In cultured human neurons it reduced apoptosis.", "cells", "unspecified"),
    ("In vitro, murine macrophages released less TNF.", "cells", "animal"),
    ("Like fish oil, zorvatide increases BDNF.", "unspecified", "unspecified"),
    ("A placebo-controlled study in rats found lower anxiety.", "animal", "animal"),
    ("It was effective in rats and in patients with epilepsy.", "human", "human"),
    ("From various user reports there is a risk of hair loss.", "human", "human"),
    ("Shown in human trials to lower blood pressure.", "human", "human"),
])
def test_one_population_reader_for_the_stored_claim_and_the_engine(text, kind, stored):
    assert read_claim(text, frozenset()).population == kind
    assert classify_population(text) == stored


@pytest.mark.parametrize("text", [
    "Improves MEMORY and Learning in older adults", "Fatalities rose after the heart attacks",
    "no outcome named here", "Mortalité et survie: survival improved", "\u017furvival (long s) and mortality",
    "HEART ATTACKED twice", "", "Alzheimer's disease and neurodegeneration",
])
def test_outcome_families_skips_only_families_that_cannot_occur(text: str) -> None:
    """The cheap word test in front of each family's regex changes no answer (ASCII or not)."""
    families = claim_reading.vocabulary().families
    assert outcome_families(text) == frozenset(name for name, p in families.items() if p.search(text))
