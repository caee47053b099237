"""The rubric's rules: one small function per rule, registered by GRADE domain.

A rule reads the `Body` and returns reasons. Screening rules (retraction, identity, relevance) also
add the PMIDs they exclude to `body.excluded`. Each reason carries the rule id, the change (-2..+2),
a one-line explanation and the text span it rests on: a stretch of the claim, or of a record's title
or abstract, with offsets. Nothing here names a substance or an outcome: vocabularies are data files
(data/*_vocabulary.toml); thresholds and which rules run come from the rubric (data/rubric.toml).
"""

from grading.engine.rules import (  # noqa: F401  (each module registers its rules on import)
    imprecision,
    inconsistency,
    indirectness,
    numbers,
    publication_bias,
    review,
    risk_of_bias,
    screening,
    start,
    support,
    upgrade,
)
from grading.engine.rules.base import REGISTRY, Rule

__all__ = ["REGISTRY", "Rule"]
