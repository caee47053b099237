"""The sources list: entries, tags, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.documents.sources_list import ListedSource, SourcesListError, read_sources_list, tags_for


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sources.toml"
    p.write_text(text)
    return p


def test_reads_paths_urls_and_tags(tmp_path: Path) -> None:
    p = write(tmp_path, '[[source]]\npath = "docs"\ntags = ["vendor"]\n\n[[source]]\nurl = "https://example.org/a"\n')
    assert read_sources_list(p) == [ListedSource("docs", ("vendor",)), ListedSource("https://example.org/a", ())]


def test_files_in_a_listed_folder_inherit_its_tags() -> None:
    listed = [ListedSource("data/sources", ("demo",)), ListedSource("data/sources/a.txt", ("extra",)),
              ListedSource("https://x.org/p", ("news",))]
    assert tags_for("data/sources/a.txt", listed) == ("demo", "extra")
    assert tags_for("data/sources/b.txt", listed) == ("demo",)
    assert tags_for("https://x.org/p", listed) == ("news",)
    assert tags_for("elsewhere.txt", listed) == ()


@pytest.mark.parametrize("text, message", [
    ("", "at least one"),
    ('[[source]]\ntags = ["x"]\n', "exactly one of"),
    ('[[source]]\npath = "a"\nurl = "https://b"\n', "exactly one of"),
    ('[[source]]\nurl = "ftp://b"\n', "must be http"),
    ('[[source]]\npath = "a"\ntags = "x"\n', "tags must be a list"),
    ("[[source]\n", "not valid TOML"),
])
def test_bad_lists_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SourcesListError, match=message) as err:
        read_sources_list(write(tmp_path, text))
    assert "\n" not in str(err.value)


def test_bundled_list_names_the_bundled_corpus() -> None:
    listed = read_sources_list(Path(__file__).resolve().parents[1] / "data" / "sources.toml")
    assert [e.spec for e in listed] == ["data/sources"]
