"""The vocabularies: every bundled file validates; a missing key or a wrong type is one line
naming the file and the key, raised at a run's start before anything is read or written."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grading import run, vocabulary
from grading.settings import Settings, bundled_path
from grading.vocabulary import MODELS, VocabularyError, load_vocabularies, read_vocabulary


def test_every_bundled_vocabulary_validates() -> None:
    loaded = load_vocabularies()
    assert set(loaded) == set(MODELS)
    data = Path(bundled_path("rubric.toml")).parent
    assert {p.name for p in data.glob("*_vocabulary.toml")} == set(MODELS)  # none left unvalidated


def write_broken(tmp_path: Path, name: str, edit) -> Path:  # type: ignore[no-untyped-def]
    text = Path(bundled_path(name)).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(edit(text), encoding="utf-8")
    return path


def test_a_renamed_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = write_broken(tmp_path, "outcome_vocabulary.toml", lambda t: t.replace("surrogate =", "surogate =", 1))
    with pytest.raises(VocabularyError) as err:
        read_vocabulary(path, MODELS["outcome_vocabulary.toml"])
    assert str(err.value).startswith(f"{path}: key surrogate: field required") and "\n" not in str(err.value)


def test_a_wrong_type_names_the_nested_key(tmp_path: Path) -> None:
    path = write_broken(tmp_path, "topic_vocabulary.toml", lambda t: "generic = 3\n")
    with pytest.raises(VocabularyError, match=r"key generic: input should be a valid string"):
        read_vocabulary(path, MODELS["topic_vocabulary.toml"])
    bad_toml = tmp_path / "claim_vocabulary.toml"
    bad_toml.write_text("[claim_types\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="not valid TOML"):
        read_vocabulary(bad_toml, MODELS["claim_vocabulary.toml"])
    assert tomllib.loads(Path(bundled_path("topic_vocabulary.toml")).read_text(encoding="utf-8"))


def test_a_run_refuses_a_broken_vocabulary_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = write_broken(tmp_path, "citation_vocabulary.toml", lambda t: t.replace("headings", "headigns", 1))
    real = vocabulary.bundled_path
    monkeypatch.setattr(vocabulary, "bundled_path", lambda name: broken if name == broken.name else real(name))
    load_vocabularies.cache_clear()
    try:
        settings = Settings.from_env({}, warehouse=tmp_path / "w.duckdb", reports=tmp_path / "r", offline=True)
        with pytest.raises(VocabularyError, match="citation_vocabulary.toml: key reference_list.headings"):
            run.grade_corpus(settings, [str(Path(bundled_path("snapshot.xml")))])
        assert not (tmp_path / "w.duckdb").exists()
    finally:
        load_vocabularies.cache_clear()
