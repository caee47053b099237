"""Reading documents: formats, encodings, bad input, URLs (served on loopback)."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest

from grading.documents.sources import SourceError, read_source, read_sources
from tests.helpers import local_web


def test_seed_text_kept_exactly(seeds_dir: Path) -> None:
    path = sorted(seeds_dir.glob("*.txt"))[1]
    src = read_source(str(path))
    assert src.text == path.read_text(encoding="utf-8")
    assert src.source == str(path)
    assert len(src.content_hash) == 64 and src.media_type == "text/plain"


def test_folder_expands_to_sorted_documents(seeds_dir: Path) -> None:
    sources, failures = read_sources([str(seeds_dir)])
    assert failures == []
    assert [Path(s.source).name[:3] for s in sources] == ["000", "001", "002"]


def test_content_hash_changes_with_text(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("Drug X lowers blood pressure.")
    h1 = read_source(str(p)).content_hash
    p.write_text("Drug X lowers blood pressure a lot.")
    assert read_source(str(p)).content_hash != h1


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"   \n\t  ", "empty"), (b"\x00\x01\x02binary\x00\xff" * 50, "binary"),
])
def test_bad_documents_give_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "doc.txt"
    p.write_bytes(content)
    with pytest.raises(SourceError) as err:
        read_source(str(p))
    assert message in str(err.value) and "\n" not in str(err.value) and str(p) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(str(tmp_path / "nope.txt"))


def test_non_utf8_is_detected(tmp_path: Path) -> None:
    text = "Le café améliore la mémoire chez les rats âgés, selon une étude récente publiée à Paris. " * 5
    p = tmp_path / "fr.txt"
    p.write_bytes(text.encode("cp1252"))
    src = read_source(str(p))
    assert "café améliore la mémoire" in src.text
    assert src.encoding != "utf-8"


def test_html_reduced_to_text_with_links(tmp_path: Path) -> None:
    p = tmp_path / "page.html"
    p.write_text("<html><head><script>alert(1)</script></head><body><nav>Home | Shop</nav><article>"
                 "<h1>Curcumin</h1><p>Curcumin reduced knee pain in 139 patients with osteoarthritis "
                 "<a href='https://pubmed.ncbi.nlm.nih.gov/24672232/'>[1]</a>. It was well tolerated.</p>"
                 "</article></body></html>")
    src = read_source(str(p))
    assert src.media_type == "text/html"
    assert "reduced knee pain" in src.text and "https://pubmed.ncbi.nlm.nih.gov/24672232/" in src.text
    assert "alert(1)" not in src.text


def test_malformed_html_still_read_or_refused_cleanly(tmp_path: Path) -> None:
    p = tmp_path / "broken.html"
    p.write_text("<html><body><p>Zinc shortens colds in adults<div><b>by two days</p></i></table>")
    src = read_source(str(p))
    assert "Zinc shortens colds" in src.text
    q = tmp_path / "nothing.html"
    q.write_text("<html><body><script>x()</script><div></div></body></html>")
    with pytest.raises(SourceError, match="no readable text"):
        read_source(str(q))


def test_one_bad_source_does_not_stop_the_others(tmp_path: Path, seeds_dir: Path) -> None:
    good = sorted(seeds_dir.glob("*.txt"))[2]
    sources, failures = read_sources([str(good), str(tmp_path / "missing.md")])
    assert len(sources) == 1 and len(failures) == 1 and "no such file" in failures[0].message


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/page":
            body = b"<html><body><p>Magnesium improved sleep quality in 46 elderly adults.</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"a" * 5000)
        elif self.path == "/image":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(b"\x89PNG....")
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def web() -> Iterator[str]:
    with local_web(_Handler) as url:
        yield url


def test_url_source(web: str) -> None:
    src = read_source(f"{web}/page")
    assert src.source == f"{web}/page" and "improved sleep quality" in src.text


@pytest.mark.parametrize("path, message", [
    ("/to-file", "non-http"), ("/missing", "HTTP 404"), ("/image", "content type"),
])
def test_url_failures(web: str, path: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        read_source(f"{web}{path}")


def test_url_size_limit(web: str) -> None:
    with pytest.raises(SourceError, match="limit"):
        read_source(f"{web}/huge", max_bytes=1000)


def test_other_schemes_refused() -> None:
    with pytest.raises(SourceError, match="only local files"):
        read_source("ftp://example.org/doc.txt")
