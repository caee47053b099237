"""Claim extraction: spans, segmentation, what is and is not a claim, type and population."""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.documents import claims as claims_module
from grading.documents.claims import assess, classify_population, classify_type, extract_claims
from grading.models import CitationMention, Claim, Source

# A link with an optional footnote number glued in front ("activity1https://…/16996037");
# glued chains ("…/150883893https://…") split before the last digit, or after a "/".
URL_MENTION_RE = re.compile(
    r"(?P<footnote>\d{1,2})?(?P<url>(?:https?://|www\.)\S+?)"
    r"(?=\d(?:https?://|www\.)|(?<=/)\d{1,2}(?:https?://|www\.)|[.,;:)]?(?:\s|$))")
AUTHOR_YEAR_RE = re.compile(r"[A-Z][a-z]+ et al\., \d{4}")


def url_mentions(text: str) -> list[CitationMention]:
    """Stand-in for grading.documents.citations: URL spans with a glued footnote number."""
    return [CitationMention(m.start(), m.end(), m.group(0), "url", m.group("url"),
                            footnote=int(m.group("footnote")) if m.group("footnote") else None)
            for m in URL_MENTION_RE.finditer(text)]


def author_year_mentions(text: str) -> list[CitationMention]:
    """"Smith et al., 2019" without its brackets, as a citation finder might report it."""
    return [CitationMention(m.start(), m.end(), m.group(), "author_year", m.group())
            for m in AUTHOR_YEAR_RE.finditer(text)]


def make_source(text: str, name: str = "doc.txt") -> Source:
    return Source(name, hashlib.sha256(text.encode()).hexdigest(), text, "text/plain")


def texts(claims: list[Claim]) -> list[str]:
    return [c.text for c in claims]


def find(claims: list[Claim], prefix: str) -> Claim:
    hits = [c for c in claims if c.text.startswith(prefix)]
    assert len(hits) == 1, (prefix, texts(claims))
    return hits[0]


@pytest.fixture(scope="module")
def demo(seed_texts) -> dict[str, tuple[Source, list[CitationMention], list[Claim]]]:
    out = {}
    for key, text in seed_texts.items():
        src = make_source(text, key)
        mentions = url_mentions(text)
        out[key] = (src, mentions, extract_claims(src, mentions))
    return out


# --- every demo document -----------------------------------------------------------------


def test_demo_offsets_exact_sorted_and_ids(demo):
    for key, (src, _, claims) in demo.items():
        assert claims, key
        assert [c.char_start for c in claims] == sorted(c.char_start for c in claims)
        for c in claims:
            assert src.text[c.char_start:c.char_end] == c.text
            assert c.text == c.text.strip() and c.text
            assert c.claim_id == hashlib.sha256(f"{src.source}\0{src.content_hash}:{c.char_start}:{c.char_end}"
                                                .encode()).hexdigest()[:16]
            assert (c.source, c.content_hash) == (src.source, src.content_hash)
        assert all(a.char_end <= b.char_start for a, b in itertools.pairwise(claims)), key


def test_demo_claims_never_cut_a_mention_nor_end_with_one(demo):
    for key, (src, mentions, claims) in demo.items():
        for c in claims:
            for m in mentions:
                assert not m.char_start < c.char_start < m.char_end, (key, c.text)
                assert not m.char_start < c.char_end < m.char_end, (key, c.text)
                if c.char_start <= m.char_start and m.char_end <= c.char_end:  # inside: words follow it
                    assert re.search(r"\w", src.text[m.char_end:c.char_end]), (key, c.text)


HEADINGS = {
    "000": ["BDNF Increase", "Gene Expression", "Duration", "Receptor Activation", "Heptapeptide",
            "Cognitive & Neuroprotective Peptide", "Melanocortin Receptor Modulation",
            "Vascular Endothelial Growth Factor Pathway", "BDNF mRNA Expression After Single Dose",
            "Brain-Derived Neurotrophic Factor / TrkB Receptor", "Technical specifications"],
    "001": ["Where to Purchase Semax", "Dosage Information", "cosmic nootropic"],
    "002": ["Research and Studies", "Mechanism of Action", "Mechanisms of Action for Semax",
            "Enhancement of Neurotransmitter Systems", "Cognitive Enhancement",
            "Stimulation of Brain-Derived Neurotrophic Factor (BDNF)", "Improvement of Circulatory Brain Health",
            "Regulation of the Immune Response", "Use in Clinical and Non-Clinical Settings"],
}


def test_demo_headings_are_not_claims(demo):
    for key, headings in HEADINGS.items():
        src, _, claims = demo[key]
        lines = set(src.text.splitlines())
        study_headings = [line for line in lines if line.startswith("Study on ")]
        for heading in headings + study_headings:
            assert heading in lines, heading  # the test names real lines
            assert heading not in texts(claims)
        for c in claims:  # no claim is a heading plus nothing
            assert c.text not in study_headings


def test_demo_without_mentions_finds_the_same_claims(demo):
    """Bare links are recognised as markers even before the citations stage runs."""
    for key, (src, _, claims) in demo.items():
        assert texts(extract_claims(src)) == texts(claims), key


# --- 001: a blog with glued footnote links ------------------------------------------------


def test_001_trailing_glued_markers_are_cut(demo):
    claims = demo["001"][2]
    assert "Semax has profound effects on learning and has notable neuroprotective activity" in texts(claims)
    dopamine = find(claims, "Semax has also been shown to significantly increase levels of the serotonin")
    assert dopamine.text.endswith("enhance the release of striatal dopamine")
    assert dopamine.claim_type == "mechanism"


def test_001_mid_sentence_marker_stays_inside(demo):
    c = find(demo["001"][2], "Also like Tianeptine")
    assert "depression6https://www.ncbi.nlm.nih.gov/pubmed/18204410, and ADHD" in c.text
    assert c.text.endswith("and ADHD")


def test_001_purchase_lines_are_not_claims(demo):
    got = texts(demo["001"][2])
    for line in ("Where to Purchase Semax", "cosmic nootropic",
                 "Pharmacy-produced Russian Semax may be purchased at Cosmic Nootropic."):
        assert not any(line in t for t in got)


def test_001_types_and_populations(demo):
    claims = demo["001"][2]
    dose = find(claims, "A standard dose")
    assert dose.text == "A standard dose is 100-150 mcg, taken up to 3x daily."
    assert dose.claim_type == "dosing"
    assert find(claims, "It’s been shown to significantly improve memory").population == "human"
    assert "healthy people under extreme conditions" in find(claims, "It’s been shown").text
    assert find(claims, "Semax is unregulated").claim_type == "regulatory"
    assert find(claims, "Semax has not demonstrated any serious").claim_type == "safety"
    assert find(claims, "However, from various user reports").claim_type == "safety"


# --- 002: a vendor page with headings glued to sentences -----------------------------------


def test_002_sentence_glued_to_next_is_split(demo):
    got = texts(demo["002"][2])
    assert "Semax improves cognitive function." in got
    assert any(t.startswith("A study involving 24 healthy participants showed") for t in got)
    assert "Semax reduces anxiety and improves mood." in got
    assert "Semax improves glaucoma optic neuropathy." in got


def test_002_populations(demo):
    claims = demo["002"][2]
    assert find(claims, "Rats treated with Semax performed better in maze tests").population == "animal"
    assert find(claims, "Research on patients recovering from ischemic stroke").population == "human"
    assert find(claims, "A study involving 24 healthy participants").population == "human"
    assert find(claims, "In animal studies").population == "animal"
    assert find(claims, "Semax improves cognitive function.").population == "unspecified"


def test_002_warning_and_packaging_are_not_claims(demo):
    """Packaging says what is in the vial, not what the substance does to anyone."""
    got = texts(demo["002"][2])
    assert not any("Research Purposes" in t or "freeze-dried" in t or "Bacteriostatic" in t for t in got)


# --- 000: a flattened vendor product page --------------------------------------------------


def test_000_key_finding(demo):
    c = find(demo["000"][2], "Key finding: 3-fold increase in exon III BDNF mRNA")
    assert c.text.endswith("were observed in rat hippocampus following Semax administration")
    assert (c.claim_type, c.population) == ("mechanism", "animal")


def test_000_page_furniture_and_references_are_not_claims(demo):
    src, _, claims = demo["000"]
    got = texts(claims)
    lines = src.text.splitlines()
    for start in ("Not for human consumption", "By purchasing", "Common questions about Semax research",
                  "Peer-reviewed research", "Dolotov OV", "Medvedeva EV", "Shadrina M", "All clinical trial data",
                  "⚠️ FOR RESEARCH", "7amino acids", "Handle with care", "1.4×BDNF", "200-600 mcg"):
        line = next(x for x in lines if x.startswith(start))
        assert not any(t in line or line in t for t in got), start


def test_000_types(demo):
    claims = demo["000"][2]
    assert find(claims, "Semax has been approved in Russia since the 1990s").claim_type == "regulatory"
    assert find(claims, "Reported side effects are generally mild").claim_type == "safety"
    assert find(claims, "Clinical use: Semax is approved in Russia as a 0.1%").claim_type == "regulatory"
    assert find(claims, "A single intranasal application").claim_type == "mechanism"
    assert find(claims, "Effects last 20-24 hours").claim_type == "pharmacokinetic"
    assert find(claims, "Not FDA-approved").claim_type == "regulatory"
    assert find(claims, "No withdrawal symptoms reported").claim_type == "safety"
    assert find(claims, "Total daily dose: 400-1,800 mcg").claim_type == "dosing"


def test_000_fragments_that_assert_are_claims(demo):
    got = texts(demo["000"][2])
    for fragment in ("1.4-fold increase in BDNF protein levels", "Upregulates vascular system genes",
                     "Promotes angiogenesis after ischemia", "Supports brain plasticity", "No withdrawal symptoms reported",
                     "Generally well-tolerated in clinical studies",
                     "Effects last 20-24 hours despite short plasma half-life", "Total daily dose: 400-1,800 mcg",
                     "Not FDA-approved in the United States"):
        assert fragment in got, fragment
    # The glued page label "Source" is not part of the claim.
    assert "Semax enhances learning, memory, and attention through BDNF upregulation and TrkB pathway " \
           "activation in the hippocampus" in got


# --- other documents, other substances -----------------------------------------------------

CURCUMIN = """Turmeric Benefits: What the Science Says

Home | Blog | Shop

Curcumin, the active compound in turmeric, reduces markers of inflammation in adults with knee osteoarthritis (Smith et al., 2019). In rats, curcumin lowered fasting blood glucose by 20% (Lee et al., 2020; Park et al., 2021). Curcumin has poor oral bioavailability, e.g. less than 1% is absorbed, but combining it with piperine increases absorption approx. 20-fold (Shoba et al., 1998).

How Much Should You Take?

Typical doses range from 500 to 2,000 mg per day, taken with meals. High doses may cause mild gastrointestinal side effects.

Is turmeric right for you?

Buy Now
Subscribe to our newsletter for 10% off!

These statements have not been evaluated by the Food and Drug Administration. This product is not intended to diagnose, treat, cure, or prevent any disease.
"""

NEWS = """New Drug Cuts Migraine Days in Large Trial

By Jane Doe | March 3, 2024

A phase 3 trial in 300 patients with chronic migraine found that the drug reduced monthly migraine days by 40% compared with placebo. The most common adverse events were nausea and fatigue, reported in 8% of participants. The drug was approved by the European Medicines Agency last year and is awaiting FDA review. Patients received 100 mg once daily for 12 weeks. In mice, the compound blocks CGRP receptors in the trigeminal nerve.

Dr. Alan Smith, who led the study, said the results were encouraging.

Share this article
Related: Five foods that trigger headaches
"""

OMEGA = """# Omega-3 Fatty Acids and Heart Health

## Key Benefits

- Lowers triglycerides by 15-30% in adults with hypertriglyceridemia [1]
- Well tolerated at doses up to 4 g/day [2]
- Heart Health Support

Fish oil supplementation has been studied for decades. In a large
randomized trial, it reduced major cardiovascular events in patients
with elevated triglycerides [3].

In cultured human endothelial cells, EPA reduced expression of adhesion molecules. In vitro, rat cardiomyocytes exposed to DHA showed less apoptosis.

## References

1. Harris WS, Miller M, Tighe AP, et al. Omega-3 fatty acids improve coronary heart disease outcomes in patients. Atherosclerosis. 2008;197:12-24.
"""


def summary(text: str, mentions=()) -> list[tuple[str, str, str]]:
    src = make_source(text)
    out = extract_claims(src, mentions)
    for c in out:
        assert text[c.char_start:c.char_end] == c.text
    return [(c.text, c.claim_type, c.population) for c in out]


def test_supplement_blog_with_author_year_markers():
    got = summary(CURCUMIN, author_year_mentions(CURCUMIN))
    assert got == [
        (("Curcumin, the active compound in turmeric, reduces markers of inflammation in adults with knee "
         "osteoarthritis"), "mechanism", "human"),
        ("In rats, curcumin lowered fasting blood glucose by 20%", "efficacy", "animal"),
        (("Curcumin has poor oral bioavailability, e.g. less than 1% is absorbed, but combining it with piperine "
         "increases absorption approx. 20-fold"), "pharmacokinetic", "unspecified"),
        ("Typical doses range from 500 to 2,000 mg per day, taken with meals.", "dosing", "unspecified"),
        ("High doses may cause mild gastrointestinal side effects.", "safety", "unspecified"),
    ]


def test_news_article_about_a_trial():
    got = summary(NEWS)
    assert [(t[:30], kind, pop) for t, kind, pop in got] == [
        ("A phase 3 trial in 300 patient", "efficacy", "human"),
        ("The most common adverse events", "safety", "human"),
        ("The drug was approved by the E", "regulatory", "unspecified"),
        ("Patients received 100 mg once ", "dosing", "human"),
        ("In mice, the compound blocks C", "mechanism", "animal"),
    ]


def test_markdown_with_bullets_wrapped_lines_bracket_markers_and_references():
    got = summary(OMEGA)
    assert got == [
        ("Lowers triglycerides by 15-30% in adults with hypertriglyceridemia", "efficacy", "human"),
        ("Well tolerated at doses up to 4 g/day", "safety", "unspecified"),
        (("In a large\nrandomized trial, it reduced major cardiovascular events in patients\nwith elevated "
         "triglycerides"), "efficacy", "human"),
        # Human cells in a dish are not people; animal cells keep their species.
        ("In cultured human endothelial cells, EPA reduced expression of adhesion molecules.", "mechanism",
         "unspecified"),
        ("In vitro, rat cardiomyocytes exposed to DHA showed less apoptosis.", "mechanism", "animal"),
    ]


def test_reference_list_mentions_silence_their_line():
    text = ("Curcumin improves memory in older adults.\n"
            "Smith J. Curcumin improves memory in older adults. J Nutr. 2019;149:1-8.\n")
    line = text.index("Smith J.")
    ref = CitationMention(line, line + len("Smith J."), "Smith J.", "author_list", "Smith J.", in_reference_list=True)
    assert texts(extract_claims(make_source(text), [ref])) == ["Curcumin improves memory in older adults."]


def test_abbreviations_and_decimals_do_not_split():
    text = ("Levels rose approx. 1.4-fold in rats (e.g. in the cortex), as Lee et al. reported. "
            "Dr. Smith found that a 0.1% solution reduced pain in patients.")
    assert summary(text) == [
        ("Levels rose approx. 1.4-fold in rats (e.g. in the cortex), as Lee et al. reported.", "mechanism", "animal"),
        ("Dr. Smith found that a 0.1% solution reduced pain in patients.", "dosing", "human"),
    ]


def test_period_after_trailing_marker_ends_the_sentence_and_marker_is_dropped():
    text = "Zinc shortens colds in adults3https://pubmed.ncbi.nlm.nih.gov/123/. It is safe at 40 mg/day."
    assert summary(text, url_mentions(text)) == [
        ("Zinc shortens colds in adults", "efficacy", "human"),
        ("It is safe at 40 mg/day.", "safety", "unspecified"),
    ]


# --- rules in isolation --------------------------------------------------------------------


@pytest.mark.parametrize("text, kind", [
    ("A single dose (50 mg/kg) raised receptor mRNA levels in the cortex.", "mechanism"),
    ("It is approved in Japan for treating insomnia.", "regulatory"),
    ("It improves sleep but causes headache in some users.", "safety"),
    ("Its plasma half-life is 3 hours and it raises serotonin levels.", "pharmacokinetic"),
    ("Take 2 capsules twice daily to improve focus.", "dosing"),
    ("It reduces joint pain.", "efficacy"),
    ("About 12% of adults had elevated scores (p < 0.05).", "other"),
])
def test_type_precedence(text, kind):
    assert classify_type(text) == kind


@pytest.mark.parametrize("text, population", [
    ("Mice fed the extract lived longer.", "animal"),
    ("In healthy volunteers, it improved reaction time.", "human"),
    ("It was effective in rats and in patients with epilepsy.", "human"),
    ("In cultured human neurons it reduced apoptosis.", "unspecified"),
    ("In vitro, murine macrophages released less TNF.", "animal"),
    ("Preclinical data show neuroprotection.", "animal"),
    ("It lowers blood pressure.", "unspecified"),
])
def test_population(text, population):
    assert classify_population(text) == population


@pytest.mark.parametrize("text", [
    "Buy now", "Add to cart to improve your memory today!", "Where to Buy Ashwagandha",
    "For research purposes only.", "This product is not intended to diagnose, treat, cure, or prevent any disease.",
    "Information on this site should not be interpreted as medical advice.",
    "Store in a refrigerator; reconstituted vials keep 30 days.",
    "Does magnesium improve sleep?", "How Creatine Improves Muscle Strength",
    "Study on Stroke Recovery", "Dosage Information", "Serum Levels", "Gene Expression",
    "Clinical use in Europe", "It is a synthetic peptide of 7 amino acids.", "Related: Ten foods that reduce stress",
])
def test_not_claims(text):
    assert assess(text) is None


@pytest.mark.parametrize("text, kind", [
    ("30% reduction in fasting insulin", "efficacy"),
    ("Reduces anxiety scores", "efficacy"),
    ("No serious adverse events reported", "safety"),
    ("Half-life: 6 hours", "pharmacokinetic"),
    ("Recommended dose: 5 mg/kg", "dosing"),
    ("Not approved by the EMA", "regulatory"),
    ("Antioxidants reduce oxidative stress in muscle.", "mechanism"),
])
def test_fragments_that_assert(text, kind):
    assert assess(text) == kind


# --- robustness ----------------------------------------------------------------------------


def test_empty_and_blank_text():
    assert extract_claims(make_source("")) == []
    assert extract_claims(make_source(" \n\n\t \r\n")) == []


def test_pure_and_deterministic(demo):
    src, mentions, claims = demo["001"]
    assert extract_claims(src, tuple(mentions)) == claims
    assert extract_claims(src, list(reversed(mentions))) == claims


def test_one_megabyte_yields_claims_with_exact_offsets(seed_texts):
    # Speed is measured by benchmarks/claim_reading.py, not asserted here (timed assertions flake).
    corpus = "\n\n".join(seed_texts.values()) + "\n\n" + CURCUMIN + NEWS + OMEGA
    text = (corpus * (1_000_000 // len(corpus) + 1))[:1_000_000]
    src = make_source(text)
    claims = extract_claims(src, url_mentions(text))
    assert len(claims) > 1000
    assert all(text[c.char_start:c.char_end] == c.text for c in claims)


def test_logic_names_no_substance():
    code = Path(claims_module.__file__).read_text(encoding="utf-8").lower()
    for word in ("semax", "bdnf", "trkb", "acth", "selank", "curcumin", "russia", "nootropic"):
        assert word not in code, word


PIECES = ["Semax", "improves", "memory", " ", " ", ". ", ".", "\n", "\n\n", "in rats", "patients", "1.4-fold",
          "increase", "e.g.", "et al.", "A", "(", ")", "[1]", "?", "Buy now", "1https://x.org/a/1", "www.b.org/2/",
          "Study on Memory", ":", "50 mcg/kg", "half-life", "approved", "—", "•", "¹", "\r\n", "No", "side effects"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(PIECES), max_size=60).map("".join)),
       st.lists(st.tuples(st.integers(0, 300), st.integers(1, 40), st.booleans()), max_size=5))
def test_property_offsets_always_exact(text, raw_mentions):
    mentions = [CitationMention(s, min(s + n, len(text)), text[s:s + n], "url", "x", in_reference_list=ref)
                for s, n, ref in raw_mentions if s < len(text)]
    src = make_source(text)
    out = extract_claims(src, mentions)
    assert [c.char_start for c in out] == sorted(c.char_start for c in out)
    for c in out:
        assert 0 <= c.char_start < c.char_end <= len(text)
        assert text[c.char_start:c.char_end] == c.text
        assert c.claim_type in {"efficacy", "mechanism", "safety", "dosing", "regulatory", "pharmacokinetic", "other"}
        assert c.population in {"human", "animal", "unspecified"}
        for m in mentions:  # a claim never starts or ends inside a marker
            assert not m.char_start < c.char_start < m.char_end
            assert not m.char_start < c.char_end < m.char_end


@pytest.mark.parametrize("text", [
    "Examplamide heals tendons twice as fast.",
    "Clinically proven to burn belly fat",
    "Examplamide helps you fall asleep faster.",
    "Examplamide regrows hair.",
    "Examplamide is associated with lower blood pressure.",
    "Examplamide kills the influenza virus.",
    "Take 250 mcg twice daily.",
    "Examplamide Boosts Key Healing Molecules in Wounds",
    "All data presented is from clinical trials.",
    "Randomized, double-blind, placebo-controlled trial in 114 patients undergoing surgery.",
    "Primary endpoint: time to first bowel movement.",
    "The review included 29 randomized trials comparing examplamide with placebo.",
    "Phase 2b trial of examplamide 25 mg daily in 123 elderly patients.",
    "Impact: −36 min",
    "Reduced time to first bowel movement compared to placebo",
    "Well-tolerated in the postoperative setting",
    # verbs and outcomes of body and capacity; study designs and dosing advice
    "Examplamide helps your body cope with cold.",
    "Examplamide builds stronger bones.",
    "Children who took examplamide grew taller.",
    "Fasting does not affect strength gains from training.",
    "Our formula is backed by a 10-year study.",
    "That analysis pooled eight studies with 221 participants.",
    "The trial randomly assigned 62 people to one of three groups.",
    "Most coaches recommend 3 to 6 mg of examplamide per kilogram.",
])
def test_sentences_a_reader_would_flag_are_claims(text: str) -> None:
    assert assess(text) is not None


@pytest.mark.parametrize("text", [
    "Continue Reading", "By Jane Doe", "Shop now and save 20%", "Does examplamide work?", "Home",
    "Smith J, Doe A. Examplamide trial. J Ex. 2001;1:1-2.", "Key Findings",
    "Bone Health", "Muscle Strength", "We recommend you consult your doctor before use.",
    "Build your own bundle and save.",
])
def test_page_furniture_is_not_a_claim(text: str) -> None:
    assert assess(text) is None


def test_verbless_finding_under_a_findings_label_is_a_claim() -> None:
    text = "Key Findings\n- Gut motility effects independent of growth factor release\n- Parent compound page\n"
    got = [c.text for c in extract_claims(Source("s.txt", "h", text, "text/plain"))]
    assert got == ["Gut motility effects independent of growth factor release"]


def test_a_labelled_list_splits_into_its_items():
    """"Limitations: a; b; c": each item asserts on its own (and may be true or false on its own);
    a semicolon in brackets or in an unlabelled sentence separates nothing."""
    text = ("Limitations: Relatively small sample size (n=65; all volunteers); the trial did not assess strength "
            "or physical performance; zorvatide raised blood pressure in 3 participants.\n\n"
            "Zorvatide reduced migraine days; it also improved sleep quality in 40 adults.\n")
    found = extract_claims(Source("s.txt", "h", text, "text/plain"))
    texts = [c.text for c in found]
    assert "the trial did not assess strength or physical performance" in texts
    assert "zorvatide raised blood pressure in 3 participants." in texts
    assert "Zorvatide reduced migraine days; it also improved sleep quality in 40 adults." in texts
    assert not any("(n=65;" in t and "did not assess" in t for t in texts)
    assert all(text[c.char_start:c.char_end] == c.text for c in found)


# --- study reports and outcomes without a listed cue ---------------------------------------


@pytest.mark.parametrize("text, kind", [
    # a study subject with a reporting verb is a claim even when it names no listed outcome
    ("A 2020 scoping review (Doe et al.) included 12 studies with 900 patients and concluded that "
     + "the evidence is not strong enough to recommend zorvatide.", "other"),
    ("The researchers studied 40 patients: 20 took examplamide and 20 served as a control group.", "other"),
    # outcomes: deaths, hospital stay, dislocation, atrophy, deficiency, intoxication
    ("Deaths and the need for mechanical ventilation were the same in both groups.", "efficacy"),
    ("Patients who got zorvatide left the hospital two days sooner.", "efficacy"),
    ("Examplamide deficiency causes brain shrinkage in older adults.", "efficacy"),
    ("Zorvatide is not psychoactive and cannot make you high.", "safety"),
    ("Surgeons have reported a shoulder dislocating during an examplamide session.", "safety"),
    # verbs: cut, proved, beat, outperformed
    ("The first study proved that zorvatide cuts deaths.", "efficacy"),
    ("In that review, examplamide also cut the recurrence of tics by more than 50%.", "efficacy"),
    ("Zorvatide outperformed placebo on every outcome.", "efficacy"),
])
def test_study_reports_and_unlisted_outcomes_are_claims(text, kind):
    assert assess(text) == kind


@pytest.mark.parametrize("text", [
    "Researchers and Study Authors", "Study Groups", "Sources", "Left Ventricular Function",
    "Sign up: our researchers report new studies every week.",
    "Consult your doctor: the studies included here are for information.",
])
def test_study_words_alone_do_not_make_a_claim(text):
    assert assess(text) is None
