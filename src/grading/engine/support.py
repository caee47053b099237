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

from grading.engine.claim_reading import ClaimReading, Figure
from grading.engine.figures import find_figure
from grading.engine.findings import (
    Finding,
    found_at,
    root,
    sentences,
    words,
)
from grading.engine.record_reading import RecordEvidence
from grading.engine.terms import stems, terms
from grading.models import PubmedRecord

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
    w = words()
    if m := w.human_scope.search(claim_text) or w.human_scope_for.search(claim_text) or w.human_group.search(claim_text):
        kind = "animals" if ev.population == "animal" else "cells or tissue"
        span = ev.population_span
        return Finding("not mentioned", "population",
                       f"the claim says {m.group(0)!r}; PMID {record.pmid} studied {kind}",
                       span.where if span else "none", span.start if span else None, span.end if span else None,
                       span.text if span else "")
    return None


def measured_words(text: str) -> frozenset[str]:
    """Stems of the words naming what was (not) measured; generic topic words count here."""
    return frozenset(root(w) for w in re.findall(r"[a-z]{4,}", text.lower())) - words().measure_words




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
    w = words()
    for name, pattern in w.properties.items():
        m = pattern.search(claim_text)
        if m is None or in_brackets(claim_text, m.start()):
            continue
        if name in w.properties_need_abstract and any(not r.abstract_text for r in records):
            continue
        if not any(pattern.search(f"{r.title or ''} {r.abstract_text}") for r in records):
            bare = [r.pmid for r in records if not r.abstract_text]
            note = f" (PubMed has no abstract for PMID {', '.join(map(str, bare))})" if bare else ""
            return Finding("not mentioned", "property",
                           f"the claim rests on {m.group(0)!r} ({name.replace('_', ' ')}); no cited record's title or "
                           f"abstract mentions it{note}")
    return None
