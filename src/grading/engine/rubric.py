"""The rubric file (data/rubric.toml, or GRADING_RUBRIC / --rubric): loaded and validated once at
start, then passed down. Its `version` is stored with every grade; a changed file re-grades the
stored claims without re-fetching (`grading regrade`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grading.engine.rules import REGISTRY
from grading.errors import GradingError
from grading.models import CERTAINTY_LEVELS, STUDY_DESIGNS
from grading.validation import check_rubric_shape, read_toml

DESIGNS = STUDY_DESIGNS
# The domains the engine runs, in order: screening first, then GRADE's, then the checks beyond it.
DOMAINS = ("retraction", "identity", "relevance", "support", "start", "risk_of_bias", "inconsistency", "indirectness",
           "imprecision", "publication_bias", "upgrade", "review", "numbers")
THRESHOLDS = {  # name -> (lowest, highest) allowed
    "optimal_information_size": (1, 1_000_000),
    "small_body": (1, 1_000_000),
    "large_effect": (1.0, 1000.0),
    "very_large_effect": (1.0, 1000.0),
    "figure_not_found_change": (-2, 0),
    "harms_information_size": (1, 10_000_000),
}
TOP_LEVEL = {"version", "unspecified_population_is_human", "start", "thresholds", "rules"}


class RubricError(GradingError):
    """The rubric file is invalid; one line saying where."""


@dataclass(frozen=True)
class Rubric:
    version: str
    start: dict[str, str]  # design -> starting certainty
    thresholds: dict[str, float]
    rules: dict[str, tuple[str, ...]]  # domain -> rule ids, in order
    unspecified_population_is_human: bool

    def start_level(self, design: str) -> int:
        return CERTAINTY_LEVELS.index(self.start.get(design, "very low"))

    def threshold(self, name: str) -> float:
        return float(self.thresholds[name])

    def enabled(self, rule_id: str) -> bool:
        return any(rule_id in ids for ids in self.rules.values())


def load_rubric(path: Path) -> Rubric:
    """Read and validate a rubric file; RubricError (one line) on anything wrong."""

    return parse_rubric(read_toml(path, "rubric file", RubricError), str(path))


def parse_rubric(data: dict, where: str = "rubric") -> Rubric:

    check_rubric_shape(data, where, RubricError)  # types, lists, each rule once (grading.validation)
    if unknown := set(data) - TOP_LEVEL:
        raise RubricError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RubricError(f"{where}: needs a non-empty string `version`")
    start = data.get("start", {})
    for design in DESIGNS:
        if start.get(design) not in CERTAINTY_LEVELS:
            raise RubricError(f"{where}: [start].{design} must be one of {', '.join(CERTAINTY_LEVELS)}")
    if unknown := set(start) - set(DESIGNS):
        raise RubricError(f"{where}: [start] names unknown design(s) {', '.join(sorted(unknown))}")
    thresholds = data.get("thresholds", {})
    for name, (low, high) in THRESHOLDS.items():
        value = thresholds.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise RubricError(f"{where}: [thresholds].{name} must be a number from {low} to {high}")
    if unknown := set(thresholds) - set(THRESHOLDS):
        raise RubricError(f"{where}: [thresholds] names unknown threshold(s) {', '.join(sorted(unknown))}")
    if thresholds["small_body"] > thresholds["optimal_information_size"]:
        raise RubricError(f"{where}: [thresholds].small_body cannot exceed optimal_information_size")
    if thresholds["very_large_effect"] < thresholds["large_effect"]:
        raise RubricError(f"{where}: [thresholds].very_large_effect cannot be below large_effect")
    rules = {domain: tuple(ids) for domain, ids in data.get("rules", {}).items()}
    for domain, ids in rules.items():
        if domain not in DOMAINS:
            raise RubricError(f"{where}: [rules] names unknown domain {domain!r}")
        for rule_id in ids:
            if rule_id not in REGISTRY:
                raise RubricError(f"{where}: [rules].{domain} names unknown rule {rule_id!r}")
            if REGISTRY[rule_id].domain != domain:
                raise RubricError(f"{where}: rule {rule_id!r} belongs to domain {REGISTRY[rule_id].domain!r}")
    if "start.design" not in rules.get("start", ()):
        raise RubricError(f"{where}: [rules].start must include start.design")
    flag = data.get("unspecified_population_is_human", True)
    if not isinstance(flag, bool):
        raise RubricError(f"{where}: unspecified_population_is_human must be true or false")
    return Rubric(version=version.strip(), start=dict(start), thresholds=dict(thresholds), rules=rules,
                  unspecified_population_is_human=flag)
