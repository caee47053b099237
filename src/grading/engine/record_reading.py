"""Reading one PubMed record into the facts the rubric needs: design, population, sample size,
conduct flags, effect sizes, direction, retraction and language.

`read_record(record) -> RecordEvidence` is pure. Design comes from publication types first, then
MeSH check tags, then title/abstract cues (`classify_design_from_text`, also used on its own to
benchmark the text path against indexing). Every fact found in text carries a `TextSpan` into
`record.title` or `record.abstract_text`, so a reason can quote it. Cue words live in
data/evidence_vocabulary.toml and are compiled once, on first use.

Conduct flags (`randomized`, `blinded`, `placebo`, `controlled`, `stopped_early`, `dose_response`)
are a `TextSpan` when the text states them, `True` when only the indexing does (publication type
or MeSH), and `None` when nothing does: truthy means present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from grading.engine.record_findings import (
    Direction,
    Effect,
    read_direction,
    read_effects,
    read_stated_certainty,
    results_start,
)
from grading.engine.record_text import (
    TITLE_WEIGHT,
    Flag,
    SampleUnit,
    Text,
    TextScan,
    TextSpan,
    cues,
    parse_count,
    prepare,
    sample_candidates,
    span_of,
    vocabulary,
)
from grading.models import PubmedRecord, StudyDesign

# Re-exported: the readers' shared values, imported from here by tests and other stages.
__all__ = ["TITLE_WEIGHT", "Direction", "Effect", "Flag", "RecordEvidence", "SampleUnit", "Text", "TextScan",
           "TextSpan", "classify_design_from_text", "cues", "parse_count", "prepare", "read_record",
           "results_start", "sample_candidates", "span_of", "vocabulary"]

Design = StudyDesign
DesignBasis = Literal["publication_type", "mesh", "text", "none"]
PopulationKind = Literal["human", "animal", "in_vitro", "mixed", "unknown"]

HUMAN_DESIGNS = frozenset({"systematic_review", "rct", "nonrandomized_trial", "observational", "case_report"})


@dataclass(frozen=True)
class RecordEvidence:
    """What one PubMed record tells the rubric. Grain: one per record."""

    pmid: int
    design: Design
    design_basis: DesignBasis
    design_span: TextSpan | None
    species: frozenset[str]
    population: PopulationKind
    population_span: TextSpan | None
    human_group: str | None  # "healthy" or a patient group phrase ("patients with ischemic stroke")
    human_group_span: TextSpan | None
    sample_size: int | None
    sample_size_span: TextSpan | None
    sample_unit: SampleUnit | None
    randomized: Flag
    blinded: Flag
    placebo: Flag
    controlled: Flag
    stopped_early: Flag
    dose_response: Flag
    effects: tuple[Effect, ...]
    direction: Direction
    direction_spans: tuple[TextSpan, ...]
    retracted: bool
    retracted_basis: Literal["publication_type", "retraction_in"] | None
    non_english: bool
    stated_certainty: tuple[tuple[str, TextSpan], ...] = ()  # a review's own GRADE ratings, in text order
    review_weakness: TextSpan | None = None  # a review's words against its included studies ("quality varied widely")
    review_designs: TextSpan | None = None  # a review's non-randomized designs pooled ("six cohort studies")
    human_groups: tuple[tuple[str, TextSpan], ...] = ()  # every group studied ("healthy", "patients with …")
    unmeasured_confounding: TextSpan | None = None  # "residual confounding", "lack of information on lifestyle"

    @property
    def start_design(self) -> str:
        """The design GRADE starts from: a review pooling non-randomized designs starts as they do."""
        return "observational" if self.design == "systematic_review" and self.review_designs else self.design


# --- design -----------------------------------------------------------------------------------

def classify_design_from_text(title: str | None, abstract: str) -> tuple[Design, TextSpan | None]:
    """Design from title and abstract wording alone: (design, the cue that decided it), or
    ("unknown", None). The fallback of `read_record`, and what a benchmark compares with indexing."""
    return design_from_scan(TextScan(title, abstract))


def design_from_scan(s: TextScan) -> tuple[Design, TextSpan | None]:
    """Article-type cues first (they name the paper: editorial, systematic review, case report, review),
    then what was studied and how: animals when animal words outweigh human ones (lab animals are
    "randomly divided" too), then randomized > trial > cells > observational; then what the paper's
    people say about its design (one patient, a case; many, a series or cohort); weak cues last."""
    if hit := s.first("design", "opinion_title", "title"):
        return "opinion", hit
    if hit := systematic_review_cue(s):
        return "systematic_review", hit
    if hit := case_report_cue(s):
        return "case_report", hit
    if hit := review_cue(s):
        # "The literature is reviewed" closes many case reports: the patient decides.
        case = s.first("design", "case_report_mention") if "literature" in hit.text.lower() else None
        return ("case_report", case) if case else ("review", hit)
    if hit := s.first("design", "opinion", "abstract"):
        return "opinion", hit
    animal, human = s.weight(s.animal_spans), s.weight(s.human_spans)
    if s.animal_spans and animal > human:
        return "animal", s.animal_spans[0]
    trial, observational = s.hits("design", "trial"), s.hits("design", "observational")
    # A blinded comparison (with placebo, a crossover, another arm) is, in practice, a randomized trial.
    blinded_comparison = s.first("flags", "blinded") and (s.first("flags", "placebo") or s.first("design", "comparison"))
    if hit := s.first("design", "randomized") or blinded_comparison:
        return "rct", hit
    placebo = s.first("flags", "placebo")
    if placebo and s.human_spans and not observational:
        return "rct", placebo  # people given a drug or placebo: a controlled trial (randomization checked apart)
    if trial and s.weight(trial) > s.weight(observational):
        return "nonrandomized_trial", trial[0]
    in_vitro = s.hits("design", "in_vitro")
    if in_vitro and s.weight(in_vitro) >= s.weight(observational):
        return ("animal", s.animal_spans[0]) if s.animal_spans and not s.human_spans else ("in_vitro", in_vitro[0])
    if observational:
        return "observational", observational[0]
    if counted := design_from_count(s):  # how many people were studied says more than "the patient"
        return counted
    if hit := s.first("design", "case_report_mention"):
        return "case_report", hit
    clinical = s.first("design", "clinical")
    if (weak_review := s.first("design", "review_weak")) and talks_about_a_topic(s):
        return "review", weak_review  # discusses, reports no study of its own
    if not s.human_spans and not clinical and (hit := s.first("design", "laboratory")):
        return "animal", hit  # bench or physiology work naming no people: MEDLINE's "Animals" in practice
    if hit := s.first("design", "review_weak"):
        return "review", hit
    if hit := s.first("design", "observational_weak"):
        return "observational", hit
    if s.animal_spans:
        return "animal", s.animal_spans[0]
    if (s.human_spans or clinical) and (hit := s.first("design", "case_report_weak")):
        return "case_report", hit
    if (s.human_spans or clinical) and talks_about_a_topic(s):
        return "review", None  # reports no study of its own
    return "unknown", None


def talks_about_a_topic(s: TextScan) -> bool:
    """An abstract with no figure and no word of a study of its own ("we found", "results", "was
    measured") discusses a topic: a narrative review, whatever it discusses."""
    abstract = LIST_NUMBERS.sub(" ", s.texts["abstract"].raw)  # "1. …, 2. …" points are no figures
    return bool(abstract.strip()) and not re.search(r"\d", abstract) and not s.first("design", "own_study")


LIST_NUMBERS = re.compile(r"(?:^|(?<=\s))\(?\d{1,2}[.)](?=\s)|\b(?:figure|fig\.|table) \d+\b", re.IGNORECASE)


def review_cue(s: TextScan) -> TextSpan | None:
    """A review cue, unless the paper reviews its own series of people ("a review of 302 patients",
    "our experience is reviewed"): that is a retrospective study, read on."""
    hit = s.first("design", "review_title", "title") or s.first("design", "review")
    if hit is None and (weak := s.first("design", "review_title_weak", "title")) and not s.first("design", "own_study"):
        hit = weak
    if hit and "literature" not in hit.text.lower() and ((most_people(s) or 0) >= vocabulary()["design_counts"]["series_min"]
                                                          or s.first("design", "own_series_review")):
        return None
    return hit


def case_report_cue(s: TextScan) -> TextSpan | None:
    """A case-report cue, unless the abstract counts many people (then it is a series: "23 cases")."""
    hit = s.first("design", "case_report_title", "title") or s.first("design", "case_report")
    plural = hit is not None and re.search(r"\d|cases|patients|children|families|infants", hit.text.lower())
    if plural and hit.where == "abstract" and (most_people(s) or 0) >= vocabulary()["design_counts"]["series_min"]:
        return None  # "we report 23 cases": a series, read on; "a case of …" stays a case
    return hit


def most_people(s: TextScan) -> int | None:
    counts = [n for n, unit, _ in s.people_counts]
    return max(counts) if counts else None


def design_from_count(s: TextScan) -> tuple[Design, TextSpan] | None:
    """A paper about a handful of named people is a case report or small series; about many, with no
    design stated, an observational series. Thresholds live in the vocabulary's [design_counts]."""
    limits = vocabulary()["design_counts"]
    counts = [(n, span) for n, _, span in s.people_counts]
    if not counts:
        return None
    size, span = max(counts, key=lambda c: c[0])
    if size <= limits["case_series_max"]:
        return "case_report", span
    if size < limits["cohort_min"] and not s.first("design", "cohort_wording"):
        return "case_report", span  # a few dozen people described, not followed: a case series
    if size >= limits["series_min"]:
        return "observational", span
    return None


def systematic_review_cue(s: TextScan) -> TextSpan | None:
    """A methods cue anywhere, or a mention in the title, or two mentions (one may be background)."""
    mentions = s.hits("design", "systematic_review_mention")
    if mentions and (mentions[0].where == "title" or len(mentions) >= 2):
        return mentions[0]
    return s.first("design", "systematic_review")


def publication_type_design(record: PubmedRecord) -> str | None:
    """The first design in the vocabulary's precedence order that the record's publication types name
    ("trial" for a clinical trial of any phase)."""
    uis = {ui for ui, _ in record.publication_types if ui}
    names = {name.strip().lower() for _, name in record.publication_types}
    for ui, name, design in vocabulary()["publication_types"]:
        if ui in uis or name.lower() in names:
            return design
    return None


def mesh_names(record: PubmedRecord) -> set[str]:
    return {h.descriptor.strip() for h in record.mesh_headings}


def mesh_design(record: PubmedRecord) -> Design | None:
    """Check tags: Animals without Humans -> animal; a cell/tissue/organ culture descriptor -> in_vitro,
    unless a laboratory species is tagged too (cells and animals, as in xenograft work: animal)."""
    mesh, names = vocabulary()["mesh"], mesh_names(record)
    animals = mesh["animals"] in names
    if animals and mesh["humans"] not in names:
        return "animal"
    if names & set(mesh["in_vitro"]):
        return "animal" if animals and read_species(record, None) - {"human"} else "in_vitro"
    return None


def read_design(record: PubmedRecord, scan: TextScan,
                randomized: Flag) -> tuple[Design, DesignBasis, TextSpan | None]:
    """(design, basis, span). A clinical trial is an rct only when it is said to be randomized."""
    if typed := publication_type_design(record):
        if typed == "trial":
            span = randomized if isinstance(randomized, TextSpan) else None
            return ("rct" if randomized else "nonrandomized_trial"), "publication_type", span
        if typed == "review" and (cue := systematic_review_cue(scan)):
            return "systematic_review", "text", cue  # a Cochrane review is often typed "Review" only
        return cast(Design, typed), "publication_type", None
    if tagged := mesh_design(record):
        return tagged, "mesh", None
    design, span = design_from_scan(scan)
    return design, ("none" if design == "unknown" else "text"), span


# --- species and population ---------------------------------------------------------------------

def read_species(record: PubmedRecord, scan: TextScan | None) -> frozenset[str]:
    """Species from MeSH descriptors ("Rats, Wistar" -> rat) and, given a scan, from the text."""
    table = vocabulary()["mesh"]["species"]
    tagged = {table.get(n, table.get(n.split(",")[0])) for n in mesh_names(record)}
    named = {name for name, _ in scan.species} if scan else set()
    return frozenset({n for n in tagged if n} | named)


def read_population(design: Design, design_span: TextSpan | None, species: frozenset[str],
                    scan: TextScan) -> tuple[PopulationKind, TextSpan | None]:
    """Who or what was studied: cell/animal designs decide; otherwise the organisms named."""
    human_span = scan.human_spans[0] if scan.human_spans else None
    animal_span = scan.animal_spans[0] if scan.animal_spans else None
    if design == "in_vitro":
        return "in_vitro", design_span or scan.first("design", "in_vitro")
    if design == "animal":
        return "animal", design_span or animal_span
    human, animal = "human" in species, bool(species - {"human"})
    if design in HUMAN_DESIGNS:  # people unless only animals are named (a veterinary trial)
        return ("animal", animal_span) if animal and not human else ("human", human_span)
    if human and animal:
        return "mixed", human_span or animal_span
    if human or animal:
        return ("human", human_span) if human else ("animal", animal_span)
    return "unknown", None


def read_human_group(scan: TextScan) -> tuple[str | None, TextSpan | None]:
    """"healthy" or a patient-group phrase, whichever is stated first (title before abstract)."""
    groups = read_human_groups(scan)
    return groups[0] if groups else (None, None)


def read_human_groups(scan: TextScan) -> tuple[tuple[str, TextSpan], ...]:
    """Every group named, in order (title first): "healthy" or a patient-group phrase. A review or a
    trial of patients and healthy people has both; the title's groups come first when it names any."""
    c = cues()
    out: list[tuple[str, TextSpan]] = []
    for where, text in scan.texts.items():
        found = sorted([*c.healthy.finditer(text.low), *c.patient_group.finditer(text.low)], key=lambda m: m.start())
        for m in found:
            span = span_of(where, text, m)
            out.append(("healthy" if m.re is c.healthy else span.text, span))
    return tuple(out)


def read_review_designs(scan: TextScan) -> TextSpan | None:
    """The non-randomized designs a systematic review pooled ("six retrospective cohort studies", "a
    scoping review"), unless its title or methods restrict it to randomized trials."""
    if scan.first("design", "review_of_trials"):
        return None
    abstract = scan.texts["abstract"]
    start = results_start(abstract)
    return (scan.first("design", "review_nonrandomized", "title")
            or next((h for h in scan.hits("design", "review_nonrandomized", "abstract") if h.start >= start), None))


# --- sample size -------------------------------------------------------------------------------
def arm_total(abstract: Text, found: list[tuple[int, SampleUnit, TextSpan]]
              ) -> tuple[int, SampleUnit, TextSpan] | None:
    """Arms counted in one sentence ("ginkgo (n = 1545) or placebo (n = 1524)") add up to the total
    randomised: the largest count alone would be one arm."""
    by_sentence: dict[int, list[tuple[int, SampleUnit, TextSpan]]] = {}
    ends = [m.end() for m in re.finditer(r"[.;]\s", abstract.raw)]
    for c in found:
        if c[2].text.lower().lstrip().startswith("n"):
            key = sum(1 for e in ends if e <= c[2].start)
            by_sentence.setdefault(key, []).append(c)
    best = None
    for arms in by_sentence.values():
        if len(arms) >= 2 and len({a[1] for a in arms}) == 1:
            total = sum(a[0] for a in arms)
            first, last = arms[0][2], arms[-1][2]
            span = TextSpan("abstract", first.start, last.end, abstract.raw[first.start:last.end])
            if best is None or total > best[0]:
                best = (total, arms[0][1], span)
    return best


def read_sample_size(abstract: Text,
                     population: str) -> tuple[int | None, TextSpan | None, SampleUnit | None]:
    """The enrolment figure: the largest count in the population's unit (people, else animals, else other)."""
    found = [c for c in sample_candidates(abstract, population) if c[0] > 0]
    if arms := arm_total(abstract, found):
        found.append(arms)
    preferred: SampleUnit = "animals" if population == "animal" else "participants"
    for unit in (preferred, "participants", "animals", "other"):
        counts = [c for c in found if c[1] == unit]
        if counts:
            size, _, span = max(counts, key=lambda c: c[0])
            return size, span, unit
    return None, None, None


# --- flags, effects, direction --------------------------------------------------------------------

def read_flag(name: str, record: PubmedRecord, scan: TextScan) -> Flag:
    """The first text span stating the flag; else True when MeSH (or an RCT publication type) states it."""
    if hit := scan.first("flags", name):
        return hit
    if set(vocabulary()["mesh"].get(name, ())) & mesh_names(record):
        return True
    return True if name == "randomized" and publication_type_design(record) == "rct" else None


def read_retraction(record: PubmedRecord) -> tuple[bool, Literal["publication_type", "retraction_in"] | None]:
    """Retracted, and on what: the Retracted Publication type or a RetractionIn link."""
    if any(ui == "D016441" or n == "Retracted Publication" for ui, n in record.publication_types):
        return True, "publication_type"
    if any(c.ref_type == "RetractionIn" for c in record.comments_corrections):
        return True, "retraction_in"
    return False, None


def is_non_english(record: PubmedRecord) -> bool:
    """An "English Abstract" publication type (the paper is in another language), or no "eng" language."""
    english_abstract = vocabulary()["non_english_publication_type"]
    return (any(n == english_abstract for _, n in record.publication_types)
            or bool(record.languages) and "eng" not in record.languages)


# --- the record ----------------------------------------------------------------------------------

def read_record(record: PubmedRecord) -> RecordEvidence:
    """Everything the rubric needs from one record; spans point into record.title / record.abstract_text."""
    scan = TextScan(record.title, record.abstract_text)
    abstract = scan.texts["abstract"]
    flags = {name: read_flag(name, record, scan)
             for name in ("randomized", "blinded", "placebo", "controlled", "stopped_early", "dose_response")}
    design, basis, design_span = read_design(record, scan, flags["randomized"])
    species = read_species(record, scan)
    population, population_span = read_population(design, design_span, species, scan)
    groups = read_human_groups(scan) if population in {"human", "mixed"} else ()
    group, group_span = groups[0] if groups else (None, None)
    review = design == "systematic_review"
    size, size_span, unit = read_sample_size(abstract, population)
    direction, direction_spans = read_direction(abstract)
    retracted, retracted_basis = read_retraction(record)
    return RecordEvidence(
        pmid=record.pmid, design=design, design_basis=basis, design_span=design_span, species=species,
        population=population, population_span=population_span,
        human_group=group, human_group_span=group_span,
        sample_size=size, sample_size_span=size_span, sample_unit=unit,
        effects=read_effects(abstract), direction=direction, direction_spans=direction_spans,
        retracted=retracted, retracted_basis=retracted_basis, non_english=is_non_english(record),
        stated_certainty=read_stated_certainty(abstract), **flags,
        review_weakness=scan.first("flags", "review_weakness", "abstract") if review else None,
        review_designs=read_review_designs(scan) if review else None, human_groups=groups,
        unmeasured_confounding=scan.first("flags", "unmeasured_confounding", "abstract"),
    )
