"""Bad and hostile input: empty, binary, non-UTF-8, 50 MB and deeply nested documents, thousands
of citations, malformed and out-of-range ids, URLs that redirect to other schemes, stall,
trickle or send huge bodies; and properties (hypothesis) for the document reader, the
extractors and the PubMed XML parser: no exception escapes, every offset lies inside its text.

A bad document is one line on stderr and a `run_issues` row; the others are graded; nothing
is dropped without saying so. URLs are served by a loopback server the tests start.
"""

from __future__ import annotations

import dataclasses
import http.server
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grading import pipeline
from grading.cli import main
from grading.documents.sources import SourceError, read_source
from grading.engine.record_reading import Effect, TextSpan, read_record
from grading.pubmed.parser import parse_efetch_reply
from grading.testing.standin import EutilsStandin
from grading.warehouse.database import insert_frame, open_warehouse
from tests.helpers import local_web
from tests.reliability import latest_run_id, ledger_problems, rows

CLAIM = "Melatonin shortens jet lag in adult travellers (PMID: 16996037)."


# --- a loopback web server with misbehaving pages -------------------------------------------------

class _Pages(http.server.BaseHTTPRequestHandler):
    """Every reply ends by itself within a few seconds, whether or not the client is still there."""

    REDIRECTS: ClassVar[dict[str, str]] = {"/to-ftp": "ftp://example.org/doc.txt", "/to-file": "file:///etc/passwd",
                                           "/to-data": "data:text/plain,Zinc%20cures%20colds",
                                           "/to-javascript": "javascript:alert(1)", "/loop": "/loop"}

    def do_GET(self) -> None:
        try:
            self.reply()
        except OSError:
            pass  # the client gave up, as it should

    def reply(self) -> None:
        if self.path in self.REDIRECTS:
            self.send_response(302)
            self.send_header("Location", self.REDIRECTS[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/page":
            self.send_text(f"<html><body><article><p>{CLAIM}</p></article></body></html>".encode(), "text/html")
        elif self.path == "/stall":  # no reply at all for 4 s
            time.sleep(4)
            self.send_text(b"too late", "text/plain")
        elif self.path == "/trickle":  # a byte every 0.1 s: each read is quick, the whole is not
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(60):
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/declared-huge":  # says 1 GB up front
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            self.wfile.write(b"a" * 1000)
        elif self.path == "/endless":  # no length; 64 KB chunks until 8 MB
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(128):
                self.wfile.write(b"Zinc shortens colds. " * 3120)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def send_text(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    with local_web(_Pages) as url:
        yield url


@pytest.mark.parametrize("path", ["/to-ftp", "/to-file", "/to-data", "/to-javascript"])
def test_redirects_to_other_schemes_are_refused(web: str, path: str) -> None:
    with pytest.raises(SourceError) as err:
        read_source(f"{web}{path}", timeout=2)
    assert str(err.value) == f"{web}{path}: redirected to a non-http(s) URL; refused"


def test_a_redirect_loop_is_named_as_such(web: str) -> None:
    with pytest.raises(SourceError, match=r"/loop: redirect refused \(.*infinite loop"):
        read_source(f"{web}/loop", timeout=2)


@pytest.mark.parametrize("path, message, within", [
    ("/stall", "could not be fetched (timed out)", 2.5),  # nothing arrives: the socket timeout
    ("/trickle", "still sending after 0.5 s; refused (time limit)", 2.5),  # bytes keep coming: the deadline
    ("/declared-huge", "body of 1000000000 bytes is over the 100000-byte limit", 1.0),  # refused before reading
    ("/endless", "body is over the 100000-byte limit", 2.0),  # read only up to the limit
])
def test_url_time_and_size_limits(web: str, path: str, message: str, within: float) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        read_source(f"{web}{path}", timeout=0.5, max_bytes=100_000)
    assert str(err.value) == f"{web}{path}: {message}"
    assert time.monotonic() - started < within


# --- documents --------------------------------------------------------------------------------------

def nested_html(depth: int, claim: str = CLAIM) -> str:
    return ("<html><body><p>Zinc lozenges shorten colds in adults.</p>" + "<div>" * depth + f"<p>{claim}</p>"
            + "</div>" * depth + "</body></html>")


@pytest.mark.parametrize("depth", [300, 3000, 100_000])
def test_deeply_nested_html_loses_no_text(tmp_path: Path, depth: int) -> None:
    """Below 256 levels lxml keeps everything; deeper, libxml2 silently drops the deep part, so
    such pages are read without a tree. Both the shallow and the deep sentence survive."""
    page = tmp_path / "deep.html"
    page.write_text(nested_html(depth), encoding="utf-8")
    started = time.monotonic()
    src = read_source(str(page))
    assert time.monotonic() - started < 5.0
    assert "Zinc lozenges shorten colds in adults." in src.text and CLAIM in src.text


def test_unclosed_tags_and_deep_links_keep_their_targets(tmp_path: Path) -> None:
    page = tmp_path / "unclosed.html"
    page.write_text("<html><body>" + "<span><b>" * 20_000 + "Zinc shortens colds in adults "
                    "<a href='https://pubmed.ncbi.nlm.nih.gov/16996037/'>[1]</a>.<script>x()</script>", encoding="utf-8")
    src = read_source(str(page))
    assert "Zinc shortens colds in adults [[1]](https://pubmed.ncbi.nlm.nih.gov/16996037/)." in src.text
    assert "x()" not in src.text


def test_an_unreadable_file_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the process may not read (faked: tests run as root, which reads anything)."""
    from grading.documents.sources import read_sources

    locked, fine = tmp_path / "locked.md", tmp_path / "fine.md"
    locked.write_text("Zinc shortens colds in adults.\n", encoding="utf-8")
    fine.write_text(CLAIM + "\n", encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    sources, failures = read_sources([str(locked), str(fine)])
    assert [s.source for s in sources] == [str(fine)]
    message = f"{locked}: could not be read (PermissionError: [Errno 13] Permission denied: '{locked}')"
    assert [f.message for f in failures] == [message]


def test_a_list_column_empty_in_the_sampled_rows_still_loads(tmp_path: Path) -> None:
    """DuckDB typed `grades.pmids` from a sample of rows: in a corpus with thousands of uncited
    claims before a cited one, it read NULL[] and the whole load failed (a 4 MB document did)."""
    pmids = [[] for _ in range(30_000)]
    pmids[12_345] = [16996037]
    grades = pd.DataFrame({"run_id": "r", "claim_id": [f"c{i}" for i in range(30_000)], "certainty": "no evidence",
                           "status": "uncited", "pmids": pmids, "reasons": [["x"]] * 30_000, "rubric_version": "1"})
    with open_warehouse(tmp_path / "w.duckdb") as con:
        insert_frame(con, "grades", grades)
        assert rows(con, "SELECT count(*), max(len(pmids)) FROM grades") == [(30_000, 1)]


def write_bad_documents(folder: Path) -> dict[str, Path]:
    """One of each kind of bad document, plus good ones that must still be graded."""
    docs = {name: folder / name for name in (
        "empty.txt", "binary.txt", "latin1.txt", "cyrillic.txt", "deep.html", "huge.txt", "ids.md", "many.md",
        "good.md")}
    docs["empty.txt"].write_bytes(b"")
    docs["binary.txt"].write_bytes(bytes(range(256)) * 64)
    docs["latin1.txt"].write_bytes("Le café améliore la mémoire chez les rats âgés selon une étude "
                                   "(PMID: 16996037).\n".encode("cp1252"))
    docs["cyrillic.txt"].write_bytes("Семакс улучшает память у крыс согласно исследованию. Семакс снижает "
                                     "тревожность у взрослых людей (PMID: 16362768).\n".encode("cp1251"))
    docs["deep.html"].write_text(nested_html(5000), encoding="utf-8")
    with docs["huge.txt"].open("wb") as fh:  # 50 MB of text: over the 20 MB default limit
        line = b"Ginseng improves fatigue in adults with cancer according to several small trials.\n"
        fh.write(line * (50_000_000 // len(line) + 1))
    docs["ids.md"].write_text(
        "Vitamin K lowers fracture risk in adults (PMID: 0).\n"
        "Zinc shortens colds in adults (PMID: 123456789).\n"
        "Semax improves memory in rats (PMID: 99999999).\n"
        "Melatonin shortens jet lag in travellers (PMCID: PMC0).\n", encoding="utf-8")
    lines = [f"Peptide P{i} improves memory in rats (PMID: {20_000_000 + 7 * i})." for i in range(3000)]
    lines[5] = "Semax improves memory in rats (PMID: 16996037)."
    docs["many.md"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs["good.md"].write_text("Red ginseng oil promotes hair growth in mice (PMID: 28885585).\n", encoding="utf-8")
    return docs


@pytest.mark.e2e
def test_one_run_over_every_kind_of_bad_input(tmp_path: Path, web: str, prefect_harness, capsys,
                                             monkeypatch: pytest.MonkeyPatch, record_property) -> None:  # type: ignore[no-untyped-def]
    docs = write_bad_documents(tmp_path)
    urls = {name: f"{web}{name}" for name in ("/stall", "/trickle", "/declared-huge", "/to-ftp", "/page")}
    monkeypatch.setenv("GRADING_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("NCBI_API_KEY", "bad-input-test-key")
    with EutilsStandin([Path(__file__).parents[1] / "src/grading/data/snapshot.xml"], rate=None,
                       rate_with_key=None) as standin:
        started = time.monotonic()
        code = main(["run", *map(str, docs.values()), *urls.values(), "--warehouse", str(tmp_path / "w.duckdb"),
                     "--reports", str(tmp_path / "reports"), "--eutils-url", standin.base_url])
        elapsed = time.monotonic() - started
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("grading: ")]  # not Prefect's
    assert code == 1  # some documents could not be read; the rest were graded
    expected_errors = {
        docs["empty.txt"]: "document is empty", docs["binary.txt"]: "binary file, not a text document",
        docs["huge.txt"]: f"{docs['huge.txt'].stat().st_size} bytes is over the 20000000-byte limit",
        urls["/stall"]: "could not be fetched (timed out)", urls["/trickle"]: "refused (time limit)",
        urls["/declared-huge"]: "body of 1000000000 bytes is over the 20000000-byte limit",
        urls["/to-ftp"]: "redirected to a non-http(s) URL; refused",
    }
    errors = [line for line in err if line.startswith("grading: error: ")]
    for spec, message in expected_errors.items():
        assert any(line.startswith(f"grading: error: {spec}: ") and message in line for line in errors), (spec, err)
    assert len(errors) == len(expected_errors)
    assert any("'0' is not a valid PMID" in line for line in err)
    assert any("'123456789' is not a valid PMID" in line for line in err)
    assert elapsed < 90  # a 50 MB file, stalled and trickling URLs: refused, not waited for

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        run_id = latest_run_id(con)
        failed = dict(rows(con, "SELECT subject, message FROM run_issues WHERE run_id = ? AND stage = 'sources'",
                           run_id))
        assert set(failed) == set(map(str, expected_errors))  # every refusal is recorded with the run
        graded = {r[0]: r[1:] for r in rows(con, "SELECT source, encoding, text FROM source_versions "
                                                 "JOIN run_sources USING (source, content_hash) WHERE run_id = ?", run_id)}
        assert set(graded) == {str(docs[n]) for n in ("latin1.txt", "cyrillic.txt", "deep.html", "ids.md", "many.md",
                                                      "good.md")} | {urls["/page"]}
        for name, codec in (("latin1.txt", "cp1252"), ("cyrillic.txt", "cp1251")):  # detected, decoded exactly
            encoding, text = graded[str(docs[name])]
            assert encoding != "utf-8" and text == docs[name].read_bytes().decode(codec)
        claims = {t for (t,) in rows(con, "SELECT claim_text FROM claim_grades")}
        assert "Melatonin shortens jet lag in adult travellers" in claims  # from 5000 levels deep
        many = rows(con, "SELECT count(*), count(DISTINCT pmid) FROM citations WHERE source = ?", str(docs["many.md"]))
        assert many == [(3000, 3000)]
        outcomes = dict(rows(con, "SELECT outcome, count(*) FROM fetch_log WHERE run_id = ? GROUP BY 1", run_id))
        assert outcomes == {"fetched": 3, "not_found": 3000}  # 2999 made-up ids and 99999999: cleanly absent
        assert standin.requests["epost"] >= 1  # that many ids go through the history server
        ids = dict(rows(con, "SELECT value, resolution FROM citations WHERE source = ?", str(docs["ids.md"])))
        assert ids["0"] == ids["123456789"] == "not_found"
        assert ids["99999999"] == "resolved" and ids["PMC0"] != "resolved"
        problems = ledger_problems(con, run_id)
        record_property("records_lost", len(problems))
        assert problems == []
    finally:
        con.close()


# --- properties -----------------------------------------------------------------------------------

HTMLISH = st.sampled_from(["<html>", "<body>", "<p>", "</p>", "<div>" * 300, "</div>", "<a href='https://x.org/1'>",
                           "</a>", "<script>", "</script>", "&amp;", "&#0;", "\x00", "\xff", "é", "PMID: 1",
                           "Zinc shortens colds in adults.", "\ufeff", "\r\n", "<!--", "-->", "<![CDATA[", "]]>"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(data=b"<body><!", suffix=".html")  # found by hypothesis: a page that parses to a lone comment
@given(data=st.one_of(st.binary(max_size=3000),
                      st.lists(HTMLISH | st.text(max_size=8), max_size=40).map(lambda p: "".join(p).encode("utf-8",
                                                                                                         "surrogatepass"))),
       suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_bytes_are_read_or_refused_in_one_line(tmp_path: Path, data: bytes, suffix: str) -> None:
    """The reader never raises anything but a one-line SourceError; what it reads is text."""
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(data)
    try:
        src = read_source(str(path))
    except SourceError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}: ")
        return
    assert isinstance(src.text, str) and src.text.strip()


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.text(max_size=600),
                      st.lists(st.sampled_from([CLAIM, "Zinc shortens colds in adults.", "(PMID: 0)", "[1]",
                                                "https://doi.org/10.1000/xyz", "\n", "References\n",
                                                "Smith J, Lee K. Zinc and colds. J Test. 2006;12(3):45-50.\n",
                                                "(Smith et al., 2006)", "é", " "]), max_size=30).map("".join)))
def test_claims_and_citations_always_point_into_the_text(text: str) -> None:
    from grading.documents.sources import content_hash
    from grading.models import Source

    doc = pipeline.extract_document(Source("doc.md", content_hash(text), text, "text/markdown", "utf-8"))
    for span in [*doc.claims, *doc.mentions]:
        assert 0 <= span.char_start <= span.char_end <= len(text)
    for claim in doc.claims:
        assert text[claim.char_start:claim.char_end] == claim.text
    for mention in doc.mentions:
        assert text[mention.char_start:mention.char_end] == mention.raw
    assert len(doc.attached) == len(doc.mentions)
    assert {a for a in doc.attached if a is not None} <= {c.claim_id for c in doc.claims}


# Well-formed pieces of titles and abstracts: markup, entities, cue words, numbers, odd spaces.
XML_TEXT = st.lists(st.sampled_from([
    "<i>rats</i>", "<sup>2</sup>", "<sub>50</sub>", "&amp;", "&lt;", "&#x3b1;", "<![CDATA[x < y]]>", "<!-- c -->",
    "randomized", "double-blind placebo-controlled", "in 120 patients", "n = 12", "rats", "mice", "3-fold",
    "OR = 2.3 (95% CI 1.1-4.0)", "+25%", "improved", "did not differ", "healthy volunteers", "é", "\u2009", " ",
    ".", "(", ")", "\n", "Conclusions:"]) | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                                    max_size=5).map(lambda t: t.replace("&", "&amp;")
                                                                     .replace("<", "&lt;")), max_size=25).map("".join)


@settings(max_examples=200, deadline=None)
@given(title=XML_TEXT, sections=st.lists(st.tuples(st.sampled_from(["", ' Label="RESULTS"', ' Label="METHODS"']),
                                                   XML_TEXT), max_size=3))
def test_parsed_records_read_with_every_span_inside_its_text(title: str, sections: list[tuple[str, str]]) -> None:
    """XML -> parser -> evidence: well-formed records always parse, and every span the rubric
    will quote lies inside the title or abstract it names."""
    abstract = "".join(f"<AbstractText{label}>{text}</AbstractText>" for label, text in sections)
    xml = (f"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><Article><ArticleTitle>{title}"
           f"</ArticleTitle><Abstract>{abstract}</Abstract></Article></MedlineCitation></PubmedArticle>"
           "</PubmedArticleSet>")
    [record] = parse_efetch_reply(xml.encode("utf-8"))
    assert record.pmid == 7
    texts = {"title": record.title or "", "abstract": record.abstract_text}
    for span in evidence_spans(read_record(record)):
        text = texts[span.where]
        assert 0 <= span.start < span.end <= len(text) and text[span.start:span.end] == span.text


def evidence_spans(ev: object) -> list[TextSpan]:
    out: list[TextSpan] = []
    for f in dataclasses.fields(ev):  # type: ignore[arg-type]
        value = getattr(ev, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, TextSpan):
                out.append(item)
            elif isinstance(item, Effect):
                out.append(item.span)
    return out
