"""The rubric file: loaded and validated once at start, then passed down."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from grading.models import CERTAINTY_LEVELS

DESIGNS = ("systematic_review", "rct", "nonrandomized_trial", "observational", "case_report", "animal",
           "in_vitro", "review", "opinion", "unknown")


class RubricError(Exception):
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
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RubricError(f"{path}: no such rubric file") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML ({exc})") from None
    from grading.rules import REGISTRY  # the rule functions register themselves on import

    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise RubricError(f"{path}: needs a non-empty string `version`")
    start = data.get("start", {})
    for design in DESIGNS:
        if start.get(design) not in CERTAINTY_LEVELS:
            raise RubricError(f"{path}: [start].{design} must be one of {', '.join(CERTAINTY_LEVELS)}")
    thresholds = data.get("thresholds", {})
    for name in ("optimal_information_size", "small_body", "large_effect", "very_large_effect",
                 "figure_not_found_change"):
        if not isinstance(thresholds.get(name), (int, float)):
            raise RubricError(f"{path}: [thresholds].{name} must be a number")
    rules = {domain: tuple(ids) for domain, ids in data.get("rules", {}).items()}
    for domain, ids in rules.items():
        for rule_id in ids:
            if rule_id not in REGISTRY:
                raise RubricError(f"{path}: [rules].{domain} names unknown rule {rule_id!r}")
            if REGISTRY[rule_id].domain != domain:
                raise RubricError(f"{path}: rule {rule_id!r} belongs to domain {REGISTRY[rule_id].domain!r}")
    if "start" not in rules:
        raise RubricError(f"{path}: [rules] must include the start domain")
    return Rubric(version=version, start=dict(start), thresholds=dict(thresholds), rules=rules,
                  unspecified_population_is_human=bool(data.get("unspecified_population_is_human", True)))
