"""Does the cited paper say it? The support check of one (claim, record) pair.

Each check reads the claim and one record's title and abstract and returns a `Finding` or None: a
label (`contradicts`, `not mentioned`, `partly`), the aspect that decides it (design, phase,
endpoint, figure, outcome, population, finding) and the abstract text it rests on. The rules in
grading.engine.rules.support call them; the engine turns findings into one `SupportCheck` per record
(models.SupportCheck) and a claim none of whose records supports it into `not-supported`.

Wording lives in data/evidence_vocabulary.toml [support]; nothing here names a substance or outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from grading.engine.claim_reading import ClaimReading, Figure
from grading.engine.figures import find_figure
from grading.engine.record_findings import results_start
from grading.engine.record_reading import RecordEvidence
from grading.engine.record_text import prepare, vocabulary
from grading.engine.terms import stem, stems, terms
from grading.models import PubmedRecord


@dataclass(frozen=True)
class Finding:
    """Why a record does not (fully) support a claim, and the record text it rests on."""

    label: str  # contradicts | not mentioned | partly
    aspect: str
    explanation: str
    where: str = "none"  # abstract | title | none
    start: int | None = None
    end: int | None = None
    text: str = ""


@dataclass(frozen=True)
class SupportWords:
    phase: re.Pattern[str]
    claims_randomized: re.Pattern[str]
    claims_blinded: re.Pattern[str]
    claims_meta_analysis: re.Pattern[str]
    record_meta_analysis: re.Pattern[str]
    record_open_label: re.Pattern[str]
    claim_primary: re.Pattern[str]
    claim_secondary: re.Pattern[str]
    record_primary: re.Pattern[str]
    change_words: frozenset[str]
    study_count: re.Pattern[str]
    human_scope: re.Pattern[str]
    clinical_wording: re.Pattern[str]
    harms: re.Pattern[str]
    subgroup: re.Pattern[str]
    small_study_effects: re.Pattern[str]
    heterogeneity: re.Pattern[str]
    harm_stop: re.Pattern[str]
    generalisation: re.Pattern[str]
    not_assessed: tuple[re.Pattern[str], ...]
    study_subset: re.Pattern[str]
    properties: dict[str, re.Pattern[str]]
    measure_words: frozenset[str]
    clinical_relevance: re.Pattern[str]
    outcome_null: re.Pattern[str]
    claims_superior: re.Pattern[str]
    no_difference: re.Pattern[str]
    claims_within_group: re.Pattern[str]
    claims_clinical_study: re.Pattern[str]
    claims_rare_harms: re.Pattern[str]
    claims_everyone: re.Pattern[str]
    subgroup_only: re.Pattern[str]
    record_harms: re.Pattern[str]
    common_share: re.Pattern[str]
    not_measured: re.Pattern[str]
    numbers: dict[str, int]


def any_of(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + r")(?![\w])", re.IGNORECASE)


@cache
def words() -> SupportWords:
    v = vocabulary()
    s = v["support"]
    number_words = "|".join(sorted(v["numbers"], key=len, reverse=True))
    return SupportWords(
        phase=re.compile(s["phase"], re.IGNORECASE),
        claims_randomized=any_of(s["claims_randomized"]), claims_blinded=any_of(s["claims_blinded"]),
        claims_meta_analysis=any_of(s["claims_meta_analysis"]), record_meta_analysis=any_of(s["record_meta_analysis"]),
        record_open_label=any_of(s["record_open_label"]),
        claim_primary=re.compile(s["claim_primary"], re.IGNORECASE),
        claim_secondary=re.compile(s["claim_secondary"], re.IGNORECASE),
        record_primary=re.compile(s["record_primary"], re.IGNORECASE),
        change_words=frozenset(s["change_words"]),
        study_count=re.compile(rf"(?<![\w.,])(?P<n>\d+|{number_words})\s+(?:[\w-]+\s+)?{s['study_nouns']}(?!\w)",
                               re.IGNORECASE),
        human_scope=any_of(s["human_scope"]), clinical_wording=any_of(s["clinical_wording"]),
        harms=any_of(s["harms"]), subgroup=any_of(s["subgroup"]),
        small_study_effects=any_of(s["small_study_effects"]), heterogeneity=any_of(s["heterogeneity"]),
        harm_stop=any_of(s["harm_stop"]), generalisation=any_of(s["generalisation"]),
        not_assessed=tuple(re.compile(p, re.IGNORECASE) for p in s["not_assessed"]),
        study_subset=re.compile(s["study_subset"].format(numbers=number_words, study_nouns=s["study_nouns"]),
                                re.IGNORECASE),
        properties={name: any_of(phrases) for name, phrases in s["properties"].items()},
        measure_words=frozenset(root(w) for w in s["measure_words"]),
        clinical_relevance=any_of(s["clinical_relevance"]),
        outcome_null=any_of(s["outcome_null"]),
        claims_superior=any_of(s["claims_superior"]), no_difference=any_of(s["no_difference"]),
        claims_within_group=any_of(s["claims_within_group"]),
        claims_clinical_study=any_of(s["claims_clinical_study"]),
        claims_rare_harms=any_of(s["claims_rare_harms"]),
        claims_everyone=any_of(s["claims_everyone"]), subgroup_only=any_of(s["subgroup_only"]),
        record_harms=re.compile(r"(?<![\w-])(?:" + "|".join(s["record_harms"]) + r")(?![\w])"),  # "AEs": case matters
        common_share=any_of(s["common_share"]),
        not_measured=any_of(s["not_measured"]),
        numbers=dict(v["numbers"]),
    )


# --- sentences ----------------------------------------------------------------------------------

SENTENCE = re.compile(r"(?:[^.!?]|[.!?](?=\d))+(?:[.!?]+|$)")  # "51.4" does not end a sentence


def sentences(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in SENTENCE.finditer(text):
        raw = m.group(0)
        lead = len(raw) - len(raw.lstrip())
        if raw.strip():
            out.append((m.start() + lead, m.end(), raw.strip()))
    return out


def sentence_at(text: str, pos: int) -> tuple[int, int, str]:
    """The sentence holding `pos` (or the last one starting before it)."""
    found = (0, len(text), text.strip())
    for start, end, s in sentences(text):
        if start > pos:
            break
        found = (start, end, s)
    start, end, s = found
    return start, start + len(s), s


FINDINGS_LABEL = re.compile(r"(?:^|\s)(?:RESULTS?|MAIN RESULTS|FINDINGS|Results?|Findings):\s")


def best_sentence(claim_text: str, record: PubmedRecord) -> tuple[int, int, str] | None:
    """The abstract sentence sharing the most word stems with the claim, among the results and
    conclusions (the background reports others' work): what the label rests on."""
    wanted = stems(terms(claim_text))
    findings_from, read = read_sentences(record.abstract_text)
    scored = [(start >= findings_from, len(wanted & sentence_stems), -start, start, end, s)
              for start, end, s, sentence_stems in read]
    scored = [x for x in scored if x[1] > 0]
    if not scored:
        return None
    _, _, _, start, end, s = max(scored)
    return start, end, s


@lru_cache(maxsize=4096)
def read_sentences(abstract: str) -> tuple[int, tuple[tuple[int, int, str, frozenset[str]], ...]]:
    """Where an abstract's findings start, and each sentence with its word stems: once per record,
    not once per claim citing it."""
    labelled = FINDINGS_LABEL.search(abstract)
    findings_from = labelled.start() if labelled else results_start(prepare(abstract))
    return findings_from, tuple((start, end, s, stems(terms(s))) for start, end, s in sentences(abstract))


def found_at(record: PubmedRecord, m: re.Match[str], label: str, aspect: str, explanation: str) -> Finding:
    start, end, s = sentence_at(record.abstract_text, m.start())
    return Finding(label, aspect, explanation, "abstract", start, end, s)


# --- the checks ---------------------------------------------------------------------------------

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def phase_number(text: str) -> int:
    return ROMAN.get(text.lower()) or int(text)


def record_phase(record: PubmedRecord) -> tuple[int, re.Match[str] | None] | None:
    for _, name in record.publication_types:
        if m := re.search(r"Phase (IV|I{1,3})", name):
            return ROMAN[m.group(1).lower()], None
    if m := words().phase.search(record.abstract_text):
        return phase_number(m["n"]), m
    return None


def check_design(claim_text: str, record: PubmedRecord, ev: RecordEvidence) -> Finding | None:
    """The design the claim attributes to the study against the record's: phase, randomization,
    blinding, meta-analysis."""
    w = words()
    if (m := w.phase.search(claim_text)) and (theirs := record_phase(record)):
        claimed, (actual, hit) = phase_number(m["n"]), theirs
        if claimed != actual:
            why = f"the claim calls it a phase {claimed} study; PMID {record.pmid} is phase {actual}"
            return found_at(record, hit, "contradicts", "phase", why) if hit else Finding("contradicts", "phase", why)
    if (m := w.claims_clinical_study.search(claim_text)) and ev.population in ("animal", "in_vitro"):
        kind = "animals" if ev.population == "animal" else "cells or tissue"
        span = ev.population_span
        return Finding("contradicts", "design", f"the claim calls it {m.group(0)!r}; PMID {record.pmid} studied {kind}",
                       span.where if span else "none", span.start if span else None, span.end if span else None,
                       span.text if span else "")
    if not record.abstract_text:
        return None
    claims_trial = w.claims_randomized.search(claim_text) or w.claims_blinded.search(claim_text)
    hit = w.record_open_label.search(record.abstract_text)
    if claims_trial and (ev.design in {"nonrandomized_trial", "observational"} or hit):
        why = f"the claim describes a randomized or blinded trial; PMID {record.pmid} is not one"
        return found_at(record, hit, "contradicts", "design", why) if hit else Finding("contradicts", "design", why)
    if w.claims_meta_analysis.search(claim_text) and ev.design == "systematic_review" \
            and not w.record_meta_analysis.search(f"{record.title or ''} {record.abstract_text}"):
        return Finding("contradicts", "design",
                       f"the claim describes a meta-analysis; PMID {record.pmid} is a systematic review that pooled nothing")
    return None


def share(a: str, b: str) -> float:
    mine = stems(terms(a))
    return len(mine & stems(terms(b))) / len(mine) if mine else 0.0


def check_endpoint(claim_text: str, record: PubmedRecord) -> Finding | None:
    """"Primary endpoint: X" must be the record's primary endpoint; a "secondary" one must not be it."""
    w = words()
    theirs = w.record_primary.search(record.abstract_text)
    if theirs is None:
        return None
    if (m := w.claim_primary.search(claim_text)) and share(m["x"], theirs["x"]) < 0.5:
        return found_at(record, theirs, "contradicts", "endpoint",
                        f"the claim's primary endpoint is {m['x'].strip()[:60]!r}; PMID {record.pmid}'s is "
                        f"{theirs['x'].strip()[:60]!r}")
    if m := w.claim_secondary.search(claim_text):
        for item in re.split(r",\s*|\s+and\s+", m["x"]):
            if len(terms(item)) >= 2 and share(item, theirs["x"]) >= 0.5:
                return found_at(record, theirs, "contradicts", "endpoint",
                                f"the claim calls {item.strip()[:60]!r} secondary; it was PMID {record.pmid}'s "
                                "primary endpoint")
    return None


def in_brackets(text: str, pos: int) -> bool:
    return text.rfind("(", 0, pos) > text.rfind(")", 0, pos)


def central_figures(reading: ClaimReading, claim_text: str) -> list[Figure]:
    """Fold and percentage figures the claim asserts as its finding: the size of a change ("a 43%
    increase", "upregulated by 2.5-fold"), or the whole content of a claim with no effect verb
    ("rate: 6.5% vs 1.7%"); a figure in brackets is a detail, flagged by the numbers check only."""
    w = words()
    out = []
    for f in reading.figures:
        if f.kind not in ("fold", "percent") or in_brackets(claim_text, f.span.start):
            continue
        near = claim_text[max(0, f.span.start - 20):f.span.end + 25].lower()
        if {t for t in re.findall(r"[a-z-]+", near)} & w.change_words or reading.outcome is None:
            out.append(f)
    return out


def check_figures(reading: ClaimReading, claim_text: str, records: list[PubmedRecord]) -> Finding | None:
    """A central figure no linked abstract states: the finding is not in the paper (invented, or from
    elsewhere). Only when every record has an abstract to look in."""
    if not records or any(not r.abstract_text for r in records):
        return None
    for f in central_figures(reading, claim_text):
        if not any(find_figure(f, r.abstract_text) for r in records):
            return Finding("not mentioned", "figure",
                           f"the claim's finding {f.span.text!r} is in none of the cited abstracts")
    return None


def study_counts(text: str) -> list[tuple[int, str]]:
    w = words()
    out = []
    for m in w.study_count.finditer(text):
        n = m["n"].lower()
        out.append((int(n) if n.isdigit() else w.numbers.get(n, -1), m.group(0)))
    return out


def numbers_in(text: str) -> set[int]:
    w = words()
    found = {int(x) for x in re.findall(r"(?<![\d.,])\d+(?![\d])", text.replace(",", ""))}
    return found | {n for word, n in w.numbers.items() if re.search(rf"(?<!\w){word}(?!\w)", text, re.IGNORECASE)}


def check_study_counts(claim_text: str, record: PubmedRecord) -> Finding | None:
    """Counts of trials or studies the claim gives must be the review's: a split the abstract gives
    differently ("11 placebo trials" where it says 18) contradicts it."""
    claimed = study_counts(claim_text)
    theirs = study_counts(record.abstract_text)
    if not claimed or not theirs:
        return None
    present = numbers_in(record.abstract_text)
    missing = [(n, phrase) for n, phrase in claimed if n not in present]
    if len(missing) == len(claimed) and sum(n for n, _ in missing) in present:
        return None  # a split of a total the abstract gives, into parts it does not give: a detail
    if missing:
        missing = [phrase for _, phrase in missing]  # type: ignore[misc]
        given = ", ".join(p for _, p in theirs[:5])
        m = words().study_count.search(record.abstract_text)
        return found_at(record, m, "contradicts", "figure",
                        f"the claim counts {', '.join(missing)}; PMID {record.pmid} gives {given}")
    return None


def check_population(reading: ClaimReading, claim_text: str, ev: RecordEvidence, record: PubmedRecord) -> Finding | None:
    """A claim scoped explicitly to people ("in humans") on animal or cell work names a population
    the paper did not study."""
    if ev.population not in ("animal", "in_vitro"):
        return None
    if m := words().human_scope.search(claim_text):
        kind = "animals" if ev.population == "animal" else "cells or tissue"
        span = ev.population_span
        return Finding("not mentioned", "population",
                       f"the claim says {m.group(0)!r}; PMID {record.pmid} studied {kind}",
                       span.where if span else "none", span.start if span else None, span.end if span else None,
                       span.text if span else "")
    return None


CLAIM_NEGATION = re.compile(r"(?<!\w)(?:not|no|never|neither|nor|failed|fails|dispels?|without|ineffective)(?!\w)",
                            re.IGNORECASE)


def reports_outcome(reading: ClaimReading, claim_text: str, record: PubmedRecord) -> bool:
    """Some abstract sentence names the claim's outcome with an unnegated change ("IGF-1 increased
    by 51 ng/ml"): the record found the claim's effect, whatever its conclusion says of others."""
    # The claim's own outcome words only: a substance named in a results sentence about another outcome
    # ("fatigue decreased in the group given X") is no report of the claim's outcome. In a passive claim
    # ("IGF-1 levels were increased") the outcome is the subject, read as the claim's first noun phrase.
    wanted, marks = claim_outcome(reading, claim_text)
    if not (wanted or marks):
        return False
    change = words().change_words
    # the results, not the background (others' work) nor the methods (definitions: "injury was defined
    # as ALT three times higher")
    labelled = FINDINGS_LABEL.search(record.abstract_text)
    findings_from = labelled.start() if labelled else results_start(prepare(record.abstract_text))
    for start, _, s in sentences(record.abstract_text):
        low = s.lower()
        if start < findings_from or DEFINITION.search(low):
            continue
        named = bool(wanted & stems(terms(s))) or any(re.search(rf"(?<![\w-]){re.escape(k)}(?![\w])", low) for k in marks)
        if named and set(re.findall(r"[a-z-]+", low)) & change and not CLAIM_NEGATION.search(low):
            return True
    return False


def claim_outcome(reading: ClaimReading, claim_text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The stems and named measures ("IL-37") of the claim's outcome; in a passive claim ("IGF-1 levels
    were increased") the outcome is the subject, read as the claim's first noun phrase."""
    outcome_text = reading.outcome.text if reading.outcome else ""
    wanted, marks = stems(reading.outcome_terms), markers(outcome_text)
    verb = reading.direction_span
    if not (wanted or marks) and verb is not None and PASSIVE.search(claim_text[:verb.start]) and reading.substances:
        subject = " ".join(m.text for m in reading.substances)
        wanted, marks = stems(terms(subject)), markers(subject)
    return wanted, marks


ABBREVIATION = re.compile(r"((?:[A-Za-z][\w-]* ){1,6})\((?P<abbr>[A-Z]{2,6})\)")


def abbreviations(abstract: str) -> dict[str, str]:
    """"maximal flow rate (MFR)" -> {"mfr": "maximal flow rate"}: the words whose initials spell it."""
    out = {}
    for m in ABBREVIATION.finditer(abstract):
        abbr, words_before = m["abbr"], m.group(1).split()
        n = len(abbr)
        if len(words_before) >= n and "".join(w[0] for w in words_before[-n:]).upper() == abbr:
            out[abbr.lower()] = " ".join(words_before[-n:])
    return out


def names_outcome(sentence: str, wanted: frozenset[str], marks: frozenset[str], abbrs: dict[str, str]) -> bool:
    """The sentence names the claim's outcome: half its words (abbreviations spelled out), or a named measure."""
    low = sentence.lower()
    if any(re.search(rf"(?<![\w-]){re.escape(k)}(?![\w])", low) for k in marks):
        return True
    spelled = " ".join(v for k, v in abbrs.items() if re.search(rf"(?<![\w-]){k}(?![\w])", low))
    found = wanted & stems(terms(f"{sentence} {spelled}"))
    # two of its words (one word if that is all it has): "symptoms" alone names no particular outcome
    return len(found) >= min(2, len(wanted)) > 0


# Where one clause of a sentence ends and another, perhaps with the opposite finding, begins.
CLAUSE = re.compile(r";\s|,\s(?=(?:while|whereas|but|although|though|however|yet|there is|there was)\b)|"
                    r"\b(?:while|whereas|but|although)\s", re.IGNORECASE)


def clauses(sentence: str) -> list[str]:
    return [c for c in CLAUSE.split(sentence) if c and c.strip()]


CONCLUSIONS_LABEL = re.compile(r"(?:^|\s)(?:CONCLUSIONS?|Conclusions?|INTERPRETATION|AUTHORS' CONCLUSIONS):\s")


def check_outcome_null(reading: ClaimReading, claim_text: str, record: PubmedRecord) -> Finding | None:
    """Per outcome: the claim asserts an effect on an outcome the record says it found no effect on,
    or too little evidence for ("the evidence is insufficient for X", "X did not differ"), whatever
    the record's overall direction. A conclusion's verdict on the outcome decides; a results sentence
    decides only when no results sentence reports the outcome changed."""
    if reading.direction != "effect" or CLAIM_NEGATION.search(claim_text) or not record.abstract_text \
            or within_groups(claim_text, record):
        return None
    wanted, marks = claim_outcome(reading, claim_text)
    if not (wanted or marks):
        return None
    abstract, null = record.abstract_text, words().outcome_null
    abbrs = abbreviations(abstract)
    concluded = CONCLUSIONS_LABEL.search(abstract)
    labelled = FINDINGS_LABEL.search(abstract)
    findings_from = labelled.start() if labelled else results_start(prepare(abstract))
    for start, end, sentence in sentences(abstract):
        if start < findings_from or not any(null.search(c) and names_outcome(c, wanted, marks, abbrs)
                                            for c in clauses(sentence)):
            continue
        if (concluded and start >= concluded.start()) or not reports_outcome(reading, claim_text, record):
            return Finding("contradicts", "finding",
                           f"the claim asserts an effect on its outcome; PMID {record.pmid} finds none, or too little "
                           "evidence, for that outcome", "abstract", start, start + len(sentence), sentence)
    return None


def within_groups(claim_text: str, record: PubmedRecord) -> bool:
    """The claim reports the change within the groups ("improved within both groups"), and so does
    the record: its finding of no difference between the groups does not contradict that."""
    return bool(words().claims_within_group.search(claim_text)) and \
        bool(re.search(r"within[- ]groups?", record.abstract_text, re.IGNORECASE))


PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")


def check_harm_frequency(claim_text: str, record: PubmedRecord) -> Finding | None:
    """"Side effects are rare and mild": a record sentence finding adverse events in all, in most, or in
    a quarter or more of those treated contradicts it."""
    w = words()
    if not w.claims_rare_harms.search(claim_text) or not record.abstract_text:
        return None
    for start, end, sentence in sentences(record.abstract_text):
        if not w.record_harms.search(sentence) or CLAIM_NEGATION.search(sentence):
            continue
        if w.common_share.search(sentence) or any(float(p) >= 25 for p in PERCENT.findall(sentence)):
            return Finding("contradicts", "finding",
                           f"the claim says harms are rare; PMID {record.pmid} reports them in many of those treated",
                           "abstract", start, start + len(sentence), sentence)
    return None


# A sentence of an unlabelled abstract that frames the study (others' work, its aim), not its finding.
BACKGROUND_SENTENCE = re.compile(r"\b(?:has|have) (?:been )?(?:shown|reported|demonstrated|suggested)\b|\bprevious(?:ly)?\b|"
                                 r"\bremains? (?:unclear|inconsistent|unknown)\b|\b(?:the|our) aim\b|\bwe (?:aimed|sought)\b|"
                                 r"\bto (?:evaluate|assess|determine|investigate|examine)\b", re.IGNORECASE)


def check_everyone(reading: ClaimReading, claim_text: str, record: PubmedRecord) -> Finding | None:
    """"Helped every participant lose weight": when every results sentence naming the outcome restricts
    it to a subgroup ("in those who presented high misalignment"), the record contradicts "every"."""
    w = words()
    if not (m := w.claims_everyone.search(claim_text)) or not record.abstract_text:
        return None
    wanted = stems(reading.outcome_terms) - stems(terms(m.group(0)))
    if not wanted:
        return None
    changed = w.change_words | {"reduced", "improved", "increased", "lost", "gained"}
    naming = [(st, en, s) for st, en, s in sentences(record.abstract_text) if not BACKGROUND_SENTENCE.search(s)
              and wanted & stems(terms(s)) and set(re.findall(r"[a-z-]+", s.lower())) & changed]
    if naming and all(w.subgroup_only.search(s) for _, _, s in naming):
        start, _, sentence = naming[0]
        return Finding("contradicts", "population",
                       f"the claim says {m.group(0)!r}; PMID {record.pmid} found it only in a subgroup",
                       "abstract", start, start + len(sentence), sentence)
    return None


def check_comparison(claim_text: str, record: PubmedRecord) -> Finding | None:
    """"X beat standard care", "works better than Y": a record that found no difference between the
    groups contradicts the comparison, whatever else improved."""
    w = words()
    if not w.claims_superior.search(claim_text) or CLAIM_NEGATION.search(claim_text) or not record.abstract_text:
        return None
    if m := w.no_difference.search(record.abstract_text):
        return found_at(record, m, "contradicts", "finding",
                        f"the claim says it beat its comparator; PMID {record.pmid} found no difference between the groups")
    return None


PASSIVE = re.compile(r"\b(?:was|were|is|are|been|be|being)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
MARKER = re.compile(r"(?<![\w-])[A-Za-z]{1,6}-?\d{1,4}[A-Za-z]?(?![\w])")


def markers(text: str) -> frozenset[str]:
    """Named measures that terms() cannot keep ("IL-37", "IGF-1", "CD73"), lower-cased."""
    return frozenset(m.group(0).lower() for m in MARKER.finditer(text))


# A methods sentence that says how an outcome was measured or defined, not what was found.
DEFINITION = re.compile(r"\b(?:(?:was|were) (?:defined|measured|assessed|monitored|recorded|evaluated|calculated)|"
                        r"defined as)\b")


def check_direction(reading: ClaimReading, claim_text: str, ev: RecordEvidence, record: PubmedRecord) -> Finding | None:
    """The claim asserts an effect; the record's conclusion found none, or the opposite. A claim that
    itself denies the effect ("was not found to improve", "dispel the notion that") agrees with it."""
    if reading.direction != "effect" or ev.direction not in ("null", "negative") or CLAIM_NEGATION.search(claim_text):
        return None
    if reports_outcome(reading, claim_text, record) or subset_finding(claim_text, record) is not None:
        return None
    if within_groups(claim_text, record):
        return None
    said = "no effect" if ev.direction == "null" else "the opposite effect or harm"
    span = ev.direction_spans[0] if ev.direction_spans else None
    if span is not None and span.where == "abstract":
        start, end, s = sentence_at(record.abstract_text, span.start)
        return Finding("contradicts", "finding", f"the claim asserts an effect; PMID {record.pmid} reports {said}",
                       "abstract", start, end, s)
    return Finding("contradicts", "finding", f"the claim asserts an effect; PMID {record.pmid} reports {said}")


def count_value(word: str) -> int:
    return int(word) if word.isdigit() else words().numbers.get(word.lower(), -1)


def subset_finding(claim_text: str, record: PubmedRecord) -> Finding | None:
    """The claim reports what a subset of a review's studies found ("in 2 of the studies …") and the
    abstract gives the same count of its studies: the record says it, but only of those studies
    (`partly`); its own pooled conclusion may say otherwise (inconsistency rates that)."""
    w = words()
    mine = w.study_subset.search(claim_text)
    if mine is None or not record.abstract_text:
        return None
    wanted = count_value(mine["n"])
    for theirs in w.study_subset.finditer(record.abstract_text):
        if count_value(theirs["n"]) == wanted:
            return found_at(record, theirs, "partly", "finding",
                            f"the claim reports {mine.group(0)!r}; PMID {record.pmid} says so of only that subset "
                            "of its studies")
    return None


def measured_words(text: str) -> frozenset[str]:
    """Stems of the words naming what was (not) measured; generic topic words count here."""
    return frozenset(root(w) for w in re.findall(r"[a-z]{4,}", text.lower())) - words().measure_words


def root(word: str) -> str:
    """Stem until nothing changes: "functional" -> "function" -> "funct", as "function" -> "funct"."""
    prev = ""
    while word != prev:
        prev, word = word, stem(word)
    return word


def check_not_assessed(claim_text: str, record: PubmedRecord) -> Finding | None:
    """"Did not assess X": a record whose abstract names X among what it measured contradicts it."""
    if not record.abstract_text:
        return None
    for pattern in words().not_assessed:
        if (m := pattern.search(claim_text)) is None:
            continue
        wanted = measured_words(m["x"])
        if not wanted:
            return None
        # what the abstract names as measured: its sentences that do not say "not measured" or "for later"
        measured = [(st, en, sent) for st, en, sent in sentences(record.abstract_text)
                    if not words().not_measured.search(sent) and measured_words(sent) & wanted]
        found = wanted & frozenset().union(*(measured_words(sent) for _, _, sent in measured))
        if len(found) * 2 >= len(wanted) and (len(found) >= 2 or len(wanted) == 1):
            start, end, sentence = max(measured, key=lambda x: len(measured_words(x[2]) & wanted))
            named = sorted({w for w in re.findall(r"[A-Za-z]{4,}", sentence) if root(w.lower()) in found})
            return Finding("contradicts", "endpoint",
                           f"the claim says the study did not assess {m['x'].strip()[:60]!r}; PMID {record.pmid} "
                           f"names {', '.join(named)} among what it measured", "abstract", start, end, sentence)
        return None
    return None


def check_property(reading: ClaimReading, claim_text: str, records: list[PubmedRecord]) -> Finding | None:
    """A claim that asserts no effect but attributes a property to its subject ("have an unpleasant
    taste", "is a benign and self-limiting diarrhea") rests on that property: when no linked record
    names it in its title or abstract, none supports the claim."""
    if reading.outcome is not None or not records:
        return None
    for name, pattern in words().properties.items():
        m = pattern.search(claim_text)
        if m is None or in_brackets(claim_text, m.start()):
            continue
        if not any(pattern.search(f"{r.title or ''} {r.abstract_text}") for r in records):
            bare = [r.pmid for r in records if not r.abstract_text]
            note = f" (PubMed has no abstract for PMID {', '.join(map(str, bare))})" if bare else ""
            return Finding("not mentioned", "property",
                           f"the claim rests on {m.group(0)!r} ({name.replace('_', ' ')}); no cited record's title or "
                           f"abstract mentions it{note}")
    return None
