"""A record's title and abstract as the readers search them: the cue vocabulary
(data/evidence_vocabulary.toml) compiled once, the text spans facts are quoted with, and the scan
that finds species, people and counts. Shared by grading.engine.record_reading (design, population,
size) and grading.engine.record_findings (effects, direction, a review's own rating).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Literal, cast

from grading.settings import bundled_path

SampleUnit = Literal["participants", "animals", "other"]
TITLE_WEIGHT = 3  # a species or cue in the title says more about the study than one in the abstract


@dataclass(frozen=True)
class TextSpan:
    """A stretch of `record.title` or `record.abstract_text`: text == source[start:end]."""

    where: Literal["title", "abstract"]
    start: int
    end: int
    text: str


Flag = TextSpan | bool | None


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
    # Every start begins with the space: one literal the engine finds fast, then the words by first letter.
    return re.compile(" (?:" + by_first_letter([re.escape(s[1:]) for s in needed]) + ")")


def longest_first(phrases: list[str], lower: bool = False) -> list[str]:
    ordered = sorted(phrases, key=len, reverse=True)  # longest first: "case reports" before "case"
    return [p.lower() for p in ordered] if lower else ordered


def alternation(phrases: list[str], lower: bool = False) -> str:
    return by_first_letter(longest_first(phrases, lower))


def by_first_letter(alternatives: list[str]) -> str:
    """`alternatives` as one alternation, with neighbours that start with the same plain letter
    sharing it ("case reports|cohort|case" -> "c(?:ase reports|ase)|cohort"): the engine rules
    out all but one group on a word's first letter instead of trying every phrase there. The
    same matches in the same order: alternatives with different first letters never match at
    the same place, and any that does not start with a plain letter keeps its place."""
    out: list[str] = []
    run: dict[str, list[str]] = {}  # first letter -> the rests, in order (dicts keep first-seen order)

    def close_run() -> None:
        out.extend(c + (rests[0] if len(rests) == 1 else f"(?:{'|'.join(rests)})") for c, rests in run.items())
        run.clear()

    for alt in alternatives:
        if plain_start(alt):
            run.setdefault(alt[0], []).append(alt[1:])
        else:
            close_run()
            out.append(alt)
    close_run()
    return "|".join(out)


def plain_start(phrase: str) -> bool:
    """Starts with a letter, digit or space matched exactly once, and has no top-level "|"."""
    if len(phrase) < 2 or not (phrase[0].isalnum() or phrase[0] == " ") or phrase[1] in "?*+{":
        return False
    depth, in_class, i = 0, False, 0
    while i < len(phrase):
        ch = phrase[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            return False
        i += 1
    return True


def whole_words(phrases: list[str]) -> re.Pattern[str]:
    """Lower-cased phrases as one pattern that matches whole words of lower-cased text."""
    return re.compile(rf"(?<!\w)(?:{alternation(phrases, lower=True)})(?!\w)")


@dataclass(frozen=True)
class Cue:
    """A compiled cue list plus the phrases that cancel its hits (`<name>_not` in the TOML)."""

    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None = None
    starts: re.Pattern[str] | None = None
    # The same matches with a named group per kind (species): run only where `pattern` matched,
    # to say which kind; a group per kind would cost the scan its first-letter grouping.
    naming: re.Pattern[str] | None = None

    @classmethod
    def of(cls, phrases: list[str], exclude: list[str] | None = None) -> Cue:
        return cls(whole_words(phrases), whole_words(exclude) if exclude else None, triggers(phrases))

    def hits(self, text: Text, pos: int = 0) -> list[re.Match[str]]:
        """Matches in `text.low` (offsets valid in `text.raw`), minus the excluded ones."""
        if self.starts is not None and not self.starts.search(text.spaced):
            return []
        found = list(self.pattern.finditer(text.low, pos))
        if self.naming is not None:
            found = [cast(re.Match[str], self.naming.match(text.low, m.start())) for m in found]
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
    species = "|".join(f"(?P<{g}>{alternation(v['species'][n], lower=True)})" for g, n in names.items())
    every_species = by_first_letter([p for n in names.values() for p in longest_first(v["species"][n], lower=True)])
    numbers = v["numbers"]
    tens = alternation([w for w, n in numbers.items() if n >= 20])
    units = alternation([w for w, n in numbers.items() if n < 10])
    below_hundred = rf"(?:(?:{tens})(?:[- ](?:{units}))?|{alternation(list(numbers))})"
    number_word = rf"(?:(?:{units}) hundred(?:(?: and)? {below_hundred})?|{below_hundred})"
    count = rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+|{number_word})(?![.,]?\d)"
    between = rf"(?:\s+(?!(?:{alternation(sample['not_between'], lower=True)})(?![\w/-]))[a-z][\w/-]*){{0,3}}"
    unit_groups = "|".join(f"(?P<{k}>{alternation(sample[k])})" for k in ("participants", "animals", "other"))
    return Cues(
        design=cue_table(v["design"]), flags=cue_table(v["flags"]), direction=cue_table(v["direction"]),
        species=Cue(re.compile(rf"(?<!\w)(?:{every_species})(?!\w)"), whole_words(pop["animal_not"] + pop["human_not"]),
                    triggers([w for words in v["species"].values() for w in words]),
                    re.compile(rf"(?<!\w)(?:{species})(?!\w)")),
        species_names=names,
        animal=Cue.of(pop["animal"], pop["animal_not"]), healthy=whole_words(pop["healthy"]),
        human_ambiguous=re.compile(rf"(?:{alternation(pop['human_ambiguous'], lower=True)})"),
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


# --- counts of people and animals ----------------------------------------------------------------

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
