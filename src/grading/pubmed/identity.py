"""Is a found record the paper a citation names? Identity checks and strong-evidence tie-breaks.

A search hit is only a candidate: in a 14-record index a loose query returns one hit, in PubMed
hundreds. A candidate is *verified* when at least two independent cues of the citation agree
with the record and none contradicts it. The cues:
- the first author (any author, for a researcher quoted in a story), co-authors (two, or the
  only one), the year (±1), the journal (full title or abbreviation, either way round), volume +
  first page (or a review number), the trial acronym or all words of its expansion, the
  affiliation;
- the title: 70% of its words in the record's title (two cues when it has 6+ words: a printed
  paper title; one for a shorter heading);
- topic words of the citation's paragraph: two in title + abstract, one of them in the title;
- the page's figures: two or more in the abstract, one of three digits or more;
- the design the page names, only beside a strong topic match (three topic words in the record,
  two in its title): a design alone names no paper.
A named author not on the paper, or a year more than one off, rules the record out. Names are
compared folded (grading.folding: Løvås = Lovas, Strauß = Strauss).

Several verified candidates are reduced to one only on strong evidence from the page: figures the
page states that appear in exactly one candidate's abstract, or the design the page names held
by exactly one. Otherwise they stay candidates (`ambiguous`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from grading.folding import fold
from grading.models import CitationMention, PubmedRecord

WORD_RE = re.compile(r"[^\W_]+")
SPECIFIC_DESIGNS = frozenset({"randomized trial", "meta-analysis", "systematic review", "cohort"})
TITLE_SHARE = 0.7
FULL_TITLE_WORDS = 6  # a shorter "title" (a page heading) needs another cue beside it  # of the cited title's words found in the record's title
TOPIC_MIN = 2  # topic words in title+abstract, one of them in the title
DESIGN_TYPES = {  # the design a page names -> publication types or title/abstract words that show it
    "meta-analysis": ("meta-analysis", "meta analysis", "pooled analysis", "individual patient data"),
    "systematic review": ("systematic review", "meta-analysis", "cochrane"),
    "randomized trial": ("randomized", "randomised"),
    "cohort": ("cohort", "prospective", "longitudinal"),
    "clinical trial": ("trial", "open-label", "open label"),
    "animal": ("mice", "rats", "mouse", "rat"),
}


@cache
def title_stop() -> frozenset[str]:
    """Words a title shares with any other: data/citation_vocabulary.toml [narrative] title_stop."""
    with (resources.files("grading") / "data" / "citation_vocabulary.toml").open("rb") as fh:
        return frozenset(tomllib.load(fh)["narrative"]["title_stop"].split())


def word_set(text: str | None) -> set[str]:
    return set(WORD_RE.findall(fold(text or "")))


def stems(words: set[str]) -> set[str]:
    """Crude stems so "tablets" meets "tablet" and "diabetic" meets "diabetes"."""
    return {w[:max(5, len(w) - 3)] if len(w) > 6 else w for w in words}


def has_word(stemmed: set[str], word: str) -> bool:
    return next(iter(stems({fold(word)})), "") in stemmed


@dataclass(frozen=True)
class Check:
    verified: bool
    agrees: tuple[str, ...]  # the cues the record matches
    conflicts: tuple[str, ...]  # the cues it contradicts

    def explain(self) -> str:
        out = "agrees on " + (", ".join(self.agrees) or "nothing")
        return out + (f"; contradicts {', '.join(self.conflicts)}" if self.conflicts else "")


def surname(name: str) -> str:
    """"McVartola UK" -> "mcvartola"; "van Orrin T" -> "van orrin"."""
    parts = fold(name).replace(".", " ").split()
    if len(parts) > 1 and len(parts[-1]) <= 3 and parts[-1].isalpha():
        parts = parts[:-1]
    return " ".join(parts)


def record_surnames(record: PubmedRecord) -> list[str]:
    return [fold(a.last_name or a.collective_name or "") for a in record.authors]


def journal_agrees(cited: str, record: PubmedRecord) -> bool:
    """Full title or abbreviation, either way round ("Otology Letters" = "Otol Lett")."""
    c = [w for w in WORD_RE.findall(fold(cited)) if w not in {"the", "of", "and", "in", "for", "journal"} or False]
    for name in (record.journal, record.journal_abbrev):
        if not name:
            continue
        n = [w for w in WORD_RE.findall(fold(name)) if w not in {"the", "of", "and", "in", "for", "journal"}]
        if not c or not n:
            continue
        if c == n:
            return True
        short, long_ = (c, n) if len(" ".join(c)) <= len(" ".join(n)) else (n, c)
        if len(short) == len(long_) and all(b.startswith(a) or a.startswith(b) for a, b in zip(short, long_)):
            return True
    return False


def check(m: CitationMention, record: PubmedRecord) -> Check:
    agrees, conflicts = [], []
    title_words = word_set(record.title)
    text_words = stems(title_words | word_set(record.abstract_text)
                       | {w for h in record.mesh_headings for w in word_set(h.descriptor)})
    title_stems = stems(title_words)
    names = record_surnames(record)
    if m.authors and names:
        first = surname(m.authors[0])
        story = m.kind == "narrative" and m.design != "first-author"  # "Name of University Y said"
        if first in (names if story else names[:1]):
            agrees.append("author")
        elif first not in names:
            conflicts.append(f"author {m.authors[0]}")
        others = [surname(a) for a in m.authors[1:]]
        if m.kind != "narrative" and others and sum(o in names for o in others) >= min(2, len(others)):
            agrees.append("co-authors")
    if m.year and record.year:
        if abs(m.year - record.year) <= 1:
            agrees.append("year")
        else:
            conflicts.append(f"year {m.year} (record {record.year})")
    if m.journal and journal_agrees(m.journal, record):
        agrees.append("journal")
    if m.volume and m.first_page and (record.volume or "") == m.volume and \
            fold((record.pages or "").split("-")[0]) == fold(m.first_page):
        agrees.append("volume and page")
    elif m.first_page and not m.volume and fold((record.pages or "").split("-")[0]) == fold(m.first_page):
        agrees.append("article number")
    if m.acronym:
        expansion = [w for w in word_set(m.title) if w not in title_stop()]
        if fold(m.acronym) in title_words | word_set(record.abstract_text) or (
                expansion and all(has_word(text_words, w) for w in expansion)):
            agrees.append("acronym")
    elif m.title:
        cited = [w for w in word_set(m.title) if w not in title_stop() and not w.isdigit()]
        found = [w for w in cited if has_word(title_stems, w)]
        if len(cited) >= 3 and len(found) >= TITLE_SHARE * len(cited):
            agrees.append("title")
            if len(cited) >= FULL_TITLE_WORDS:
                agrees.append("title words")  # a printed paper title alone identifies the paper
    if m.affiliation:
        affs = " ".join(a for au in record.authors for a in au.affiliations)
        aff_words = [w for w in word_set(m.affiliation.split(" in ")[0]) if w not in {"of", "the", "and", "for"}]
        if affs and aff_words and all(w in word_set(affs) for w in aff_words):
            agrees.append("affiliation")
    stated = figures_of(record) & set(m.figures)
    if len(stated) >= 2 and any(len(f.replace(".", "")) >= 3 for f in stated):
        agrees.append("figures")  # the page reports the paper's own numbers
    topic = [w for w in m.topic if has_word(text_words, w)]
    in_title = [w for w in topic if has_word(title_stems, w)]
    if len(topic) >= TOPIC_MIN and in_title:
        agrees.append("topic")
    if len(topic) >= 3 and len(in_title) >= 2 and m.design in SPECIFIC_DESIGNS and shows_design(record, m.design):
        agrees.append("design")  # only beside a strong topic match: a design alone names no paper
    return Check(len(agrees) >= 2 and not conflicts, tuple(agrees), tuple(conflicts))


def figures_of(record: PubmedRecord) -> set[str]:
    text = f"{record.title or ''} {record.abstract_text or ''}"
    return {x.replace(",", "") for x in re.findall(r"(?<![\w.])[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.[0-9]+)?", text)}


def shows_design(record: PubmedRecord, design: str) -> bool:
    cues = DESIGN_TYPES.get(design, ())
    text = fold(" ".join([record.title or "", record.abstract_text or "", *(n for _, n in record.publication_types)]))
    return any(c in text for c in cues)


def tie_break(m: CitationMention, records: list[PubmedRecord]) -> tuple[PubmedRecord | None, str]:
    """One of several verified records, on strong evidence only; else (None, why not)."""
    if m.figures:
        unique = {}
        for r in records:
            mine = figures_of(r) & set(m.figures)
            others = set().union(*(figures_of(o) for o in records if o is not r)) & set(m.figures)
            unique[r.pmid] = mine - others
        holders = [r for r in records if unique[r.pmid]]
        if len(holders) == 1:
            return holders[0], (f"figures the page states ({', '.join(sorted(unique[holders[0].pmid]))}) "
                                "appear in this abstract only")
    if m.design:
        holders = [r for r in records if shows_design(r, m.design)]
        if len(holders) == 1:
            return holders[0], f"the only candidate that is a {m.design}"
    return None, "no figure or design the page states tells the candidates apart"
