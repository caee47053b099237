"""Claim extraction: the sentences of a document that assert something checkable.

A claim is a sentence, or a subjectless bullet / stat-card fragment, that asserts an
effect, a mechanism, a statistic, a safety, dosing, pharmacokinetic or regulatory fact.
Steps: citation markers become opaque spans -> lines (hard-wrapped prose rejoined) ->
sentences -> spans trimmed of bullets and trailing markers -> filters (reference entries,
questions, calls to action, disclaimers, packaging, site chrome, headings, no predicate,
no cue) -> claim type and population. The words live in data/claim_vocabulary.toml.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from grading.documents.population import read_population, stored_population
from grading.documents.spans import Spans, opaque_spans
from grading.documents.structure import document_vocabulary, page_structure
from grading.models import CitationMention, Claim, ClaimType, Population, Source

TERMINAL_RE = re.compile(r"[.!?]+[\"'”’)\]]*")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
LIST_NUMBER_RE = re.compile(r"\d{1,3}[.)]\s+")
# Leading characters kept: they open a quotation, an aside or a comparison ("<5% of ...").
KEEP_LEAD = set("\"“‘'([<>≤≥~±")
TRAIL_SEP = set(".,;:!?*†‡-–—")
# What may sit between markers inside a trailing bracket: "(Smith 2019; see also Lee 2020)".
BRACKET_FILLER_RE = re.compile(r"[\s,;&]*(?:(?:and|see|see also|e\.g\.,?|cf\.)[\s,;&]*)*")


@dataclass(frozen=True)
class Vocabulary:
    """Compiled vocabulary: cue regexes by claim type, filters, word lists."""

    precedence: tuple[str, ...]
    cues: dict[str, re.Pattern]
    non_claim: re.Pattern  # matched against lower-cased text, like cues
    byline: re.Pattern  # case-sensitive
    reference_entry: re.Pattern  # case-sensitive
    quantified_effect: re.Pattern
    labelled_quantity: re.Pattern
    result_labels: re.Pattern  # lower-cased label of a labelled result ("impact")
    study_description: re.Pattern  # a verbless line describing a study's design or result
    study_report: re.Pattern  # a study subject then a reporting verb: the fallback claim type
    imperatives: frozenset[str]  # "take": a dosing instruction's verb
    inflected: frozenset[str]  # verb forms that are always a predicate
    ambiguous: frozenset[str]  # verb forms that are a predicate in a sentence, not in a heading
    stems: frozenset[str]  # bare verb stems: a predicate only after a subject
    bare_subjects: frozenset[str]
    determiners: frozenset[str]  # "the changes": an -s form after one is a plural noun
    negations: frozenset[str]
    predicate_phrases: re.Pattern
    question_starts: frozenset[str]
    abbreviations: frozenset[str]
    glued_labels: tuple[str, ...]
    minor_words: frozenset[str]


def _any_of(patterns: Sequence[str], flags: int = 0) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def _folded(patterns: Sequence[str]) -> re.Pattern:
    """Case-insensitive patterns, for matching against lower-cased text: re.IGNORECASE
    makes these long alternations about four times slower."""
    out = []
    for p in patterns:
        chars, escaped = [], False
        for ch in p:  # lower-case literals, never an escape such as \S or \D
            chars.append(ch if escaped else ch.lower())
            escaped = ch == "\\" and not escaped
        out.append("".join(chars))
    # One shared \b in front of the word-initial alternatives: an alternation with a few
    # unanchored members is otherwise tried in full at every position (10x slower).
    anchored = [p[2:] for p in out if p.startswith("\\b")]
    rest = [p for p in out if not p.startswith("\\b")]
    return _any_of(([r"\b(?:" + "|".join(f"(?:{p})" for p in anchored) + ")"] if anchored else []) + rest)


def _inflections(stem: str) -> set[str]:
    """Third-person and past forms of a regular verb stem ("reduce" -> reduces, reduced)."""
    forms = {stem + "s", stem + "d" if stem.endswith("e") else stem + "ed"}
    if stem.endswith(("s", "sh", "ch", "x", "z")):
        forms.add(stem + "es")
    if stem.endswith("y") and stem[-2:-1] not in set("aeiou"):
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied"}
    return forms


@cache
def vocabulary() -> Vocabulary:
    """Load and compile data/claim_vocabulary.toml (once, on first use)."""
    with (resources.files("grading") / "data" / "claim_vocabulary.toml").open("rb") as fh:
        data = tomllib.load(fh)
    pred, nc, seg = data["predicate"], data["non_claims"], data["segmentation"]
    stems = frozenset(pred["verbs"].split())
    inflected = {f for s in stems for f in _inflections(s)}
    inflected |= set(pred["irregular"].split()) | set(pred["modals"].split()) | set(pred["negations"].split())
    ambiguous = frozenset(pred["ambiguous"].split())
    return Vocabulary(
        precedence=tuple(data["claim_types"]["precedence"]),
        cues={t: _folded(ps) for t, ps in data["claim_types"]["cues"].items()},
        non_claim=_folded([p for key in ("calls_to_action", "disclaimers", "product_handling", "site_chrome")
                           for p in nc[key]]),
        byline=_any_of(nc["byline"]),
        reference_entry=_any_of(nc["reference_entry"]),
        quantified_effect=_folded([data["fragments"]["quantified_effect"]]),
        labelled_quantity=re.compile(data["fragments"]["labelled_quantity"]),
        result_labels=_folded([data["fragments"]["result_labels"]]),
        study_description=_folded(data["fragments"]["study_description"]),
        study_report=_folded([data["fragments"]["study_report"]]),
        imperatives=frozenset(pred["imperatives"].split()),
        inflected=frozenset(inflected),
        ambiguous=ambiguous,
        stems=stems,
        bare_subjects=frozenset(pred["bare_subjects"].split()),
        determiners=frozenset(pred["determiners"].split()),
        negations=frozenset(pred["negations"].split()),
        predicate_phrases=_folded(pred["phrases"]),
        question_starts=frozenset(nc["question_starts"].split()),
        abbreviations=frozenset(seg["abbreviations"].split()),
        glued_labels=tuple(sorted(seg["glued_labels"], key=len, reverse=True)),
        minor_words=frozenset(seg["minor_words"].split()),
    )


# --- segmentation ---------------------------------------------------------------------------


def blocks(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Non-blank lines from `start` as (start, end); a hard-wrapped line is joined to the next
    when it lacks end punctuation and the next line starts lower-case."""
    cur: tuple[int, int] | None = None
    pos = start
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        line = (pos, end - 1 if end > pos and text[end - 1] == "\r" else end)
        body = text[line[0]:line[1]]
        if not body.strip():
            if cur:
                yield cur
            cur = None
        elif cur and text[cur[0]:cur[1]].rstrip()[-1:] not in ".!?:" and body.lstrip()[:1].islower():
            cur = (cur[0], line[1])
        else:
            if cur:
                yield cur
            cur = line
        if nl < 0:
            break
        pos = nl + 1
    if cur:
        yield cur


def _abbreviation_before(text: str, dot: int, floor: int, markers: Spans, voc: Vocabulary) -> bool:
    if dot > floor and markers.containing(dot - 1):  # a period right after a marker ends a sentence
        return False
    k = dot
    while k > floor and (text[k - 1].isalnum() or text[k - 1] == "."):
        k -= 1
    token = text[k:dot + 1]
    if token.lower() in voc.abbreviations:
        return True
    if token[:-1].isdigit() and not text[floor:k].strip():  # "1. Smith J, ..." numbers a list item
        return True
    # A single capital is an initial ("J. Smith"), not the end of a sentence.
    return len(token) == 2 and token[0].isupper() and (k == floor or text[k - 1].isspace())


def _boundary(text: str, m: re.Match, floor: int, end: int, markers: Spans, voc: Vocabulary) -> int | None:
    """Where the sentence ends if the terminal punctuation `m` ends it, else None."""
    p = m.end()
    while (span := markers.containing(p)) and p < end:  # markers glued after the period go with it
        p = span[1]
    if p >= end:
        return end
    c = text[p]
    if c.isspace():
        q = p
        while q < end and text[q].isspace():
            q += 1
        if q >= end:
            return end
        nxt = text[q]
        if not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'([•*-–" or markers.containing(q)):
            return None
        return None if _abbreviation_before(text, m.start(), floor, markers, voc) else p
    # Glued to the next sentence ("function.A study"): lower-case word, capital, then a
    # lower-case letter or a space. Decimals, initials and domain names fail the test.
    before = text[max(floor, m.start() - 2):m.start()]
    glued = (len(before) == 2 and (before.isalpha() and before.islower() or before[-1] == ")")
             and c.isupper() and p + 1 < end and (text[p + 1].islower() or text[p + 1] == " "))
    if glued and m.end() == p and not _abbreviation_before(text, m.start(), floor, markers, voc):
        return p
    return None


def sentences(text: str, start: int, end: int, markers: Spans, voc: Vocabulary) -> Iterator[tuple[int, int]]:
    """Raw sentence spans inside one block; never split inside a citation marker."""
    cur = start
    for m in TERMINAL_RE.finditer(text, start, end):
        if m.start() < cur or markers.containing(m.start()):
            continue
        b = _boundary(text, m, start, end, markers, voc)
        if b is not None and b > cur:
            yield cur, b
            cur = b
    if cur < end:
        yield cur, end


def trim(text: str, start: int, end: int, markers: Spans, voc: Vocabulary) -> tuple[int, int]:
    """Drop leading bullets, symbols, glued page labels and markers; drop trailing citation
    markers with the punctuation around them (a sentence without one keeps its period)."""
    s, e = start, end
    while s < e:
        ch = text[s]
        if ch.isspace() or not (ch.isalnum() or ch in KEEP_LEAD):
            s += 1
        elif (span := markers.containing(s)) is not None:
            s = span[1]
        elif m := LIST_NUMBER_RE.match(text, s, e):
            s = m.end()
        elif label := next((lb for lb in voc.glued_labels if text.startswith(lb, s)
                            and s + len(lb) < e and text[s + len(lb)].isupper()), None):
            s += len(label)
        else:
            break
    stripped = False
    while True:
        e2 = e
        while e2 > s and (text[e2 - 1].isspace() or text[e2 - 1] in TRAIL_SEP):
            e2 -= 1
        span = markers.containing(e2 - 1) if e2 > s else None
        if span and span[0] >= s:
            e, stripped = span[0], True
            continue
        opener = _citation_bracket(text, s, e2, markers)
        if opener is not None:
            e, stripped = opener, True
            continue
        break
    if stripped:
        return s, max(s, e2)
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:-–—"):
        e -= 1
    return s, e


def _citation_bracket(text: str, s: int, e: int, markers: Spans) -> int | None:
    """The start of a trailing "(...)" or "[...]" that holds only citation markers."""
    if e <= s or text[e - 1] not in ")]":
        return None
    close, open_ = text[e - 1], "(" if text[e - 1] == ")" else "["
    depth, k = 0, e - 1
    while k >= s:
        depth += text[k] == close
        depth -= text[k] == open_
        if depth == 0:
            break
        k -= 1
    if k < s:
        return None
    inner = markers.within(k + 1, e - 1)
    if not inner:
        return None
    rest, pos = [], k + 1
    for a, b in inner:
        rest.append(text[pos:a])
        pos = b
    rest.append(text[pos:e - 1])
    return k if BRACKET_FILLER_RE.fullmatch("".join(rest)) else None


# --- is it a claim, and of what kind --------------------------------------------------------


def has_predicate(words: Sequence[str], text: str, voc: Vocabulary) -> bool:
    """A finite verb, modal, copula or negation: what separates an assertion from a label."""
    lowered = [w.lower().rstrip("'’") for w in words]
    for i, word in enumerate(lowered):
        for part in word.split("-"):
            if (part in voc.inflected or part in voc.ambiguous) and not (
                    part.endswith("s") and i and lowered[i - 1] in voc.determiners):
                return True
            # A bare stem is a verb only after a plural or pronoun subject and before an object.
            if part in voc.stems and 0 < i < len(lowered) - 1:
                prev = lowered[i - 1]
                if prev in voc.bare_subjects or (prev.endswith("s") and not prev.endswith("ss")):
                    return True
    return bool(voc.predicate_phrases.search(text.lower()))


def is_heading(words: Sequence[str], voc: Vocabulary) -> bool:
    """Title Case without a negation ("Study on Stroke Recovery", "Serum Levels")."""
    content = [w for w in words if w.lower() not in voc.minor_words]
    return (len(content) >= 2 and all(w[0].isupper() for w in content)
            and not any(w.lower() in voc.negations for w in words))


def classify_type(text: str, voc: Vocabulary | None = None) -> ClaimType | None:
    """The first claim type in the vocabulary's precedence whose cues occur; None if none."""
    voc = voc or vocabulary()
    folded = text.lower()
    for kind in voc.precedence:
        if voc.cues[kind].search(folded):
            return kind  # type: ignore[return-value]
    return None


def classify_population(text: str) -> Population:
    """human | animal | unspecified, from the population the text names (grading.documents.population:
    the same reader the engine uses)."""
    return stored_population(read_population(text))


def asserting_heading(words: Sequence[str], voc: Vocabulary) -> bool:
    """A Title Case heading with a finite verb after its subject asserts ("X Boosts Healing")."""
    return words[0].lower() not in voc.question_starts and any(
        w.lower() in voc.inflected and w.lower() not in voc.negations for w in words[1:])


def assess(text: str, voc: Vocabulary | None = None, in_findings: bool = False) -> ClaimType | None:
    """The claim type of one trimmed sentence or fragment, or None when it asserts nothing
    checkable (a label, heading, question, call to action, disclaimer, packaging note).
    `in_findings`: the line stands under a findings label ("Key Findings"), where a
    verbless line with a cue is a finding."""
    voc = voc or vocabulary()
    words = WORD_RE.findall(text)
    if len(words) < 2:
        return None
    tail = text.rstrip("\"”’)]")
    if tail.endswith("?"):
        return None
    if not tail.endswith((".", "!")) and (words[0].lower() in voc.question_starts
                                          or is_heading(words, voc) and not asserting_heading(words, voc)):
        return None
    folded = text.lower()  # cheap tests first: the filter alternations are the costly part
    if not (in_findings or has_predicate(words, text, voc) or voc.quantified_effect.search(folded)
            or _labelled(text, voc) or voc.study_description.search(folded)
            or words[0].lower() in voc.imperatives and classify_type(text, voc) == "dosing"):
        return None
    kind = classify_type(text, voc)
    if kind is None and has_predicate(words, text, voc) and voc.study_report.search(folded):
        kind = "other"  # a study's report with no listed outcome: what it did or concluded
    if kind is None or voc.non_claim.search(folded) or voc.byline.search(text):
        return None
    return kind


def _labelled(text: str, voc: Vocabulary) -> bool:
    m = voc.labelled_quantity.match(text)
    return bool(m) and (classify_type(m.group("label"), voc) not in (None, "other")
                        or bool(voc.result_labels.search(m.group("label").lower())))


def claim_id(content_hash: str, start: int, end: int, *, source: str) -> str:
    """First 16 hex digits of sha256("{source}\\0{content_hash}:{start}:{end}"): the same text at
    two sources (a mirror, a saved copy) is two sets of claims, and a renamed source gets new
    ids, so the warehouse's current rows carry its new name (history keeps the old ones)."""
    key = f"{source}\0{content_hash}:{start}:{end}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def extract_claims(source: Source, mentions: Sequence[CitationMention] = ()) -> list[Claim]:
    """Every checkable assertion in `source.text`, sorted by char_start.

    `mentions` are the document's citation markers: never split, stripped from a claim's
    end, and (for reference-list entries) never claims. Offsets are exact:
    source.text[c.char_start:c.char_end] == c.text. Pure: same input, same claims.
    """
    text, voc = source.text, vocabulary()
    markers, references = opaque_spans(text, mentions)
    page, findings = page_structure(text, source.body_start), document_vocabulary().findings_labels
    claims: list[Claim] = []
    for b_start, b_end in blocks(text, source.body_start):
        rest_is_reference = False
        for n, (raw_s, raw_e) in enumerate(sentences(text, b_start, b_end, markers, voc)):
            # A reference entry runs to the end of its line: its title must not become a claim.
            if references.overlaps(raw_s, raw_e) or (n == 0 and voc.reference_entry.match(
                    text[slice(*trim(text, raw_s, raw_e, markers, voc))])):
                rest_is_reference = True
            for piece_s, piece_e in labelled_items(text, raw_s, raw_e, markers):
                claim = _claim_at(source, piece_s, piece_e, markers, voc, page, findings, rest_is_reference)
                if claim is not None:
                    claims.append(claim)
    claims.sort(key=lambda c: (c.char_start, c.char_end))
    return claims


# "Limitations: small sample (n=65); did not assess strength": a label over items separated by
# semicolons. Each item asserts on its own (and may be true or false on its own).
LIST_LABEL_RE = re.compile(r"[A-Z][A-Za-z /&'’-]{1,30}:\s")


def labelled_items(text: str, start: int, end: int, markers: Spans) -> list[tuple[int, int]]:
    """The sentence's items when it is a labelled list of two or more; else the sentence itself.
    Semicolons inside brackets or citation markers separate nothing."""
    lead = start + len(text[start:end]) - len(text[start:end].lstrip())
    if not LIST_LABEL_RE.match(text, lead, end):
        return [(start, end)]
    cuts, depth = [], 0
    for k in range(lead, end):
        ch = text[k]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0 and not markers.containing(k):
            cuts.append(k)
    if not cuts:
        return [(start, end)]
    bounds = [start, *cuts, end]
    return [(bounds[i] + (i > 0), bounds[i + 1]) for i in range(len(bounds) - 1)]


def _claim_at(source: Source, raw_s: int, raw_e: int, markers: Spans, voc: Vocabulary, page, findings,
              rest_is_reference: bool) -> Claim | None:
    """The claim in one sentence (or list item), or None when it asserts nothing checkable."""
    text = source.text
    s, e = trim(text, raw_s, raw_e, markers, voc)
    chunk = text[s:e]
    k = page.index_at(s)
    heading = page.heading_of(k) if k is not None and page.blocks[k].kind == "item" else None
    in_findings = heading is not None and bool(findings.match(heading.strip()))
    # an item of a reference list is a reference, whatever its title asserts
    listed = heading is not None and bool(document_vocabulary().reference_headings.match(heading.strip()))
    kind = None if rest_is_reference or listed or e <= s else assess(chunk, voc, in_findings)
    if kind is None:
        return None
    return Claim(claim_id=claim_id(source.content_hash, s, e, source=source.source), source=source.source,
                 content_hash=source.content_hash, char_start=s, char_end=e, text=chunk,
                 claim_type=kind, population=classify_population(chunk))
