"""Citations a reader can follow although they carry no id: narrative cues and printed titles.

- journal cues: "published in the journal X", "in the X journal", "a recent study in the Journal
  of …", "The second study, in X, …";
- trial acronyms: "the Quillberry Extract Study of Tinnitus (QUEST) trial" (acronym + expansion);
- people: "lead author Firstname X. Lastname", "Firstname Lastname of/from the University of Y",
  "researchers at Y University";
- authors without a year: "a 2019 meta-analysis of 12 RCTs (Author et al.)", "a Cochrane review
  (Author & Author)";
- a paper's title printed on its own line ("Title: a randomized trial", a study card's subtitle).

Each becomes one `CitationMention` (kind `narrative` or `title`) with exact offsets and the cues
resolution needs: the names, the journal, the acronym, the design, the year the sentence states,
and the topic words and figures of its paragraph (`context_start`/`context_end`). A `[n]`
marker whose number has no reference entry carries its sentence's cues instead (the list was
cut off, but the sentence names the journal). Word lists live in data/citation_vocabulary.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from grading.folding import fold
from grading.models import CitationMention

UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
CAP_WORD = rf"[{UPPER}][\w'’\-]*"
# "Journal of the Coastal Medical Society", "Otology Letters and Reviews"
NAME_RUN = rf"{CAP_WORD}(?:[ \t]+(?:(?:of|and|the|for|in|&|de|du|der)[ \t]+){{0,2}}{CAP_WORD}){{0,9}}"
PERSON = (rf"(?P<first>[{UPPER}][a-zà-ÿ'’\-]+)[ \t]+(?:(?P<middle>[{UPPER}])\.?[ \t]+)?"
          rf"(?P<last>(?:(?:van|von|de|der|den|da|di|le|la)[ \t]+)?[{UPPER}][\w'’\-]*[a-zà-ÿ][\w'’\-]*)")
YEAR_RE = re.compile(r"(?<![0-9])(?:19[5-9][0-9]|20[0-4][0-9])(?![0-9])")
FIGURE_RE = re.compile(r"(?<![\w.,])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.[0-9]+)?)(?![\w])")
WORD_RE = re.compile(r"[^\W\d_][\w\-]*[^\W_]|[^\W\d_]{2}")
SENTENCE_END_RE = re.compile(r"[.!?](?=[ \t]+[\"“‘'(]?[A-Z0-9])|\n")
PLACE_RE = re.compile(rf"\b(?:in|at)[ \t]+((?:[{UPPER}][\w'’\-]*\.?[ \t]?){{1,3}})")
BRACKET_MARKER_RE = re.compile(r"\[([0-9]{1,3})\]")
MAX_TOPIC = 6
HONORIFIC_RE = re.compile(rf"\b(?:Dr|Prof|Professor|Mr|Mrs|Ms)\.?[ \t]+((?:[{UPPER}][\w'’\-]+[ \t]?){{1,3}})")
MAX_CONTEXT = 700  # characters of paragraph read around a cue


@dataclass(frozen=True)
class CueWords:
    """The word lists of data/citation_vocabulary.toml [narrative], compiled."""

    journal: re.Pattern[str]  # "published in the journal X", "a study in X" ...
    journal_words: frozenset[str]  # a name holding one of these is a journal ("Journal", "Annals")
    not_journals: frozenset[str]  # first words that make a capitalised run a place or a date
    institution: re.Pattern[str]  # "University of Y", "Y Institute"
    institution_anchor: re.Pattern[str]  # any institution word
    study: str  # alternation of study nouns: "study|trial|review|meta-analysis|…"
    designs: tuple[tuple[str, str], ...]  # (phrase, design) in the order they are tried
    stop: frozenset[str]  # words that never make a topic
    title_design: re.Pattern[str]  # ": a randomized trial" ending a title line


@cache
def cue_words() -> CueWords:
    with (resources.files("grading") / "data" / "citation_vocabulary.toml").open("rb") as fh:
        data = tomllib.load(fh)["narrative"]
    study = "|".join(sorted((re.escape(w).replace(r"\ ", r"[ \t]+").replace(r"\-", r"[- \t]?")
                             for w in data["study_nouns"]), key=len, reverse=True))
    designs = tuple((p, d) for d, phrases in data["designs"].items() for p in phrases)
    journal = re.compile(
        rf"(?:published|appeared|appearing|reported|printed)[ \t]+(?:online[ \t]+)?in[ \t]+(?:the[ \t]+)?"
        rf"(?:(?:journal|periodical)[ \t]+)?(?P<j1>{NAME_RUN})"
        rf"|\bin[ \t]+the[ \t]+(?P<j2>{NAME_RUN})[ \t]+journal\b"
        rf"|\b(?:{study})[ \t]*,?[ \t]+(?:published[ \t]+)?in[ \t]+(?:the[ \t]+)?(?:journal[ \t]+)?(?P<j3>{NAME_RUN})")
    inst = "|".join(re.escape(w) for w in data["institution_words"])
    # "University of Y", "Y Institute", and the name after the word ("Universidad Y", "Universitas Y")
    institution = re.compile(rf"(?:{NAME_RUN}[ \t]+)?(?:{inst})(?:[ \t]+(?:(?:of|for)[ \t]+(?:the[ \t]+)?)?{NAME_RUN})?")
    title_design = re.compile(r":[ \t]+(?:an?[ \t]+|the[ \t]+)?(?:[\w\-]+[ \t,]+){0,6}(?:study|trial|review|"
                              r"meta-analysis|analysis|cohort|experience|investigation)\b", re.IGNORECASE)
    return CueWords(journal, frozenset(w.lower() for w in data["journal_words"]),
                    frozenset(w.lower() for w in data["not_journal_starts"]), institution, re.compile(inst), study,
                    designs,
                    frozenset(fold(w) for w in data["topic_stop"].split()), title_design)


# --- the cues ---------------------------------------------------------------------------------

def extract_cues(text: str, start: int = 0) -> list[CitationMention]:
    """Narrative and title citations in text[start:], sorted; they may overlap each other (the
    caller keeps those that overlap no citation with an id)."""
    if not text:
        return []
    w = cue_words()
    found: list[CitationMention] = []
    found += journal_cues(text, start, w)
    found += acronym_cues(text, start, w)
    found += person_cues(text, start, w)
    found += bare_author_cues(text, start)
    found += title_lines(text, start, w)
    return sorted(found, key=lambda m: (m.char_start, -m.char_end))


def windows(text: str, start: int, anchor: re.Pattern[str], before: int, after: int) -> list[tuple[int, int]]:
    """Stretches of text around each anchor word, merged: the full patterns run only there, so a
    megabyte of brackets or newlines costs one scan for the anchor, not one attempt per character."""
    out: list[tuple[int, int]] = []
    for a in anchor.finditer(text, start):
        lo, hi = max(start, a.start() - before), min(len(text), a.end() + after)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def find_near(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]) -> list[re.Match[str]]:
    return [m for lo, hi in spans for m in pattern.finditer(text, lo, hi)]


# case-sensitive literal alternations scan fast; a capitalised first letter is spelled out
JOURNAL_ANCHOR_RE = re.compile(r"[Pp]ublished|[Aa]ppear|[Pp]rinted|[Jj]ournal|[Ss]tud|[Tt]rial|[Rr]eview|[Aa]nalys|"
                               r"[Pp]aper|[Aa]rticle|[Rr]eport|[Rr]esearch|[Ii]nvestigation|[Ee]xperiment|[Ss]urvey|"
                               r"[Cc]ohort|[Ll]etter|[Pp]ublication|[Mm]eta")
ACRONYM_ANCHOR_RE = re.compile(r"\([A-ZÀ-Þ][A-Z0-9À-Þ\-]{1,11}\)")
ROLE_ANCHOR_RE = re.compile(r"[Aa]uthor|[Ii]nvestigator|[Rr]esearcher|\b[Ll]ed[ \t]+by\b")
BARE_ANCHOR_RE = re.compile(r"et[ \t]+al\.?\)|(?:&|and)[ \t]+[A-ZÀ-Þ][\w'’\-]*\)")


def narrative(text: str, s: int, e: int, **cues: object) -> CitationMention:
    raw = text[s:e]
    mention = CitationMention(s, e, raw, "narrative", "", **cues)  # type: ignore[arg-type]
    return with_context(text, mention)


def journal_cues(text: str, start: int, w: CueWords) -> list[CitationMention]:
    out = []
    for m in find_near(w.journal, text, windows(text, start, JOURNAL_ANCHOR_RE, 160, 160)):
        group = next(g for g in ("j1", "j2", "j3") if m.group(g))
        name = trim_name(m.group(group))
        words = name.split()
        if not words or words[0].lower() in w.not_journals or len(name) < 4:
            continue
        # "published in X", "in the X journal": a journal by the words around it; "a study in X": only
        # when the name holds a journal word
        # A paper or an article is printed in a journal: "in a paper in X & Other Y" names one.
        explicit = group != "j3" or re.search(r"published|appeared|journal|\b(?:paper|article|publication)\b",
                                              m.group(), re.IGNORECASE) is not None
        if not explicit and not any(x.lower().strip(".,") in w.journal_words for x in words):
            continue  # "a study in Finland": a place, not a journal
        e = m.start(group) + len(name)
        tail = re.match(r"[ \t]+journal\b", text[e:e + 12])
        out.append(narrative(text, m.start(), e + (tail.end() if tail else 0), journal=name))
    return out


def trim_name(name: str) -> str:
    """A capitalised run without trailing connectors: "Otology Letters and" -> "Otology Letters"."""
    words = name.split()
    while words and words[-1].lower() in {"of", "and", "the", "for", "in", "&", "de", "du", "der"}:
        words.pop()
    return " ".join(words)


ACRONYM_RE = re.compile(rf"\b(?:the[ \t]+)?(?P<expansion>{CAP_WORD}(?:[ \t]+(?:[\w'’\-]+)){{1,9}}?)[ \t]+"
                        rf"\((?P<acronym>[{UPPER}][{UPPER}0-9\-]{{1,11}})\)[ \t]+(?P<noun>[a-z\-]+(?:[ \t]+[a-z\-]+)?)")


def acronym_cues(text: str, start: int, w: CueWords) -> list[CitationMention]:
    """"the Quillberry Extract Study of Tinnitus (QUEST) trial": the acronym must spell the expansion's
    capitals, and a study noun must follow."""
    out = []
    nouns = re.compile(rf"(?:{w.study})\b", re.IGNORECASE)
    for m in find_near(ACRONYM_RE, text, windows(text, start, ACRONYM_ANCHOR_RE, 160, 40)):
        if not nouns.match(m.group("noun")):
            continue
        acronym = m.group("acronym")
        words = m.group("expansion").split()
        # keep the shortest tail of the capitalised run whose initials spell the acronym
        for i in range(len(words)):
            tail = words[i:]
            caps = "".join(x[0] for x in re.split(r"[ \t\-]+", " ".join(tail)) if x[:1].isupper())
            if spells(fold(caps), fold(re.sub(r"[^A-Za-z]", "", acronym))):
                break
        else:
            continue
        expansion = " ".join(tail)
        s = m.start("expansion") + m.group("expansion").index(tail[0])
        if text[max(0, s - 4):s].lower() == "the ":
            s -= 4
        e = m.end("noun") if nouns.fullmatch(m.group("noun")) else m.start("noun") + nouns.match(m.group("noun")).end()
        out.append(narrative(text, s, e, acronym=acronym, title=expansion))
    return out


def spells(initials: str, acronym: str) -> bool:
    """The expansion's initials, in order, within the acronym, starting with its first letter:
    "qest" spells QEST and QUEST (acronyms borrow letters)."""
    if len(initials) < 2 or not acronym or initials[0] != acronym[0]:
        return False
    rest = iter(acronym)
    return all(c in rest for c in initials)


LEAD_AUTHOR_RE = re.compile(rf"\b(?:(?:lead|first|senior|principal|corresponding|study|co-?)[ \t]*"
                            rf"(?:author|investigator|researcher)s?[ \t,]+|led[ \t]+by[ \t]+)"
                            rf"(?:(?:Dr|Prof|Professor)\.?[ \t]+)?{PERSON}")
AT_RE = re.compile(r",?[ \t]+(?:of|from|at)[ \t]+(?:the[ \t]+)?")
PERSON_AT_RE = re.compile(rf"{PERSON}(?:,?[ \t]+(?:MD|PhD|MPH|DPhil|ScD|DrPH|RN|PharmD)\b\.?)*,?[ \t]+"
                          rf"(?:(?:a|an|the)[ \t]+[a-z\- ]{{0,40}}?[ \t]+)?(?:of|from|at)[ \t]+(?:the[ \t]+)?")
GROUP_AT_RE = re.compile(r"\b(?:[Rr]esearchers|[Ss]cientists|[Ii]nvestigators|[Aa][ \t]+(?:research[ \t]+)?team|"
                         r"[Dd]octors|[Aa]uthors)[ \t]+(?:at|from|of)[ \t]+(?:the[ \t]+)?")


def person_cues(text: str, start: int, w: CueWords) -> list[CitationMention]:
    """"lead author Steven T. Name", "Name Surname from the University of Y", "researchers at Y"."""
    out = []
    for m in find_near(LEAD_AUTHOR_RE, text, windows(text, start, ROLE_ANCHOR_RE, 40, 80)):
        author = person_name(m)
        role = m.group().split()[0].lower()
        # "led by Name of the University of Y": the person and the place together
        at = AT_RE.match(text, m.end("last"))
        inst = w.institution.match(text, at.end()) if at else None
        out.append(narrative(text, m.start(), inst.end() if inst else m.end("last"), authors=(author,),
                             affiliation=trim_name(inst.group()) if inst else None,
                             design="first-author" if role in {"lead", "first"} else None))
    near_institutions = windows(text, start, w.institution_anchor, 120, 0)
    for m in find_near(PERSON_AT_RE, text, near_institutions):
        inst = w.institution.match(text, m.end())
        before = text[max(0, m.start() - 30):m.start()].split()
        if not inst or m.group("first").lower() in w.not_journals or (
                before and (before[-1][:1].isupper() or before[-1].lower() in {"of", "the", "and", "for", "at"})):
            continue  # "Institute of Molecular Genetics of the …" is no person
        out.append(narrative(text, m.start(), inst.end(), authors=(person_name(m),),
                             affiliation=trim_name(inst.group())))
    for m in find_near(GROUP_AT_RE, text, near_institutions):
        inst = w.institution.match(text, m.end())
        if inst:
            out.append(narrative(text, m.start(), inst.end(), affiliation=trim_name(inst.group())))
    return out


def person_name(m: re.Match[str]) -> str:
    """"Ulla K. McVartola" -> "McVartola UK" (PubMed's author form)."""
    initials = m.group("first")[0] + (m.group("middle") or "")
    return f"{' '.join(m.group('last').split())} {initials.upper()}"


SURNAME = rf"(?:(?:van|von|de|der|den|da|di|le|la)[ \t]+)?[{UPPER}][\w'’\-]*[a-zà-ÿ]"
BARE_AUTHORS_RE = re.compile(rf"\((?P<names>(?P<first>{SURNAME})(?:[ \t]+et[ \t]+al\.?|[ \t]+(?:&|and)[ \t]+{SURNAME}"
                             rf"|,[ \t]+{SURNAME},?[ \t]+(?:&|and)[ \t]+{SURNAME}))\)")


def bare_author_cues(text: str, start: int) -> list[CitationMention]:
    """"a 2019 meta-analysis of 12 RCTs (Author et al.)": names without a year in parentheses,
    after a sentence that names a study (its year, when stated, is taken from the sentence)."""
    out = []
    w = cue_words()
    study = re.compile(rf"(?:{w.study})", re.IGNORECASE)
    for m in find_near(BARE_AUTHORS_RE, text, windows(text, start, BARE_ANCHOR_RE, 120, 0)):
        s0 = sentence_start(text, m.start())
        before = text[s0:m.start()]
        if not study.search(before):
            continue
        years = YEAR_RE.findall(before)
        names = re.split(r"[ \t]+(?:&|and)[ \t]+|,[ \t]+", re.sub(r"[ \t]+et[ \t]+al\.?", "", m.group("names")))
        out.append(narrative(text, m.start(), m.end(), authors=tuple(n.strip() for n in names if n.strip()),
                             year=int(years[-1]) if years else None))
    return out


def title_lines(text: str, start: int, w: CueWords) -> list[CitationMention]:
    """A paper's title on a line of its own: 6 to 40 words, "Head: subtitle", no sentence inside,
    no first or second person; either the subtitle names a study design ("a phase 3 study") or
    the line ends with a full stop, as printed titles in study cards do."""
    out, line_end = [], start
    for colon in re.finditer(": ", text[start:]):
        at = start + colon.start()
        if at < line_end:
            continue  # a second colon on a line already read
        s = text.rfind("\n", line_end, at) + 1 or line_end
        e = text.find("\n", at)
        line_end = len(text) if e < 0 else e
        line = text[s:line_end]
        stripped = line.strip()
        n = len(stripped.split())
        if not 6 <= n <= 40 or ": " not in stripped or len(stripped.split(": ")[0].split()) < 3 or re.search(r"[.!?][ \t]+[A-Z]", stripped):
            continue
        head = stripped.split(": ")[0]
        if head.count("(") > head.count(")") or re.search(r"\b(?:PMID|PMCID|PubMed|doi)\b|https?://", head, re.IGNORECASE):
            continue  # the colon belongs to a label inside brackets ("(PMID: 123)"), not to a title
        words = {x.lower() for x in WORD_RE.findall(stripped)}
        if words & {"you", "your", "we", "our", "i", "my", "us"} or "?" in stripped or stripped.startswith(("-", "•")):
            continue
        design = w.title_design.search(stripped)
        if not (design or stripped.endswith(".")):
            continue
        ls = s + line.index(stripped)
        e = ls + (design.end() if design else len(stripped))
        raw = text[ls:e]
        mention = CitationMention(ls, e, raw, "title", "", title=raw.rstrip("."))
        out.append(with_context(text, mention))
    return out


# --- context: topic words and figures ------------------------------------------------------------

def sentence_start(text: str, pos: int) -> int:
    lo = max(0, pos - 400)
    ends = [m.end() for m in SENTENCE_END_RE.finditer(text, lo, pos)]
    return ends[-1] if ends else lo


def paragraph(text: str, s: int, e: int) -> tuple[int, int]:
    """The block around text[s:e]: its line, widened to neighbouring lines while short."""
    ps = text.rfind("\n", 0, s) + 1
    pe = text.find("\n", e)
    pe = len(text) if pe < 0 else pe
    while pe - ps < MAX_CONTEXT // 2 and pe < len(text):
        nxt = text.find("\n", pe + 1)
        nxt = len(text) if nxt < 0 else nxt
        pe = nxt
    return ps, min(pe, ps + MAX_CONTEXT) if e - ps < MAX_CONTEXT else pe


@cache
def document_counts(text: str) -> Counter[str]:
    return Counter(fold(x) for x in WORD_RE.findall(text))


@cache
def lower_case_words(text: str) -> frozenset[str]:
    return frozenset(x for x in WORD_RE.findall(text) if x.islower())


def topic_words(text: str, s: int, e: int, names: str = "", sentence: bool = False) -> tuple[str, ...]:
    """The substance/outcome words of text[s:e], most telling first: words the whole page repeats
    rank above words said once; research vocabulary (data/citation_vocabulary.toml) never counts.
    `sentence`: text[s:e] is one sentence, whose capitalised words past its first that the page
    never writes in lower case and says less than three times are names (people, places,
    institutions), not topic."""
    stop = cue_words().stop
    counts = document_counts(text)
    seen: dict[str, int] = {}
    own = {fold(x) for x in WORD_RE.findall(names)}
    lower = lower_case_words(text) if sentence else frozenset()
    for i, m in enumerate(WORD_RE.finditer(text, s, e)):
        word = fold(m.group())
        short = len(word) < 4 and not (len(word) == 3 and m.group().isupper())
        if short or word in stop or word in own or word in seen:
            continue
        if sentence and i and m.group()[0].isupper() and word not in lower and counts[word] < 3:
            continue
        seen[word] = i
    ranked = sorted(seen, key=lambda x: (-min(counts[x], 6), seen[x]))
    return tuple(ranked[:MAX_TOPIC])


def sentence_end(text: str, pos: int, limit: int) -> int:
    end = SENTENCE_END_RE.search(text, pos, max(pos, limit))
    return end.end() if end else max(pos, limit)


def opens_its_paragraph(text: str, s: int, e: int) -> bool:
    """The cue stands in the first of several sentences on its line: the paragraph goes on to
    tell the study it introduces."""
    ls = text.rfind("\n", 0, s) + 1
    le = text.find("\n", e)
    le = len(text) if le < 0 else le
    return sentence_start(text, s) <= ls and bool(text[sentence_end(text, e, le):le].strip())


@cache
def people(text: str) -> tuple[str, ...]:
    """Names of the people a page quotes ("Dr. Jane Roe", "Professor Roe"): never a topic."""
    return tuple(m.group(1) for m in HONORIFIC_RE.finditer(text))


def figures_in(text: str, s: int, e: int) -> tuple[str, ...]:
    out = []
    for m in FIGURE_RE.finditer(text, s, e):
        value = m.group().replace(",", "")
        if YEAR_RE.fullmatch(value) or value in out or (value.isdigit() and int(value) < 10):
            continue
        out.append(value)
    return tuple(out)


def design_in(text: str) -> str | None:
    low = text.lower()
    return next((d for phrase, d in cue_words().designs if phrase in low), None)


def with_context(text: str, m: CitationMention) -> CitationMention:
    """The mention with its paragraph's topic words, figures, design and (when unset) year, and
    the value that identifies it for resolution."""
    ps, pe = paragraph(text, m.char_start, m.char_end)
    sentence = text[sentence_start(text, m.char_start):m.char_end]
    year = m.year
    if year is None:
        years = YEAR_RE.findall(sentence)
        year = int(years[-1]) if years else None
    design = m.design if m.design and m.design != "first-author" else design_in(text[ps:pe])
    # the cue's own names, and the places its sentence names ("in St. Louis"), are no topic
    places = PLACE_RE.findall(text, sentence_start(text, m.char_start), min(len(text), m.char_end + 60))
    own = " ".join([*m.authors, m.affiliation or "", m.journal or "", *places, *people(text)])
    topic = topic_words(text, ps, pe, own)
    if not opens_its_paragraph(text, m.char_start, m.char_end):
        # A cue later in a paragraph, or alone on its line, cites for its own sentence: that
        # sentence's words lead, the paragraph's follow.
        ss, se = sentence_start(text, m.char_start), sentence_end(text, m.char_end, pe)
        topic = tuple(dict.fromkeys([*topic_words(text, ss, se, own, sentence=True), *topic]))[:MAX_TOPIC]
    # a printed title heads a page about that paper: its figures are the whole page's
    figures = figures_in(text, m.char_start, len(text)) if m.kind == "title" else figures_in(text, ps, pe)
    out = replace(m, year=year, design=design if m.design != "first-author" else m.design,
                  topic=topic, figures=figures[:30], context_start=ps, context_end=pe)
    return replace(out, value=cue_value(out))


def cue_value(m: CitationMention) -> str:
    """What identifies a cue for resolution (equal values resolve once)."""
    parts = [("au", "; ".join(m.authors)), ("ad", m.affiliation), ("ta", m.journal), ("acronym", m.acronym),
             ("ti", m.title), ("dp", m.year), ("design", m.design), ("topic", " ".join(m.topic)),
             ("figures", " ".join(m.figures[:8]))]
    return " | ".join(f"{k}={v}" for k, v in parts if v)


def unlisted_markers(text: str, start: int, cues: list[CitationMention], listed: set[int]) -> list[CitationMention]:
    """"[4]" closing a sentence that names a journal, when no reference entry is numbered 4: the
    marker is the citation, resolved by its sentence's cues. The cue itself is then dropped."""
    out, used = [], set()
    for m in BRACKET_MARKER_RE.finditer(text, start):
        number = int(m.group(1))
        if number in listed:
            continue
        s0 = sentence_start(text, m.start())
        inside = [c for c in cues if s0 <= c.char_start and c.char_end <= m.start() and c.kind == "narrative"
                  and (c.journal or c.authors or c.acronym)]
        if not inside:
            continue
        cue = inside[-1]
        used.add(id(cue))
        out.append(replace(cue, char_start=m.start(), char_end=m.end(), raw=m.group(), footnote=number))
    return out + [c for c in cues if id(c) not in used]
