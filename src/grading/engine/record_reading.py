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
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Literal, cast

from grading.models import PubmedRecord
from grading.settings import bundled_path

Design = Literal["systematic_review", "rct", "nonrandomized_trial", "observational", "case_report", "animal",
                 "in_vitro", "review", "opinion", "unknown"]
DesignBasis = Literal["publication_type", "mesh", "text", "none"]
PopulationKind = Literal["human", "animal", "in_vitro", "mixed", "unknown"]
Direction = Literal["positive", "negative", "null", "mixed", "unknown"]
SampleUnit = Literal["participants", "animals", "other"]

HUMAN_DESIGNS = frozenset({"systematic_review", "rct", "nonrandomized_trial", "observational", "case_report"})
TITLE_WEIGHT = 3  # a species or cue in the title says more about the study than one in the abstract


@dataclass(frozen=True)
class TextSpan:
    """A stretch of `record.title` or `record.abstract_text`: text == source[start:end]."""

    where: Literal["title", "abstract"]
    start: int
    end: int
    text: str


Flag = TextSpan | bool | None


@dataclass(frozen=True)
class Effect:
    """A reported effect size: a fold change, a percentage change or a ratio (RR/OR/HR)."""

    kind: Literal["fold", "percent", "ratio"]
    value: float
    span: TextSpan


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


# --- vocabulary ------------------------------------------------------------------------------

# Punctuation read as a word break when deciding whether a cue could occur at all.
BREAKS = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~\u00a0\u00b1\u00d7"
                        + "".join(map(chr, range(0x2000, 0x2070)))})


@dataclass(frozen=True)
class Text:
    """A title or abstract as searched: `low` is lower-cased (same length, so offsets agree) and
    `spaced` has punctuation blanked, for the quick "could this cue occur here?" test."""

    raw: str
    low: str
    spaced: str


def prepare(text: str | None) -> Text:
    raw = text or ""
    low = raw.lower()
    if len(low) != len(raw):  # a few characters lower-case to two ("İ"): keep offsets aligned
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in raw)
    return Text(raw, low, " " + low.translate(BREAKS))


def literal_starts(phrase: str, limit: int = 64) -> list[str]:
    """The literal text every match of a regex phrase starts with, one per branch of a leading
    "(?:a|b)" group: "rats?" -> ["rat"], "(?:is|are) reviewed" -> ["is reviewed", "are reviewed"]."""
    out, i = "", 0
    if phrase.startswith(("(?<=", "(?<!")):  # a leading assertion consumes nothing
        i = phrase.find(")") + 1
    while i < len(phrase):
        ch = phrase[i]
        if phrase.startswith("(?:", i):
            close = phrase.find(")", i)
            inner, rest = phrase[i + 3:close], phrase[close + 1:]
            if close < 0 or "(" in inner or rest[:1] in ("?", "*", "{"):
                break
            starts = [out + s for alt in inner.split("|") for s in literal_starts(alt + rest, limit)]
            return starts if len(starts) <= limit else [out]
        if ch == "\\" and phrase[i + 1:i + 2] in (".", "-", "/"):
            out, i = out + phrase[i + 1], i + 2
            continue
        if ch in "?*{":
            return [out[:-1]]
        if ch in "\\[(.^$|+":
            break
        out, i = out + ch, i + 1
    return [out]


def triggers(phrases: list[str]) -> re.Pattern[str] | None:
    """Word starts one of which must be in a text's `spaced` form for the cue to match; None when
    some phrase has none (the cue must always be searched)."""
    starts = sorted({" " + s.lower().translate(BREAKS) for phrase in phrases for s in literal_starts(phrase)})
    if any(not s.strip() for s in starts):
        return None
    needed = [s for i, s in enumerate(starts) if not any(s.startswith(t) for t in starts[:i])]
    return re.compile("|".join(map(re.escape, needed)))


def alternation(phrases: list[str]) -> str:
    return "|".join(sorted(phrases, key=len, reverse=True))  # longest first: "case reports" before "case"


def whole_words(phrases: list[str]) -> re.Pattern[str]:
    """Lower-cased phrases as one pattern that matches whole words of lower-cased text."""
    return re.compile(rf"(?<!\w)(?:{alternation(phrases).lower()})(?!\w)")


@dataclass(frozen=True)
class Cue:
    """A compiled cue list plus the phrases that cancel its hits (`<name>_not` in the TOML)."""

    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None = None
    starts: re.Pattern[str] | None = None

    @classmethod
    def of(cls, phrases: list[str], exclude: list[str] | None = None) -> Cue:
        return cls(whole_words(phrases), whole_words(exclude) if exclude else None, triggers(phrases))

    def hits(self, text: Text, pos: int = 0) -> list[re.Match[str]]:
        """Matches in `text.low` (offsets valid in `text.raw`), minus the excluded ones."""
        if self.starts is not None and not self.starts.search(text.spaced):
            return []
        found = list(self.pattern.finditer(text.low, pos))
        if found and self.exclude is not None:
            blocked = [(m.start(), m.end()) for m in self.exclude.finditer(text.low)]
            found = [m for m in found if not any(s < m.end() and m.start() < e for s, e in blocked)]
        return found


def cue_table(table: dict) -> dict[str, Cue]:
    return {name: Cue.of(words, table.get(f"{name}_not"))
            for name, words in table.items() if not name.endswith("_not") and isinstance(words, list)}


@cache
def vocabulary() -> dict:
    """The raw TOML (data/evidence_vocabulary.toml)."""
    with open(bundled_path("evidence_vocabulary.toml"), "rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Cues:
    """Every pattern the reader uses, compiled once. All but `n_equals` and `ratio` (which are
    case-sensitive) run on lower-cased text."""

    design: dict[str, Cue]
    flags: dict[str, Cue]
    direction: dict[str, Cue]
    species: Cue  # one group per species (m.lastgroup -> species_names), reagents excluded
    species_names: dict[str, str]
    animal: Cue
    healthy: re.Pattern[str]
    human_ambiguous: re.Pattern[str]
    patient_group: re.Pattern[str]
    count: re.Pattern[str]
    n_equals: re.Pattern[str]
    fold: re.Pattern[str]
    percent: re.Pattern[str]
    ratio: re.Pattern[str]
    change_word: re.Pattern[str]
    number_words: dict[str, int]


@cache
def cues() -> Cues:
    v = vocabulary()
    pop, sample = v["population"], v["sample"]
    names = {f"s{i}": name for i, name in enumerate(v["species"])}
    species = "|".join(f"(?P<{g}>{alternation(v['species'][n]).lower()})" for g, n in names.items())
    numbers = v["numbers"]
    tens = alternation([w for w, n in numbers.items() if n >= 20])
    units = alternation([w for w, n in numbers.items() if n < 10])
    below_hundred = rf"(?:(?:{tens})(?:[- ](?:{units}))?|{alternation(list(numbers))})"
    number_word = rf"(?:(?:{units}) hundred(?:(?: and)? {below_hundred})?|{below_hundred})"
    count = rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+|{number_word})(?![.,]?\d)"
    between = rf"(?:\s+(?!(?:{alternation(sample['not_between']).lower()})(?![\w/-]))[a-z][\w/-]*){{0,3}}"
    unit_groups = "|".join(f"(?P<{k}>{alternation(sample[k])})" for k in ("participants", "animals", "other"))
    return Cues(
        design=cue_table(v["design"]), flags=cue_table(v["flags"]), direction=cue_table(v["direction"]),
        species=Cue(re.compile(rf"(?<!\w)(?:{species})(?!\w)"), whole_words(pop["animal_not"] + pop["human_not"]),
                    triggers([w for words in v["species"].values() for w in words])),
        species_names=names,
        animal=Cue.of(pop["animal"], pop["animal_not"]), healthy=whole_words(pop["healthy"]),
        human_ambiguous=re.compile(rf"(?:{alternation(pop['human_ambiguous']).lower()})"),
        patient_group=re.compile(  # "patients with ischemic stroke", up to a comma or a verb
            rf"(?<!\w)(?:{alternation(pop['patient_nouns'])}) (?:{alternation(pop['group_links'])}) "
            rf"(?:an? )?[\w'-]+(?:,? [\w'-]+){{0,5}}?"
            rf"(?=\s*(?:[,.;:()]|$)|\s(?:{alternation(pop['group_ends'])})\b)"),
        count=re.compile(rf"(?<![\w.,/±=<>+-]){count}{between}\s+(?:{unit_groups})(?!\w)"),
        n_equals=re.compile(  # "n = 1,203", "n = 13 671" (a space or thin space between thousands)
            r"(?<!\w)[nN]\s*=\s*(?P<num>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u2009\u202f]\d{3})+(?!\d)|\d+)(?![.,]?\d)(?!\s*%)"),
        fold=re.compile(rf"(?<![\w.,])(?P<num>\d+(?:\.\d+)?|{number_word})\s*[-–‐]?\s*fold"
                        rf"(?:\s+(?:{alternation(v['effects']['fold_nouns'])}))?(?!\w)"),
        percent=re.compile(r"(?:(?<![\w.%)])(?P<sign>[+\-−–])(?=\d))?(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s*"
                           r"(?:%|percent(?!\w)|per cent(?!\w))"),
        ratio=re.compile(  # "OR = 2.3", "HR 0.75", "odds ratio [OR] of 1.8", "rate ratio to 2.3"
            r"(?<!\w)(?:a?(?:OR|RR|HR|IRR|SHR)s?|(?i:(?:adjusted |pooled )?(?:odds|hazard|risk|rate|"
            r"incidence rate|prevalence) ratios?|relative risks?))(?:\s*[\[(]\s*a?(?:OR|RR|HR)\s*[\])])?"
            r"(?:\s*(?:[,:=≈]|of|was|were|is|to))?\s*(?P<num>\d+(?:\.\d+)?)(?![\d%])"),
        change_word=whole_words(v["effects"]["change_words"]),
        number_words=numbers,
    )


# --- scanning title and abstract ---------------------------------------------------------------

def span_of(where: Literal["title", "abstract"], text: Text, m: re.Match[str]) -> TextSpan:
    return TextSpan(where, m.start(), m.end(), text.raw[m.start():m.end()])


class TextScan:
    """Cue hits in one title and abstract, each cue list searched on first use only."""

    def __init__(self, title: str | None, abstract: str) -> None:
        self.texts: dict[Literal["title", "abstract"], Text] = {"title": prepare(title),
                                                                "abstract": prepare(abstract)}
        self._hits: dict[tuple[str, str, str | None], list[TextSpan]] = {}

    def hits(self, table: str, name: str, where: str | None = None) -> list[TextSpan]:
        """All hits of cue `name` from cue table `table` (in `where`, or both), title hits first."""
        key = (table, name, where)
        if key not in self._hits:
            cue = getattr(cues(), table)[name]
            self._hits[key] = [span_of(w, t, m) for w, t in self.texts.items() if where in (None, w)
                               for m in cue.hits(t)]
        return self._hits[key]

    def first(self, table: str, name: str, where: str | None = None) -> TextSpan | None:
        found = self.hits(table, name, where)
        return found[0] if found else None

    def weight(self, spans: list[TextSpan]) -> int:
        return sum(TITLE_WEIGHT if s.where == "title" else 1 for s in spans)

    @cached_property
    def species(self) -> list[tuple[str, TextSpan]]:
        """(species name, span) for every organism named, reagents ("bovine serum albumin") left out."""
        c = cues()
        return [(c.species_names[m.lastgroup or ""], span_of(where, text, m))
                for where, text in self.texts.items() for m in c.species.hits(text)]

    @cached_property
    def people_counts(self) -> list[tuple[int, SampleUnit, TextSpan]]:
        """Counts of people in the abstract ("24 healthy volunteers", "eleven subjects")."""
        return [c for c in sample_candidates(self.texts["abstract"], "human") if c[1] == "participants" and c[0] > 0]

    @cached_property
    def animal_spans(self) -> list[TextSpan]:
        generic = [span_of(w, t, m) for w, t in self.texts.items() for m in cues().animal.hits(t)]
        return [s for name, s in self.species if name != "human"] + generic

    @cached_property
    def human_spans(self) -> list[TextSpan]:
        """People named; where an animal is named too, only words that cannot mean an animal count."""
        spans = [s for name, s in self.species if name == "human"]
        if any(name != "human" for name, _ in self.species):
            ambiguous = cues().human_ambiguous
            spans = [s for s in spans if not ambiguous.fullmatch(s.text.lower())]
        return spans


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
    c = cues()
    for where, text in scan.texts.items():
        found = [m for m in (c.healthy.search(text.low), c.patient_group.search(text.low)) if m]
        if found:
            m = min(found, key=lambda m: m.start())
            span = span_of(where, text, m)
            return ("healthy" if m.re is c.healthy else span.text), span
    return None, None


# --- sample size -------------------------------------------------------------------------------

def parse_count(text: str) -> int:
    """ "1,203" -> 1203, "eleven" -> 11, "twenty-four" -> 24, "one hundred and twelve" -> 112."""
    if text[0].isdigit():
        return int(re.sub(r"[,\s\u2009\u202f]", "", text))
    words = cues().number_words
    hundreds, _, rest = text.lower().partition(" hundred")
    if rest or text.lower().endswith(" hundred"):
        return 100 * words[hundreds.strip()] + sum(words[w] for w in re.split(r"[- ]", rest) if w and w != "and")
    return sum(words[w] for w in re.split(r"[- ]", text.lower()) if w)


YEAR_BEFORE = re.compile(r"(?:\bin|since|from|during|until|by)\s+$")


def sample_candidates(abstract: Text, population: str) -> Iterator[tuple[int, SampleUnit, TextSpan]]:
    """(count, unit, span) for "24 healthy volunteers", "eleven subjects", "n = 24"."""
    c = cues()
    for m in c.count.finditer(abstract.low):
        if re.fullmatch(r"(?:19|20)\d\d", m["num"]) and YEAR_BEFORE.search(abstract.low, 0, m.start()):
            continue  # "in 2006 patients were…": a year
        yield parse_count(m["num"]), cast(SampleUnit, m.lastgroup), span_of("abstract", abstract, m)
    units: dict[str, SampleUnit] = {"animal": "animals", "in_vitro": "other"}
    unit = units.get(population, "participants")
    for m in c.n_equals.finditer(abstract.raw):
        yield parse_count(m["num"]), unit, span_of("abstract", abstract, m)


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


def read_effects(abstract: Text) -> tuple[Effect, ...]:
    """Fold changes, percentage changes (not shares, doses or CIs) and ratios, in text order."""
    c, out = cues(), []
    if "fold" in abstract.low:
        for m in c.fold.finditer(abstract.low):
            value = float(m["num"]) if m["num"][0].isdigit() else float(parse_count(m["num"]))
            out.append(Effect("fold", value, span_of("abstract", abstract, m)))
    if "%" in abstract.low or "cent" in abstract.low:
        for m in c.percent.finditer(abstract.low):
            if is_percent_change(abstract.low, m):
                value = float(m["num"]) * (-1 if m["sign"] and m["sign"] != "+" else 1)
                out.append(Effect("percent", value, span_of("abstract", abstract, m)))
    for m in c.ratio.finditer(abstract.raw):
        if 0 < float(m["num"]) < 100:
            out.append(Effect("ratio", float(m["num"]), span_of("abstract", abstract, m)))
    return tuple(sorted(out, key=lambda e: e.span.start))


def is_percent_change(low: str, m: re.Match[str]) -> bool:
    """A signed figure, or one next to a change word in the same sentence; never "95% CI" or "50% of"."""
    after = low[m.end():m.end() + 25]
    if re.match(r"\s*(?:ci\b|confidence|of\b|credible)", after):
        return False
    if m["sign"]:
        return True
    before = re.split(r"[.;]\s", low[max(0, m.start() - 40):m.start()])[-1]
    return bool(cues().change_word.search(before) or cues().change_word.match(after.lstrip()))


def conclusion_start(abstract: Text) -> int:
    """Where the conclusion begins: its label or phrase, else the last two sentences."""
    found = cues().direction["conclusion"].hits(abstract)
    if found:
        return found[-1].start()
    ends = [m.end() for m in re.finditer(r"[.!?]\s+(?=[A-Z])", abstract.raw)]
    return ends[-2] if len(ends) >= 2 else 0


NEGATOR = re.compile(r"(?<!\w)(?:not|no|failed|fails|without|neither|nor|lack|lacking|lacks)(?!\w)")
CLAUSE_BREAK = re.compile(r"[.;!?]\s|,\s(?:but|whereas|while|although|though|however)\s|\bbut\b|[a-z ]{4,}:\s")
P_VALUE = re.compile(r"(?<!\w)p\s*(?P<op>[=<>≤≥]|&lt;)\s*(?P<num>0?\.\d+|1(?:\.0+)?)", re.IGNORECASE)


def negated(low: str, start: int) -> bool:
    """A positive cue under a negation earlier in its clause ("did not demonstrate that X was
    beneficial", "lacking effective treatments"): it says no effect was found."""
    breaks = [m.end() for m in CLAUSE_BREAK.finditer(low, max(0, start - 160), start)]
    clause = low[breaks[-1] if breaks else max(0, start - 160):start]
    return bool(NEGATOR.search(clause))


def results_start(abstract: Text) -> int:
    """Past the background and objective: where the methods or results begin (labelled abstracts)."""
    m = re.search(r"(?:^|\s)(?:methods?|design|results?|main results|patients and methods|findings)(?: and \w+)?:\s",
                  abstract.low)
    return m.start() if m else 0


def significance(abstract: Text, start: int) -> tuple[str | None, list[TextSpan]]:
    """"null" when every p value reported from `start` on is 0.05 or more (the results found nothing
    significant), None otherwise."""
    found = list(P_VALUE.finditer(abstract.raw, start))
    if not found:
        return None, []
    values = [(m["op"], float(m["num"])) for m in found]
    if all(op in ("=", ">", "≥") and v >= 0.05 for op, v in values):
        return "null", [span_of("abstract", abstract, m) for m in found[:3]]
    return None, []


def read_direction(abstract: Text) -> tuple[Direction, tuple[TextSpan, ...]]:
    """Effect found (positive), none (null), the opposite/harm (negative), or several (mixed).

    Read in the conclusion first; if it has no cue, in the methods and results (the background
    speaks of other work), where only non-significant p values also mean no effect. A positive cue
    under a negation in its clause counts as null."""
    cue = cues().direction
    for start in (conclusion_start(abstract), results_start(abstract)):
        found = {k: cue[k].hits(abstract, start) for k in ("positive", "null", "negative")}
        negated_hits = [m for m in found["positive"] if negated(abstract.low, m.start())]
        found["positive"] = [m for m in found["positive"] if m not in negated_hits]
        found["null"] = sorted(found["null"] + negated_hits, key=lambda m: m.start())
        kinds = [k for k, v in found.items() if v]
        if kinds:
            direction = cast(Direction, kinds[0] if len(kinds) == 1 else "mixed")
            return direction, tuple(span_of("abstract", abstract, m) for k in kinds for m in found[k][:3])
        kind, spans = significance(abstract, start)
        if kind:
            return cast(Direction, kind), tuple(spans)
    return "unknown", ()


@cache
def stated_certainty_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"(?<!\w){p}(?!\w)") for p in vocabulary()["stated_certainty"]["patterns"])


def read_stated_certainty(abstract: Text) -> tuple[tuple[str, TextSpan], ...]:
    """Every certainty rating the abstract states for its evidence ("low-certainty evidence"), in order."""
    if "certainty" not in abstract.low and "quality" not in abstract.low:
        return ()
    found = [(m["level"], span_of("abstract", abstract, m)) for p in stated_certainty_patterns()
             for m in p.finditer(abstract.low)]
    return tuple(sorted(found, key=lambda f: f[1].start))


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
    group, group_span = read_human_group(scan) if population in {"human", "mixed"} else (None, None)
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
    )
