"""The rubric file (grading.engine.rubric): validated at load with one-line errors; its thresholds and rule
list change grades; its version is carried into every grade."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grading.engine.rubric import RubricError, load_rubric
from grading.settings import bundled_path
from tests.test_grade_cases import CASES, grade_case

BUNDLED = bundled_path("rubric.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_rubric_loads():
    rubric = load_rubric(bundled_path("rubric.toml"))
    assert rubric.version and rubric.start["rct"] == "high" and rubric.start["case_report"] == "very low"
    assert rubric.threshold("optimal_information_size") == 400


@pytest.mark.parametrize("old, new, message", [
    ('version = "', 'version = "" #', "version"),
    ("rct = \"high\"", "rct = \"excellent\"", "[start].rct"),
    ("optimal_information_size = 400", "optimal_information_size = \"many\"", "optimal_information_size"),
    ("small_body = 100", "small_body = 1000", "small_body cannot exceed"),
    ("figure_not_found_change = 0", "figure_not_found_change = 1", "figure_not_found_change"),
    ('imprecision = ["imprecision.participants"]', 'imprecision = ["imprecision.guesswork"]', "unknown rule"),
    ('imprecision = ["imprecision.participants"]', 'imprecision = ["upgrade.large_effect"]', "belongs to domain"),
    ('start = ["start.design"]', "start = []", "start.design"),
    ('version = "', 'colour = "blue"\nversion = "', "unknown key"),
    ("\n[rules]\n", "\n[rules]\nluck = []\n", "unknown domain"),
])
def test_an_invalid_rubric_is_refused_in_one_line(tmp_path, old, new, message):
    assert old in BUNDLED
    with pytest.raises(RubricError) as err:
        load_rubric(write(tmp_path, BUNDLED.replace(old, new, 1)))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(RubricError, match="no such rubric file"):
        load_rubric(tmp_path / "absent.toml")
    with pytest.raises(RubricError, match="not valid TOML"):
        load_rubric(write(tmp_path, "version = [unclosed"))


def case(case_id: str) -> dict:
    return next(c for c in CASES if c["id"] == case_id)


def test_a_changed_threshold_changes_the_grade_and_the_version_travels(tmp_path):
    strict = BUNDLED.replace("optimal_information_size = 400", "optimal_information_size = 1000")
    strict = re.sub(r'version = "[^"]*"', 'version = "test-strict"', strict)
    rubric = load_rubric(write(tmp_path, strict))
    before, _ = grade_case(case("rat-claim-rat-evidence-large"))  # 420 rats: enough at 400, not at 1000
    after, _ = grade_case(case("rat-claim-rat-evidence-large"), rubric)
    assert (before.certainty, after.certainty) == ("low", "very low")
    assert after.rubric_version == "test-strict" and before.rubric_version != "test-strict"
    assert any(r.rule_id == "imprecision.participants" for r in after.reasons)


def test_a_rule_left_out_of_the_rubric_does_not_run(tmp_path):
    rubric = load_rubric(write(tmp_path, BUNDLED.replace('"support.direction", ', "")))
    grade, _ = grade_case(case("open-small-rct-no-difference"), rubric)
    assert all(r.rule_id != "support.direction" for r in grade.reasons) and grade.status == "graded"


def test_start_levels_come_from_the_rubric(tmp_path):
    rubric = load_rubric(write(tmp_path, BUNDLED.replace('case_report = "very low"', 'case_report = "low"')))
    grade, _ = grade_case(case("case-report"), rubric)
    assert grade.certainty == "very low"  # low start, then one small study: -2, floored
    assert "starts at low" in next(r.explanation for r in grade.reasons if r.rule_id == "start.design")
