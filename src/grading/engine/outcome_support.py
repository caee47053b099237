"""The support check per outcome: does the record report the claim's outcome, and what it found for
it? The claim's effect against the record's conclusion (`check_direction`), against a conclusion or
results clause about that very outcome (`check_outcome_null`), a comparison against no difference
between groups, rare harms against frequent adverse events, "every participant" against a subgroup
finding, and a subset of a review's studies. Words live in data/evidence_vocabulary.toml [support].
"""

from __future__ import annotations

import re

from grading.engine.claim_reading import ClaimReading
from grading.engine.findings import (
    CLAIM_NEGATION,
    Finding,
    found_at,
    read_sentences,
    sentence_at,
    sentences,
    words,
)
from grading.engine.record_reading import RecordEvidence
from grading.engine.terms import stem, stems, terms
from grading.models import PubmedRecord


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
    findings_from, read = read_sentences(record.abstract_text)  # cached per record
    for start, _, s, _ in read:
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
    """The sentence's clauses, its bracketed asides (figures, CIs: "IL-6 (0.35; 95% CI …) increased")
    left out so their semicolons split nothing."""
    while (bare := re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", sentence)) != sentence:
        sentence = bare
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
    findings_from, read = read_sentences(abstract)
    for start, _, sentence, _ in read:
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
        # a percentage beside a placebo or control arm may be that arm's: only "in all / most" counts there
        arms = re.search(r"\b(?:placebo|control)", sentence, re.IGNORECASE)
        if w.common_share.search(sentence) or (not arms and any(float(p) >= 25 for p in PERCENT.findall(sentence))):
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


def check_comparison(reading: ClaimReading, claim_text: str, record: PubmedRecord) -> Finding | None:
    """"X beat standard care for depression", "works better than Y": a record that found no difference
    between the groups contradicts the comparison, in a sentence that names the claim's outcome or in
    its conclusions (a null on another outcome, "no difference in sleep", leaves a pain claim alone)."""
    w = words()
    abstract = record.abstract_text
    if not w.claims_superior.search(claim_text) or CLAIM_NEGATION.search(claim_text) or not abstract:
        return None
    wanted, marks = claim_outcome(reading, claim_text)
    concluded = CONCLUSIONS_LABEL.search(abstract)
    abbrs = abbreviations(abstract)
    for start, _, sentence in sentences(abstract):
        if not w.no_difference.search(sentence):
            continue
        about_it = names_outcome(sentence, wanted, marks, abbrs) or bool(wanted & stems(terms(sentence)))
        if about_it or (concluded and start >= concluded.start()):
            return Finding("contradicts", "finding", f"the claim says it beat its comparator; PMID {record.pmid} "
                           "found no difference between the groups", "abstract", start, start + len(sentence), sentence)
    return None


OPPOSITE = {"down": "up", "up": "down", "faster": "slower", "slower": "faster"}


def polarity(text: str) -> str | None:
    """Which way the first change word of `text` goes: down, up, faster, slower; None if none."""
    hits = [(m.start(), name) for name, p in words().polarity.items() if (m := p.search(text))]
    return min(hits)[1] if hits else None


def check_opposite(reading: ClaimReading, claim_text: str, record: PubmedRecord) -> Finding | None:
    """The claim's verb moves its outcome one way ("lowers IL-6", "speeds up recovery"); the record's
    results, conclusions or title move the same outcome only the other way ("IL-6 increased",
    "slows heart rate recovery"). Read clause by clause: a placebo or control arm's change is not the
    intervention's, and one clause going the claim's way is enough to leave it alone."""
    verb = reading.direction_span
    abstract = record.abstract_text
    if reading.direction != "effect" or verb is None or CLAIM_NEGATION.search(claim_text) or not abstract:
        return None
    mine = polarity(claim_text[verb.start:verb.end + 4])
    if mine is None:
        return None
    wanted, marks = claim_outcome(reading, claim_text)
    marks = marks | markers(claim_text)
    abbrs = abbreviations(abstract)
    findings_from, read = read_sentences(abstract)
    title = record.title or ""
    against = None
    for start, sentence in [(-1, title), *((st, sent) for st, _, sent, _ in read)]:
        if (0 <= start < findings_from) or BACKGROUND_SENTENCE.search(sentence):
            continue
        for clause in clauses(sentence):
            if CLAIM_NEGATION.search(clause) or ARM.search(clause) or not names_outcome(clause, wanted, marks, abbrs):
                continue
            if GROUPS_COMPARED.search(clause) and not names_agent(clause, reading.substance_terms):
                continue  # "TC had a higher load compared with the IF groups": whose change, unclear
            way = polarity_near(clause, wanted, marks)
            if way == mine:
                return None  # the record found the claim's direction
            if way == OPPOSITE[mine] and against is None:
                against = (start, sentence)
    if against is None:
        return None
    start, sentence = against
    where, at = ("title", 0) if start < 0 else ("abstract", start)
    return Finding("contradicts", "finding", f"the claim's outcome goes {mine}; PMID {record.pmid} reports it going "
                   f"{OPPOSITE[mine]}", where, at, at + len(sentence), sentence)


TOKEN = re.compile(r"[\w-]+")


def polarity_near(clause: str, wanted: frozenset[str], marks: frozenset[str], reach: int = 5) -> str | None:
    """The way the change word nearest the outcome's words goes, within `reach` words of them: in a
    list of outcomes ("higher response rates, fewer relapses and lower recurrence") each gets its own."""
    tokens = [(m.start(), m.group(0).lower()) for m in TOKEN.finditer(clause)]
    at = [i for i, (_, t) in enumerate(tokens) if t in marks or stem(t) in wanted or stem(t.rstrip("s")) in wanted]
    if not at:
        return None
    best: tuple[int, str] | None = None
    for name, pattern in words().polarity.items():
        for m in pattern.finditer(clause):
            k = next((i for i, (pos, _) in enumerate(tokens) if pos >= m.start()), len(tokens))
            gap = min(abs(k - i) for i in at)
            if gap <= reach and (best is None or gap < best[0]):
                best = (gap, name)
    return best[1] if best else None


# A clause about the placebo or control arm's own change ("with placebo, FFM decreased"), not a
# comparison against it ("increased with X versus placebo").
def check_denied(reading: ClaimReading, claim_text: str, record: PubmedRecord) -> Finding | None:
    """The claim denies an effect ("do not raise the risk of gestational diabetes"); the record's
    conclusion (or title) reports that very outcome changed ("associated with increased GDM risk")."""
    abstract = record.abstract_text
    if reading.direction_span is None or not CLAIM_NEGATION.search(claim_text) or not abstract:
        return None
    wanted, marks = claim_outcome(reading, claim_text)
    if not (wanted or marks):
        return None
    concluded = CONCLUSIONS_LABEL.search(abstract)
    abbrs = abbreviations(abstract)
    change = words().change_words | {"associated", "higher", "lower", "impaired", "compromised", "compromises"}
    candidates = [(-1, record.title or "")] + [(st, s) for st, _, s in sentences(abstract)
                                               if concluded and st >= concluded.start()]
    for start, sentence in candidates:
        low = sentence.lower()
        if CLAIM_NEGATION.search(low) or not names_outcome(sentence, wanted, marks, abbrs):
            continue
        if set(re.findall(r"[a-z-]+", low)) & change:
            where, at = ("title", 0) if start < 0 else ("abstract", start)
            return Finding("contradicts", "finding", f"the claim denies an effect; PMID {record.pmid} concludes it "
                           "found one", where, at, at + len(sentence), sentence)
    return None


GROUPS_COMPARED = re.compile(r"\b(?:compared (?:with|to)|than|versus|vs\.?)\b[^.]*\bgroups?\b|\bgroups?\b[^.]*\b(?:versus|vs\.?)\b",
                             re.IGNORECASE)


def names_agent(clause: str, substance: frozenset[str]) -> bool:
    """The clause names the claim's substance, or an abbreviation of it ("CAF group" for caffeine)."""
    found = terms(clause)
    if substance & found:
        return True
    short = {t.lower() for t in re.findall(r"\b[A-Z]{2,5}\b", clause)}
    return any(name.startswith(a) for name in substance for a in short if len(a) >= 2)


ARM = re.compile(r"(?<!versus )(?<!vs )(?<!vs\. )(?<!than )(?<!with )(?<!to )\b(?:placebo|control|sham)\b"
                 r"|\b(?:with|on|in the|receiving) (?:placebo|control|sham)\b(?! (?:group|arm)s? (?:than|and))", re.IGNORECASE)


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
