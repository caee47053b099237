"""The record reader's cue patterns (grading.engine.record_text): alternatives sharing a first
letter are grouped for speed, with the same matches, in the same order, as the plain alternation;
the species scan names each match's species as the one-group-per-species pattern does."""

from __future__ import annotations

import re

from grading.engine.record_text import by_first_letter, cues, plain_start, prepare, triggers

PHRASES = ["case reports?", "case", "cohort", "(?:a|one) case", "[1-5] cases", "cases?|series", "c?ase",
           "controlled", "control", "a case", " case"]
TEXTS = ["a case report of one case and 3 cases in a cohort", "case series", "controlled trial control",
         "one case a case", " case", "ase case reports casework", ""]


def test_plain_start_only_for_a_letter_matched_once_and_no_top_level_bar() -> None:
    assert plain_start("case reports?") and plain_start(" case") and plain_start("a(?:b|c)")
    assert not plain_start("c?ase") and not plain_start("(?:a|one) case") and not plain_start("[1-5] cases")
    assert not plain_start("cases?|series") and not plain_start("c") and not plain_start("a[|]b|c")
    assert plain_start(r"a\|b") and plain_start("a[|]b")


def test_grouped_alternation_matches_as_the_plain_one() -> None:
    plain = re.compile(rf"(?<!\w)(?:{'|'.join(PHRASES)})(?!\w)")
    grouped = re.compile(rf"(?<!\w)(?:{by_first_letter(PHRASES)})(?!\w)")
    assert grouped.pattern != plain.pattern
    for text in TEXTS:
        assert [m.span() for m in grouped.finditer(text)] == [m.span() for m in plain.finditer(text)], text
        assert [m.span() for m in re.finditer(f"(?:{by_first_letter(PHRASES)})", text)] == \
            [m.span() for m in re.finditer(f"(?:{'|'.join(PHRASES)})", text)], text


def test_species_hits_name_the_species_as_one_group_per_species_would() -> None:
    c = cues()
    text = prepare("Twelve rats and 24 healthy volunteers; mice were not used. Patients with gout and a dog.")
    fast = [(m.span(), c.species_names[m.lastgroup or ""]) for m in c.species.hits(text)]
    assert c.species.exclude is not None and c.species.naming is not None
    blocked = [m.span() for m in c.species.exclude.finditer(text.low)]
    slow = [(m.span(), c.species_names[m.lastgroup or ""]) for m in c.species.naming.finditer(text.low)
            if not any(s < m.end() and m.start() < e for s, e in blocked)]
    assert fast == slow
    assert [name for _, name in fast] == ["rat", "human", "mouse", "human", "dog"]


def test_a_cue_trigger_finds_what_the_plain_alternation_of_its_word_starts_finds() -> None:
    phrases = ["case reports?", "cases? series", "(?:is|are) reviewed", "rats?", "rat-fed", "in vitro"]
    grouped = triggers(phrases)
    assert grouped is not None
    plain = re.compile("|".join(re.escape(s) for s in (" case", " is reviewed", " are reviewed", " rat", " in vitro")))
    for text in ["a case-control study", "rats were fed", "the literature is reviewed here", "in vitro work",
                 "no cue at all", "encase", "pirate", "cases series"]:
        spaced = prepare(text).spaced
        assert bool(grouped.search(spaced)) == bool(plain.search(spaced)), text
