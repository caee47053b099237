"""The population a sentence is about: people, animals, cells or none named. One reader, used for the
population stored with each claim (grading.documents.claims) and by the engine's reading of a claim
(grading.engine.claim_reading), so the two never disagree.

Read as a reader would: people outrank animals when both are named ("shown in rats and in humans"
is about people); cells in a dish are cells, human cells included ("cultured human neurons"), unless
people are named too; an organism's name inside a substance ("fish oil"), a reagent or a disease
("bovine serum albumin", "swine flu"; `animal_not`) or a comparison lead-in ("Like fish oil, X …")
names no population. Words live in data/evidence_vocabulary.toml ([species], [population]) and
data/claim_reading_vocabulary.toml ([population] cells).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from grading.models import Population
from grading.settings import bundled_path

PopulationKind = Literal["human", "animal", "cells", "unspecified"]

# "human" before a word is an adjective ("human neurons", "human serum"): people only in these phrases.
HUMAN_PEOPLE = re.compile(r"human(?:s|\s+(?:subjects|volunteers|participants|patients|trials?|studies|study|beings))\b",
                          re.IGNORECASE)
COMPARISON_LEAD = re.compile(r"\s*(?:like|unlike|as with|similar to)\b[^,]*,", re.IGNORECASE)


@dataclass(frozen=True)
class PopulationReading:
    kind: PopulationKind
    span: tuple[int, int] | None  # offsets into the text of the word it rests on
    species: frozenset[str]  # "rat", "mouse" … when animals (or their cells) are named


@dataclass(frozen=True)
class _Words:
    species: re.Pattern[str]  # one named group per species
    species_names: dict[str, str]
    animal: re.Pattern[str]
    not_animal: re.Pattern[str]
    human: re.Pattern[str]
    cells: re.Pattern[str]


def _any(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + r")(?![\w])", re.IGNORECASE)


@cache
def _words() -> _Words:
    with open(bundled_path("evidence_vocabulary.toml"), "rb") as fh:
        evidence = tomllib.load(fh)
    with open(bundled_path("claim_reading_vocabulary.toml"), "rb") as fh:
        reading = tomllib.load(fh)
    species = {k: v for k, v in evidence["species"].items() if k != "human"}
    names = {f"s{i}": name for i, name in enumerate(species)}
    alternatives = "|".join(f"(?P<{g}>{'|'.join(sorted(species[n], key=len, reverse=True))})" for g, n in names.items())
    return _Words(
        species=re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w])", re.IGNORECASE), species_names=names,
        animal=_any(evidence["population"]["animal"] + ["preclinical", "pre-clinical", "veterinary"]),
        not_animal=_any(evidence["population"]["animal_not"]),
        human=_any(evidence["species"]["human"] + ["users?", "athletes", "clinical(?:ly)?"]),
        cells=_any(reading["population"]["cells"]),
    )


def read_population(text: str, skip: Sequence[tuple[int, int]] = ()) -> PopulationReading:
    """The population `text` names; `skip` spans (the claim's substances) name none."""
    w = _words()
    skipped = list(skip) + [(m.start(), m.end()) for m in w.not_animal.finditer(text)]
    if lead := COMPARISON_LEAD.match(text):
        skipped.append((0, lead.end()))

    def kept(m: re.Match[str]) -> bool:
        return not any(a <= m.start() < b for a, b in skipped)

    species = [(w.species_names[m.lastgroup or ""], m) for m in w.species.finditer(text) if kept(m)]
    animal = [m for _, m in species] + [m for m in w.animal.finditer(text) if kept(m)]
    human = [m for m in w.human.finditer(text)
             if m.group(0).lower() != "human" or HUMAN_PEOPLE.match(text, m.start())]
    named = frozenset(n for n, _ in species)
    cells = w.cells.search(text)
    if cells and not human:
        return PopulationReading("cells", cells.span(), named)
    if human:
        return PopulationReading("human", human[0].span(), frozenset())
    if animal:
        first = min(animal, key=lambda m: m.start())
        return PopulationReading("animal", first.span(), named)
    return PopulationReading("unspecified", None, frozenset())


def stored_population(reading: PopulationReading) -> Population:
    """The claim's population as the warehouse stores it (human | animal | unspecified): cells count as
    animal only when an animal is named; human or unnamed cells in a dish are no person."""
    if reading.kind == "cells":
        return "animal" if reading.species else "unspecified"
    return reading.kind


def is_people_word(word: str) -> bool:
    """"adults", "patients", "users": a word naming people (not what a claim is about)."""
    return bool(_words().human.fullmatch(word))
