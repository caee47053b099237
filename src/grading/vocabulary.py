"""The bundled vocabularies (src/grading/data/*_vocabulary.toml), each read and validated once,
at a run's start: a missing key or a wrong type is a one-line error naming the file and the key,
before any work, not a KeyError in the middle of a run.

One pydantic model per file. The models name what the code reads and its type; they allow keys
they do not name (a vocabulary may grow ahead of its model). The modules that use a vocabulary
keep compiling it themselves (grading.documents.claims, grading.engine.record_reading, ...).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from grading.errors import GradingError
from grading.settings import bundled_path

Words = list[str]
Groups = dict[str, Words]


class VocabularyError(GradingError):
    """A vocabulary file cannot be used; the message is one line naming the file and the key."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _ReferenceList(_Part):
    headings: Words
    label_words: str
    source_label_words: str


class _AuthorYear(_Part):
    not_authors: str


class CitationVocabulary(_Part):
    reference_list: _ReferenceList
    author_year: _AuthorYear


class _ClaimTypes(_Part):
    precedence: Words
    cues: dict[str, Any]


class _Predicate(_Part):
    verbs: str
    irregular: str
    modals: str
    ambiguous: str
    negations: str
    bare_subjects: str
    determiners: str
    phrases: Words


class _Segmentation(_Part):
    abbreviations: str
    glued_labels: Words
    minor_words: str


class ClaimVocabulary(_Part):
    claim_types: _ClaimTypes
    predicate: _Predicate
    fragments: dict[str, str | Words]
    non_claims: dict[str, Words | str]
    segmentation: _Segmentation


class ClaimReadingVocabulary(_Part):
    effect_verbs: Words
    lead_ins: Words
    agent_ends: Words
    anaphora: Words
    intervention_before: Words
    intervention_after: Words
    not_substance: str
    population: Groups
    direction: Groups
    routes: Groups


class EvidenceVocabulary(_Part):
    publication_types: list[list[Any]]
    non_english_publication_type: str
    mesh: dict[str, Any]
    species: Groups
    population: Groups
    sample: Groups
    numbers: dict[str, int]
    design_counts: dict[str, int]
    design: dict[str, Any]
    flags: Groups
    effects: Groups
    direction: Groups
    stated_certainty: Groups


class OutcomeVocabulary(_Part):
    surrogate: Words
    clinical: Words
    patient_group: Words
    healthy_group: Words
    families: Groups


class TopicVocabulary(_Part):
    generic: str


class _Sections(_Part):
    references: Words
    study: Words
    findings: Words
    background: Words
    details: Words


class _Scope(_Part):
    study_cues: Words
    outside_facts: Words
    anaphora_singular: Words
    anaphora_plural: Words
    cataphora: Words
    study_headings: Words


class DocumentVocabulary(_Part):
    """data/document_vocabulary.toml: section names of the document model, citation scope cues."""

    sections: _Sections
    scope: _Scope


MODELS: dict[str, type[BaseModel]] = {
    "document_vocabulary.toml": DocumentVocabulary,
    "citation_vocabulary.toml": CitationVocabulary,
    "claim_vocabulary.toml": ClaimVocabulary,
    "claim_reading_vocabulary.toml": ClaimReadingVocabulary,
    "evidence_vocabulary.toml": EvidenceVocabulary,
    "outcome_vocabulary.toml": OutcomeVocabulary,
    "topic_vocabulary.toml": TopicVocabulary,
}


def read_vocabulary(path: Path, model: type[BaseModel]) -> BaseModel:
    """One file, parsed and validated; VocabularyError names the file and the first bad key."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise VocabularyError(f"{path}: cannot read vocabulary ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"{path}: not valid TOML ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise VocabularyError(f"{path}: key {key}: {first['msg'].lower()}{more}") from None


@cache
def load_vocabularies() -> dict[str, BaseModel]:
    """Every bundled vocabulary, validated once per process."""
    return {name: read_vocabulary(bundled_path(name), model) for name, model in MODELS.items()}
