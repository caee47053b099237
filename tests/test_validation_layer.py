"""One validating layer (grading.validation): rubric, sources list and settings errors are one
line naming the file or variable and the key; a rule listed twice is refused."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from grading.cli import main
from grading.documents.sources_list import SourcesListError, read_sources_list
from grading.engine.rubric import RubricError, load_rubric, parse_rubric
from grading.settings import Settings, SettingsError, bundled_path

RUBRIC = tomllib.loads(bundled_path("rubric.toml").read_text(encoding="utf-8"))


def changed(**top: object) -> dict:
    data = copy.deepcopy(RUBRIC)
    data.update(top)
    return data


def rules_with(domain: str, ids: object) -> dict:
    data = copy.deepcopy(RUBRIC)
    data["rules"][domain] = ids
    return data


@pytest.mark.parametrize("data, message", [
    (changed(start="nope"), "rubric.toml: start: Input should be a valid dictionary"),
    (rules_with("imprecision", "imprecision.participants"), "rubric.toml: rules.imprecision: Input should be a valid list"),
    (rules_with("imprecision", ["imprecision.participants"] * 3),
     "rubric.toml: rules: imprecision lists 'imprecision.participants' more than once; a rule fires once"),
    (changed(thresholds="many"), "rubric.toml: thresholds: Input should be a valid dictionary"),
    (changed(version=3), "rubric.toml: version: Input should be a valid string"),
    (changed(unspecified_population_is_human="yes"), "rubric.toml: unspecified_population_is_human:"),
])
def test_rubric_shape_errors_are_one_line_naming_file_and_key(data: dict, message: str) -> None:
    with pytest.raises(RubricError) as err:
        parse_rubric(data, "rubric.toml")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_the_bundled_rubric_lists_each_rule_once() -> None:
    for ids in RUBRIC["rules"].values():
        assert len(ids) == len(set(ids))
    parse_rubric(copy.deepcopy(RUBRIC))


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, b"version = \"1\"\x00\x01", "é".encode("latin-1")])
def test_a_binary_rubric_or_sources_list_names_the_file(tmp_path: Path, content: bytes) -> None:
    rubric, listed = tmp_path / "rubric.toml", tmp_path / "sources.toml"
    rubric.write_bytes(content)
    listed.write_bytes(content)
    with pytest.raises(RubricError, match=f"^{rubric}: not a rubric file: "):
        load_rubric(rubric)
    with pytest.raises(SourcesListError, match=f"^{listed}: not a sources list: "):
        read_sources_list(listed)


@pytest.mark.parametrize("text, message", [
    ('source = "data/sources"\n', "source: needs at least one [[source]] entry"),
    ('[[source]]\npath = ["a"]\n', "source.#1.path: Input should be a valid string"),
    ('[[source]]\npath = "a"\ntag = ["x"]\n', "source.#1.tag: Extra inputs are not permitted"),
    ('[[source]]\npath = "a"\ntags = "x"\n', "source.#1.tags: tags must be a list of non-empty strings"),
])
def test_sources_list_shape_errors_name_the_entry_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourcesListError) as err:
        read_sources_list(path)
    assert str(err.value) == f"{path}: {message}"


@pytest.mark.parametrize("name, value, message", [
    ("GRADING_HTTP_TIMEOUT", "abc", "GRADING_HTTP_TIMEOUT='abc': must be a number greater than 0"),
    ("GRADING_HTTP_TIMEOUT", "0", "GRADING_HTTP_TIMEOUT='0': must be a number greater than 0"),
    ("GRADING_RECORD_MAX_AGE_DAYS", "-3", "GRADING_RECORD_MAX_AGE_DAYS='-3': must be a number of 0 or more"),
    ("GRADING_REVISION_CHECK_HOURS", "-1", "GRADING_REVISION_CHECK_HOURS='-1': must be a number of 0 or more"),
    ("GRADING_LOCK_WAIT", "nan", "GRADING_LOCK_WAIT='nan': must be a number of 0 or more"),
    ("GRADING_MAX_SOURCE_BYTES", "1.5e6", "GRADING_MAX_SOURCE_BYTES='1.5e6': must be a whole number greater than 0"),
])
def test_settings_errors_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({name: value})
    assert str(err.value) == message


def test_valid_settings_still_read() -> None:
    s = Settings.from_env({"GRADING_HTTP_TIMEOUT": " 2.5 ", "GRADING_RECORD_MAX_AGE_DAYS": "0",
                           "GRADING_MAX_SOURCE_BYTES": "1000"})
    assert (s.http_timeout, s.record_max_age_days, s.max_source_bytes) == (2.5, 0.0, 1000)


def test_the_cli_prints_the_settings_error_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GRADING_HTTP_TIMEOUT", "abc")
    assert main(["sql", "SELECT 1", "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert capsys.readouterr().err == "grading: error: GRADING_HTTP_TIMEOUT='abc': must be a number greater than 0\n"
