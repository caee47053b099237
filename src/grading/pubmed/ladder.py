"""The searches a citation with no id becomes, strictest first.

One typo or missing word must not lose the paper, so no step ANDs everything the citation
names: each combines two or three kinds of cue with the two or three most telling words, and
the next step loosens (fewer words, year ±1, another cue). Resolution stops at the first step
whose hits include a record verified by identity (grading.pubmed.identity); the hit count is
never the reason to pick.

Steps by what a citation names:
- reference (authors, year, title, journal, volume, page): first author + year + 3 title words;
  first author + year ±1 + 2 title words; journal + year + volume + page; first author + year +
  2 topic words; 4 title words (+ year ±1); first author + two co-authors (+ year ±1); first
  author + year.
- narrative: person + 3 topic words, + 2, + year ±1; acronym + 2 topic words, expansion + 1 topic
  word, acronym + year; journal + 3 topic words, + 2, + year ±1 and 1; affiliation + 3 and 2
  topic words; (author-less) 3 topic words + year ±1, then two of them.
- title: its content words in the title, then the 4 longest, then the head's (before ":") words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grading.folding import ascii_letters, fold
from grading.models import CitationMention
from grading.pubmed.identity import title_stop

TITLE_WORD_RE = re.compile(r"[^\W\d_][^\W_]{3,}")
MAX_TITLE_WORDS = 8


@dataclass(frozen=True)
class Step:
    name: str  # what the step combines: "author+year+title"
    term: str  # the esearch term


def clean(value: str) -> str:
    return " ".join(re.sub(r"[\[\]\"()*]", " ", value).split())


def author(name: str, tag: str = "au") -> str:
    """'McVartola UK' -> 'McVartola UK[1au]'; a surname of several words is quoted, so the tag
    takes all of it: '"Dos Vantos Orrina"[1au]'. Accents kept out (PubMed folds them too)."""
    name = ascii_letters(clean(name)).replace(".", "")
    parts = name.split()
    if len(parts) > 1 and len(parts[-1]) <= 3 and parts[-1].isupper():
        parts = parts[:-1]  # initials
    return f'"{name}"[{tag}]' if len(parts) > 1 else f"{name}[{tag}]"


def word(w: str, tag: str = "tiab") -> str:
    """A topic/title word; a plural truncated so the singular meets it too: 'tablets' -> 'tablet*'."""
    w = fold(w)
    if len(w) >= 3 and w.endswith("s") and w[-2].isdigit():  # "omega-3s": the name is "omega-3"
        w = w[:-1]
    if len(w) >= 6 and w.isalpha() and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return f"{w[:-1]}*[{tag}]"
    return f"{w}[{tag}]"


def years(year: int, spread: int = 0) -> str:
    return f"{year}[dp]" if not spread else f"{year - spread}:{year + spread}[dp]"


def journal(name: str) -> str:
    """A journal name; written with "&" or "and", either spelling is asked for (catalogues differ)."""
    name = clean(name).rstrip(".")
    spellings = dict.fromkeys([name, re.sub(r"[ \t]+&[ \t]+", " and ", name), re.sub(r"[ \t]+and[ \t]+", " & ", name)])
    if len(spellings) == 1:
        return f'"{name}"[ta]'
    return "(" + " OR ".join(f'"{n}"[ta]' for n in spellings) + ")"


def title_words(title: str | None, limit: int = MAX_TITLE_WORDS) -> list[str]:
    """The title's content words, longest (most telling) first."""
    found = [w for w in dict.fromkeys(fold(x) for x in TITLE_WORD_RE.findall(title or "")) if w not in title_stop()]
    return sorted(found, key=len, reverse=True)[:limit]


def join(*terms: str | None) -> str:
    return " AND ".join(dict.fromkeys(t for t in terms if t))


def steps(m: CitationMention) -> list[Step]:
    """Every search worth trying for `m`, strictest first; duplicates dropped."""
    if m.kind == "title":
        out = title_steps(m)
    elif m.kind == "narrative":
        out = narrative_steps(m)
    else:
        out = reference_steps(m)
    seen: set[str] = set()
    return [s for s in out if s.term and not (s.term in seen or seen.add(s.term))]


def topic(m: CitationMention, n: int) -> list[str]:
    return [word(w) for w in m.topic[:n]]


def reference_steps(m: CitationMention) -> list[Step]:
    first = author(m.authors[0], "1au") if m.authors else None
    tw = title_words(m.title)
    out = []
    if first and m.year and tw:
        out.append(Step("author+year+title", join(first, years(m.year), *[word(w, "ti") for w in tw[:3]])))
    if first and tw:
        out.append(Step("author+title, year±1", join(first, years(m.year, 1) if m.year else None,
                                                    *[word(w) for w in tw[:2]])))
    if m.journal and m.year and (m.volume or m.first_page):
        out.append(Step("journal+year+volume/page", join(journal(m.journal), years(m.year),
                                                          m.volume and f"{clean(m.volume)}[vi]",
                                                          m.first_page and f"{clean(m.first_page)}[pg]")))
    if m.first_page and m.first_page[:2].upper() == "CD":  # a Cochrane review number
        out.append(Step("review number", join(f"{clean(m.first_page)}[pg]", m.year and years(m.year, 1))))
    if first and m.year and m.topic:
        out.append(Step("author+year+topic", join(first, years(m.year), *topic(m, 2))))
    if len(tw) >= 3:
        out.append(Step("title words", join(*[word(w, "ti") for w in tw[:4]], m.year and years(m.year, 1))))
    if first and len(m.authors) > 1:  # co-authors are identity too: "Dolotov OV, Karpenko EA, et al."
        out.append(Step("author+co-authors", join(first, *[author(a) for a in m.authors[1:3]],
                                                   m.year and years(m.year, 1))))
    if first and m.year:
        out.append(Step("author+year", join(first, years(m.year))))
    return out


def narrative_steps(m: CitationMention) -> list[Step]:
    out = []
    year = m.year and years(m.year, 1)
    if m.authors:
        person = author(m.authors[0], "1au" if m.design == "first-author" else "au")
        out += [Step("person+topic", join(person, *topic(m, 3))), Step("person+fewer topic", join(person, *topic(m, 2)))]
        if year:
            out.append(Step("person+year±1", join(person, year)))
    if m.acronym:
        out.append(Step("acronym+topic", join(f"{clean(m.acronym)}[tiab]", *topic(m, 2))))
        expansion = title_words(m.title, 6)
        if expansion:
            out.append(Step("expansion+topic", join(*[word(w) for w in expansion], *topic(m, 1))))
        if year:
            out.append(Step("acronym+year±1", join(f"{clean(m.acronym)}[tiab]", year)))
    if m.journal:
        out += [Step("journal+topic", join(journal(m.journal), *topic(m, 3))),
                Step("journal+fewer topic", join(journal(m.journal), *topic(m, 2)))]
        if year:
            out.append(Step("journal+year±1+topic", join(journal(m.journal), year, *topic(m, 1))))
    if m.affiliation:
        place = clean(m.affiliation.split(" in ")[0])
        out += [Step("affiliation+topic", join(f'"{place}"[ad]', *topic(m, 3))),
                Step("affiliation+fewer topic", join(f'"{place}"[ad]', *topic(m, 2)))]
    if len(m.topic) >= 3 and (year or m.design):
        out.append(Step("topic+year±1", join(*topic(m, 3), year)))
        first, second, third = topic(m, 3)  # one word may be the page's, not the paper's: drop each in turn
        out += [Step("topic pair+year±1", join(a, b, year)) for a, b in ((first, third), (second, third))]
    return out


def title_steps(m: CitationMention) -> list[Step]:
    tw = title_words(m.title, 12)
    out = []
    if len(tw) >= 3:
        out.append(Step("title", join(*[f"{w}[ti]" for w in tw[:MAX_TITLE_WORDS]])))
        out.append(Step("title, fewer words", join(*[word(w, "ti") for w in tw[:4]])))
    head = title_words((m.title or "").split(":")[0], 5)
    if len(head) >= 2:
        out.append(Step("title head", join(*[word(w) for w in head])))
    return out
