"""What the support check is made of: a `Finding` (why a record does not fully support a claim, and
the abstract text it rests on), the support vocabulary (data/evidence_vocabulary.toml [support],
loaded once) and an abstract's sentences. Used by grading.engine.support (the checks of one claim
against one record), grading.engine.outcome_support (per-outcome checks) and the GRADE rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from grading.engine.record_findings import results_start
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
    properties_need_abstract: frozenset[str]
    measure_words: frozenset[str]
    clinical_relevance: re.Pattern[str]
    outcome_null: re.Pattern[str]
    claims_superior: re.Pattern[str]
    no_difference: re.Pattern[str]
    claims_within_group: re.Pattern[str]
    claims_clinical_study: re.Pattern[str]
    human_scope_for: re.Pattern[str]
    human_group: re.Pattern[str]
    polarity: dict[str, re.Pattern[str]]
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
        properties_need_abstract=frozenset(s["properties_need_abstract"]),
        measure_words=frozenset(root(w) for w in s["measure_words"]),
        clinical_relevance=any_of(s["clinical_relevance"]),
        outcome_null=any_of(s["outcome_null"]),
        claims_superior=any_of(s["claims_superior"]), no_difference=any_of(s["no_difference"]),
        claims_within_group=any_of(s["claims_within_group"]),
        claims_clinical_study=any_of(s["claims_clinical_study"]), human_scope_for=any_of(s["human_scope_for"]),
        human_group=any_of(s["human_group"]),
        polarity={name: any_of(phrases) for name, phrases in s["polarity"].items()},
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

CLAIM_NEGATION = re.compile(r"(?<!\w)(?:not|no|never|neither|nor|failed|fails|dispels?|without|ineffective)(?!\w)",
                            re.IGNORECASE)

def root(word: str) -> str:
    """Stem until nothing changes: "functional" -> "function" -> "funct", as "function" -> "funct"."""
    prev = ""
    while word != prev:
        prev, word = word, stem(word)
    return word
