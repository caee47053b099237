"""A truncated .gz baseline file is reported as truncated, not as an XML error at some line."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from grading.cli import main
from grading.settings import bundled_path
from grading.warehouse.baseline import gzip_truncated


def baseline_bytes(copies: int = 300) -> bytes:
    """A baseline-shaped file: the snapshot's articles repeated (several MB uncompressed)."""
    snap = bundled_path("snapshot.xml").read_text(encoding="utf-8")
    articles = re.findall(r"<PubmedArticle>.*?</PubmedArticle>", snap, re.DOTALL)
    head = snap[: snap.index("<PubmedArticle>")]
    return (head + "".join(articles * copies) + "</PubmedArticleSet>\n").encode()


def test_a_cut_gzip_file_is_named_truncated(tmp_path: Path, capsys) -> None:
    whole = gzip.compress(baseline_bytes())
    cut = tmp_path / "pubmed26n0002.xml.gz"
    cut.write_bytes(whole[: int(len(whole) * 0.6)])
    assert main(["ingest-baseline", str(cut), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"grading: error: {cut}: truncated: the gzip data ends before its end marker "
                   "(an interrupted download?); fetch it again")


def test_whole_plain_and_damaged_files_are_not_called_truncated(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xml.gz"
    whole.write_bytes(gzip.compress(b"<PubmedArticleSet></PubmedArticleSet>"))
    plain = tmp_path / "plain.xml"
    plain.write_bytes(b"<PubmedArticleSet>")
    assert not gzip_truncated(whole) and not gzip_truncated(plain)
    assert gzip_truncated(tmp_path / "missing.gz") is False
