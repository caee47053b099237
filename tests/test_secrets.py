"""The NCBI API key never appears in the warehouse, the logs, the reports or an error message.

Two runs go through the real flow with NCBI_API_KEY set: one against a stand-in whose error
pages echo the request (and so the key, as real ones do) on every efetch and esearch, one
against a service that cannot be reached. Then every place a key could land is searched for
any 10-character piece of it: the DuckDB file's bytes, every table's and view's text, the
report files, what the command printed, every log record (ours, Bio's, Prefect's), the logs
Prefect's API stored, and the task results Prefect persisted.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from grading.cli import main
from grading.pubmed.entrez import EntrezSource
from grading.settings import Settings, bundled_path
from grading.testing.standin import EutilsStandin
from tests.helpers import prefect_logs_since
from tests.reliability import rows

pytestmark = pytest.mark.e2e

SECRET = "5ec7e7a9c1d2e4b5a6978877665544332211"  # shaped like an NCBI key (36 hex digits)
PIECES = {form[i:i + 10].lower() for form in (SECRET, quote(SECRET, safe="")) for i in range(len(form) - 9)}
DOC = """Semax improves memory in rats (PMID: 16996037).
Semax changes gene expression in the rat brain (doi: 10.1186/1471-2164-15-228).
Red ginseng oil promotes hair growth in mice (PMID: 28885585).
"""
QUICK = {"backoff": 0.01, "backoff_cap": 0.05, "max_tries": 3}


def leaks(where: str, data: str | bytes) -> list[str]:
    """Where any 10 characters of the key (plain or URL-encoded) appear: a cut key is still a leak."""
    text = (data.decode("utf-8", "replace") if isinstance(data, bytes) else data).lower()
    hits = sorted(p for p in PIECES if p in text)
    return [f"{where} holds {len(hits)} pieces of the key, e.g. {hits[0]!r}"] if hits else []


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")


@contextlib.contextmanager
def all_logs_at_debug() -> Iterator[Records]:
    handler, names = Records(), ["", "prefect", "grading", "Bio", "urllib3", "flows"]
    loggers = [logging.getLogger(n or None) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@pytest.fixture(scope="module")
def keyed_runs(tmp_path_factory, prefect_harness) -> Iterator[dict[str, object]]:  # type: ignore[no-untyped-def]
    from prefect.settings import get_current_settings

    out = tmp_path_factory.mktemp("secrets")
    (out / "doc.md").write_text(DOC, encoding="utf-8")
    warehouse, reports = out / "w.duckdb", out / "reports"
    # --prefect: the key must not reach Prefect's API logs or persisted results either.
    args = ["run", str(out / "doc.md"), "--warehouse", str(warehouse), "--reports", str(reports), "--prefect"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/entrez/eutils/"
    started = time.time()
    printed = io.StringIO()
    with (pytest.MonkeyPatch.context() as mp, EutilsStandin([bundled_path("snapshot.xml")], rate=None,
                                                            rate_with_key=None) as standin,
          all_logs_at_debug() as records, contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed)):
        mp.setenv("NCBI_API_KEY", SECRET)
        mp.setattr("grading.run.EntrezSource", functools.partial(EntrezSource, **QUICK))
        # Error pages that echo the request URL (api_key=… in it) on every efetch and esearch.
        standin.faults.set_rate(1.0, kinds=["html"], endpoints=["efetch", "esearch"])
        standin.faults.script("rate_limit", endpoint="ecitmatch")
        codes = [main([*args, "--eutils-url", standin.base_url]),
                 main([*args, "--eutils-url", closed]),  # unreachable: the snapshot, and a note saying why
                 main(["sql", "SELECT no_such_column FROM runs", "--warehouse", str(warehouse)])]  # an error
    storage = Path(get_current_settings().results.local_storage_path)
    yield {"codes": codes, "warehouse": warehouse, "reports": reports, "printed": printed.getvalue(),
           "records": "\n".join(records.lines), "api_logs": prefect_logs_since(started), "standin": standin,
           "results": [f for f in storage.rglob("*") if f.is_file() and f.stat().st_mtime >= started - 1]
           if storage.exists() else []}


def test_the_key_was_sent_and_echoed_back(keyed_runs: dict[str, object]) -> None:
    """So that finding no key below means something."""
    standin: EutilsStandin = keyed_runs["standin"]  # type: ignore[assignment]
    assert keyed_runs["codes"] == [0, 0, 2]
    assert any(s.params.get("api_key") == SECRET for s in standin.seen)
    assert standin.faults_injected["html"] >= 2
    con = duckdb.connect(str(keyed_runs["warehouse"]), read_only=True)
    try:
        causes = [c for (c,) in rows(con, "SELECT cause FROM fetch_log WHERE outcome = 'unavailable'")]
        assert causes and all("Service unavailable" in c and "api_key=***" in c for c in causes), causes
        assert rows(con, "SELECT count(*) FROM run_issues WHERE stage = 'fetch'") == [(1,)]  # the fallback's note
    finally:
        con.close()


def test_the_key_is_in_no_table_report_or_message(keyed_runs: dict[str, object]) -> None:
    warehouse, reports = Path(keyed_runs["warehouse"]), Path(keyed_runs["reports"])  # type: ignore[arg-type]
    found = leaks("the warehouse file", warehouse.read_bytes())
    for wal in warehouse.parent.glob("*.wal"):
        found += leaks(wal.name, wal.read_bytes())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for (name,) in rows(con, "SELECT table_name FROM information_schema.tables"):
            found += leaks(f"table or view {name}", repr(rows(con, f'SELECT * FROM "{name}"')))
    finally:
        con.close()
    for f in sorted(reports.rglob("*")):
        if f.is_file():
            found += leaks(f"report {f.relative_to(reports)}", f.read_bytes())
    messages = [line for line in str(keyed_runs["printed"]).splitlines()
                if line.startswith(("grading: ", "run ", "note: ", "warehouse: ", "report: "))]
    assert any(line.startswith("grading: error: SQL:") for line in messages)
    found += leaks("the command's own output", "\n".join(messages))
    found += leaks("Prefect's stored run logs", str(keyed_runs["api_logs"]))
    assert found == []


def test_the_key_is_in_no_log_record_or_persisted_result(keyed_runs: dict[str, object]) -> None:
    found = leaks("a log record", str(keyed_runs["records"]))
    for f in keyed_runs["results"]:  # type: ignore[attr-defined]
        found += leaks(f"persisted result {f.name}", f.read_bytes())
    assert found == []


def test_settings_and_sources_never_show_the_key() -> None:
    settings = Settings.from_env({"NCBI_API_KEY": SECRET})
    assert settings.api_key == SECRET
    assert leaks("repr(Settings)", repr(settings)) == []
    assert settings.redact(f"efetch.fcgi?id=1&api_key={SECRET}&tool=x") == "efetch.fcgi?id=1&api_key=***&tool=x"
    assert settings.redact(f"…&amp;api_key={SECRET[:33]}") == "…&amp;api_key=***"  # cut short, still hidden
    source = EntrezSource("http://127.0.0.1:9/entrez/eutils/", "t@example.org", api_key=SECRET)
    assert leaks("repr(EntrezSource)", repr(source)) == []


def test_message_columns_are_redacted_before_the_load_and_document_text_is_not() -> None:
    """The second guard (tables.redact_frames), for a cause that still holds a cut key."""
    import pandas as pd

    from grading.warehouse.tables import redact_frames

    settings = Settings.from_env({"NCBI_API_KEY": SECRET})
    cut = f"unreadable reply; body begins '…&amp;api_key={SECRET[:30]}'"
    frames = {
        "fetch_log": pd.DataFrame([{"run_id": "r", "pmid": 1, "outcome": "unavailable", "origin": None, "cause": cut}]),
        "grades": pd.DataFrame([{"run_id": "r", "claim_id": "c", "reasons": [f"could not be retrieved: {cut}"]}]),
        "source_versions": pd.DataFrame([{"source": "doc.md", "text": f"a page quoting api_key={SECRET[:30]}"}]),
    }
    out = redact_frames(frames, settings.redact)
    assert out["fetch_log"]["cause"][0] == "unreadable reply; body begins '…&amp;api_key=***'"
    assert out["grades"]["reasons"][0] == ["could not be retrieved: unreadable reply; body begins '…&amp;api_key=***'"]
    assert out["source_versions"]["text"][0] == frames["source_versions"]["text"][0]  # offsets point into it
    assert frames["fetch_log"]["cause"][0] == cut  # the input frames are left alone
