"""Per-file failures stay per-file: odd names, deep folders, symlink loops and `http:`-looking
local names are one line each; the other documents are read (and graded, exit 1)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.documents.sources import is_url, read_source, read_sources

GOOD = "Zinc lozenges shorten the common cold in adults (PMID: 11111111).\n"


def bad_name(folder: Path) -> Path:
    """A file whose name is not valid UTF-8 (byte 0xff), as copied from an old archive."""
    raw = os.path.join(os.fsencode(folder), b"old\xffname.txt")
    with open(raw, "wb") as fh:
        fh.write(GOOD.encode())
    return Path(os.fsdecode(raw))


def deep_folder(folder: Path) -> Path:
    """A folder nested past PATH_MAX (4096 bytes), with a document at the bottom."""
    top = folder / "deep"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(25):
            os.mkdir("d" * 200, dir_fd=fd)
            nxt = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        doc = os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(doc, GOOD.encode())
        os.close(doc)
    finally:
        os.close(fd)
    return top


def loop(folder: Path) -> Path:
    a, b = folder / "loop-a.txt", folder / "loop-b.txt"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def test_is_url_needs_a_host() -> None:
    assert is_url("https://example.org/a") and is_url("HTTP://example.org")
    assert not is_url("http:notaurl.txt") and not is_url("https:/one-slash.md") and not is_url("notes.txt")


def test_a_local_file_named_like_a_url_is_read_as_a_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("http:notaurl.txt").write_text(GOOD)
    src = read_source("http:notaurl.txt")
    assert src.text == GOOD and src.url is None


def test_a_symlink_loop_is_named_as_such(tmp_path: Path) -> None:
    sources, failures = read_sources([str(loop(tmp_path))])
    assert sources == [] and [f.message for f in failures] == [f"{tmp_path / 'loop-a.txt'}: symlink loop"]


def test_each_bad_name_fails_alone(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(GOOD)
    bad_name(docs)
    loop(docs)
    deep_folder(docs)
    sources, failures = read_sources([str(docs), str(tmp_path / "empty-folder-missing")])
    assert [Path(s.source).name for s in sources] == ["good.txt"]
    messages = sorted(f.message for f in failures)
    assert any(m.endswith("old\\xffname.txt: file name is not valid UTF-8; rename the file to read it")
               for m in messages), messages
    assert any(m.endswith("loop-a.txt: symlink loop") for m in messages)
    assert any(m.endswith("loop-b.txt: symlink loop") for m in messages)
    assert any("file name too long" in m for m in messages)
    assert any(m.endswith("empty-folder-missing: no such file or folder") for m in messages)
    for f in failures:
        f.message.encode("utf-8")  # storable and printable
        assert "\n" not in f.message


@pytest.mark.e2e
def test_a_run_over_bad_names_grades_the_rest_and_exits_1(tmp_path: Path, prefect_harness, capsys,
                                                           monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(GOOD)
    bad_name(docs)
    deep_folder(docs)
    loop(tmp_path)
    Path("http:notaurl.txt").write_text("Vitamin D lowers the risk of falls in older adults (PMID: 22222222).\n")
    code = main(["run", "docs", "loop-a.txt", "http:notaurl.txt", "--offline", "--warehouse", "w.duckdb",
                 "--reports", "r"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1, err
    err = [line for line in err if not line.startswith("grading: info: ")]  # progress lines (stderr no tty)
    assert all(line.startswith(("grading: error: ", "grading: warning: ")) for line in err), err
    assert "grading: error: loop-a.txt: symlink loop" in err
    assert sum("not valid UTF-8" in line for line in err) == 1
    assert sum("file name too long" in line for line in err) == 1
    con = duckdb.connect("w.duckdb", read_only=True)
    try:
        graded = {r[0] for r in con.execute("SELECT DISTINCT source FROM claim_grades").fetchall()}
        issues = con.execute("SELECT subject FROM run_issues").fetchall()
    finally:
        con.close()
    assert graded == {"docs/good.txt", "http:notaurl.txt"}
    assert any("\\xff" in s for (s,) in issues)
