"""The flow and the warehouse under every E-utilities fault: 429 storms, 5xx bursts, time-outs,
resets (before a reply and mid-body), truncated XML, HTML error pages, <ERROR> in a 200
reply, expired WebEnv, an id answered by another record.

Each test runs the real flow (Bio.Entrez, retries, tables, the DuckDB load) against the
loopback stand-in and reads the warehouse: a fault that passes leaves exactly what a clean
run leaves; a fault that persists leaves every record `unavailable` with its cause, never
`not_found`, never "no evidence", never stored under another record's PMID. Only the
client's retry timing is shortened (backoff in ms, not s); the rest is as shipped.
"""

from __future__ import annotations

import functools
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import duckdb
import pytest

from grading.pubmed.entrez import EntrezSource
from grading.testing.standin import EutilsStandin
from tests.reliability import latest_run_id, ledger_problems, rows
from tests.runs import grade

pytestmark = pytest.mark.e2e

DOC = """# Peptides, ginseng and the evidence behind them

Semax improves memory in rats (PMID: 16996037).
Semax changes gene expression in the rat brain (doi: 10.1186/1471-2164-15-228).
Red ginseng oil promotes hair growth in mice (PMID: 28885585).
Korean red ginseng protects hair follicles during chemotherapy (PMID: 27158238).
Vitamin K lowers fracture risk in older adults (PMID: 15088389).
Semax raises serotonin turnover in the rat striatum (Eremin et al., 2005).
Semax regulates BDNF in the rat hippocampus (Brain Res. 2006;1117(1):54-60).
"""
# What a clean run makes of DOC: direct ids, a DOI (esearch), an author-year (esearch), a
# journal reference (ECitMatch); 15088389 is not in the stand-in, so PubMed "has no such id".
CLEAN_FETCH = {16996037: "fetched", 24661604: "fetched", 28885585: "fetched", 27158238: "fetched",
               16362768: "fetched", 15088389: "not_found"}
ENDPOINTS = ("esearch", "ecitmatch", "efetch")
# The client as shipped, with retry waits in milliseconds and two ids per efetch (more requests
# to spoil). max_tries 4: a burst of 3 faults on one request is survived, a persistent fault is not.
QUICK = {"backoff": 0.01, "backoff_cap": 0.05, "max_tries": 4, "rate": 50.0, "batch_size": 2}

RunFlow = Callable[..., tuple[dict, duckdb.DuckDBPyConnection]]


@pytest.fixture()
def run_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunFlow]:
    """Run a grading pass over DOC against `base_url`; returns (summary, read-only warehouse)."""
    opened: list[duckdb.DuckDBPyConnection] = []
    doc = tmp_path / "claims.md"
    doc.write_text(DOC, encoding="utf-8")
    monkeypatch.setenv("NCBI_API_KEY", "0123456789abcdef0123456789abcdef0123")

    def run(base_url: str, timeout: float | None = None, **client: object) -> tuple[dict, duckdb.DuckDBPyConnection]:
        if timeout is not None:
            monkeypatch.setenv("GRADING_HTTP_TIMEOUT", str(timeout))  # the flow passes settings.http_timeout
        summary = grade([doc], tmp_path / "w.duckdb", tmp_path / "reports", eutils_url=base_url,
                        entrez=functools.partial(EntrezSource, **{**QUICK, **client}))
        con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
        opened.append(con)
        return summary, con

    yield run
    for con in opened:
        con.close()


@pytest.fixture()
def standin(eutils_standin: EutilsStandin) -> EutilsStandin:
    eutils_standin.rate_with_key = None  # no real 429s unless a test asks for them
    eutils_standin.retry_after = 0.1
    return eutils_standin


def outcomes(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, object]:
    """What a run concluded, keyed by text (ids and paths differ from run to run)."""
    return {
        "fetch": dict(rows(con, "SELECT pmid, outcome FROM fetch_log WHERE run_id = ?", run_id)),
        "citations": sorted(rows(con, "SELECT m.raw, l.resolution, l.pmid, l.fetch_outcome FROM citation_links l "
                                      "JOIN citation_mentions m USING (citation_id) WHERE l.run_id = ?", run_id)),
        "claims": sorted(rows(con, "SELECT c.claim_text, g.status, g.certainty FROM grades g "
                                   "JOIN claims_all c USING (claim_id) WHERE g.run_id = ?", run_id)),
        "records": sorted(r[0] for r in rows(con, "SELECT pmid FROM pubmed_records")),
    }


def nothing_lost(con: duckdb.DuckDBPyConnection, run_id: str, record_property) -> None:  # type: ignore[no-untyped-def]
    problems = ledger_problems(con, run_id)
    record_property("records_lost", len(problems))
    assert problems == []


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The outcomes of a fault-free run: what every survived fault must leave too."""
    from grading.settings import bundled_path

    out = tmp_path_factory.mktemp("clean")
    (out / "claims.md").write_text(DOC, encoding="utf-8")
    with EutilsStandin([bundled_path("snapshot.xml")], rate=None) as s:
        grade([out / "claims.md"], out / "w.duckdb", out / "r", eutils_url=s.base_url,
              entrez=functools.partial(EntrezSource, **QUICK))
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    try:
        return outcomes(con, latest_run_id(con))
    finally:
        con.close()


def test_clean_run_resolves_fetches_and_grades_everything(clean: dict[str, object]) -> None:
    assert clean["fetch"] == CLEAN_FETCH
    statuses = {text: status for text, status, _ in clean["claims"]}  # type: ignore[attr-defined]
    assert statuses["Semax improves memory in rats"] == "graded"
    assert statuses["Vitamin K lowers fracture risk in older adults"] == "unresolved"
    assert clean["records"] == sorted(p for p, o in CLEAN_FETCH.items() if o == "fetched")


# --- bursts that pass: the run ends as if nothing happened ---------------------------------------

# kind -> (fault options, endpoints spoiled, faults per endpoint, client options)
BURSTS = {
    "rate_limit": ({}, ENDPOINTS, 3, {}),  # a 429 storm: three in a row on every endpoint
    "server_error": ({"status": 503}, ENDPOINTS, 3, {}),  # a 5xx burst
    "slow": ({"delay": 1.0}, ENDPOINTS, 1, {"timeout": 0.4}),  # a reply later than the time limit
    "reset": ({}, ENDPOINTS, 2, {}),  # connection reset before any reply
    "truncated": ({}, ENDPOINTS, 2, {}),  # Content-Length promised, half the body sent
    "html": ({}, ENDPOINTS, 2, {}),  # an HTML error page with status 200
    "error": ({}, ENDPOINTS, 2, {}),  # <ERROR>Empty Response</ERROR> in a 200 reply
    "wrong_record": ({}, ("efetch",), 2, {}),  # the first id answered by another record
    "expired": ({}, ("efetch",), 2, {"history_threshold": 2}),  # WebEnv gone: post again
}


@pytest.mark.parametrize("kind", list(BURSTS))
def test_fault_burst_is_survived_and_the_run_equals_a_clean_one(kind: str, standin: EutilsStandin,
                                                                run_flow: RunFlow, clean: dict[str, object],
                                                                record_property) -> None:  # type: ignore[no-untyped-def]
    options, endpoints, times, client = BURSTS[kind]
    for endpoint in endpoints:
        standin.faults.script(kind, endpoint=endpoint, times=times, **options)
    summary, con = run_flow(standin.base_url, **client)
    assert standin.faults_injected[kind] == times * len(endpoints)
    assert summary["mode"] == "online"
    run_id = latest_run_id(con)
    assert outcomes(con, run_id) == clean
    nothing_lost(con, run_id, record_property)


# --- faults that persist: every record unavailable, with its cause -------------------------------

PERSISTENT = {  # kind -> (fault options, words the cause must contain, client options)
    "rate_limit": ({}, "HTTP 429", {}),
    "server_error": ({}, "HTTP 503", {}),
    "slow": ({"delay": 0.8}, "timed out", {"timeout": 0.2, "max_tries": 2}),
    "reset": ({}, "reset", {}),
    "truncated": ({}, "truncated", {}),
    "html": ({}, "unreadable reply", {}),
    "error": ({}, "NCBI error: Empty Response", {}),
}


@pytest.mark.parametrize("kind", list(PERSISTENT))
def test_persistent_fault_leaves_every_record_unavailable_with_its_cause(
        kind: str, standin: EutilsStandin, run_flow: RunFlow, record_property) -> None:  # type: ignore[no-untyped-def]
    options, cause, client = PERSISTENT[kind]
    standin.faults.set_rate(1.0, kinds=[kind], **options)
    summary, con = run_flow(standin.base_url, **client)
    run_id = latest_run_id(con)
    assert summary["mode"] == "online"  # the service answered, badly: no silent switch to the snapshot
    fetch = rows(con, "SELECT pmid, outcome, cause FROM fetch_log WHERE run_id = ?", run_id)
    assert {p for p, _, _ in fetch} == {16996037, 28885585, 27158238, 15088389}  # the direct ids
    assert all(o == "unavailable" and cause in c for _, o, c in fetch), fetch
    # The searches failed too: those citations are unavailable, not "no such record".
    searched = dict(rows(con, "SELECT l.method, l.resolution || ': ' || l.detail FROM citation_links l "
                              "WHERE l.run_id = ? AND l.method <> 'direct'", run_id))
    assert set(searched) == {"doi-esearch", "author-esearch", "ecitmatch"}
    assert all(v.startswith(("unavailable: esearch failed: ", "unavailable: ecitmatch failed: "))
               for v in searched.values()), searched
    assert rows(con, "SELECT count(*) FROM pubmed_records") == [(0,)]
    statuses = dict(rows(con, "SELECT c.claim_text, g.status FROM grades g JOIN claims_all c USING (claim_id) "
                              "WHERE g.run_id = ?", run_id))
    assert set(statuses.values()) == {"unavailable"}, statuses  # Vitamin K's id too: never "not found"
    nothing_lost(con, run_id, record_property)


def test_persistent_wrong_records_are_never_stored_under_the_requested_id(
        standin: EutilsStandin, run_flow: RunFlow, record_property) -> None:  # type: ignore[no-untyped-def]
    standin.faults.set_rate(1.0, kinds=["wrong_record"], endpoints=["efetch"])
    _, con = run_flow(standin.base_url)
    run_id = latest_run_id(con)
    fetch = rows(con, "SELECT pmid, outcome, cause FROM fetch_log WHERE run_id = ?", run_id)
    unavailable = {p: c for p, o, c in fetch if o == "unavailable"}
    assert unavailable and all("not requested" in c for c in unavailable.values())
    assert not [p for p, o, _ in fetch if o == "not_found"]  # a foreign reply proves nothing about absence
    nothing_lost(con, run_id, record_property)  # includes: every stored record's XML carries its own PMID


def test_webenv_that_always_expires_falls_back_to_ids(standin: EutilsStandin, run_flow: RunFlow,
                                                      clean: dict[str, object], record_property) -> None:  # type: ignore[no-untyped-def]
    standin.faults.set_rate(1.0, kinds=["expired"], endpoints=["efetch"])  # every history request
    _, con = run_flow(standin.base_url, history_threshold=2)
    assert standin.requests["epost"] == QUICK["max_tries"] and standin.faults_injected["expired"] >= 4
    run_id = latest_run_id(con)
    assert outcomes(con, run_id) == clean
    nothing_lost(con, run_id, record_property)


def test_a_real_429_storm_from_an_overdriven_client_loses_nothing(
        standin: EutilsStandin, run_flow: RunFlow, record_property) -> None:  # type: ignore[no-untyped-def]
    standin.rate_with_key = 2  # the server allows 2/s; the client (mis)configured for 50/s, one id per request
    _, con = run_flow(standin.base_url, batch_size=1, max_tries=6)
    assert standin.rate_limited >= 1
    run_id = latest_run_id(con)
    for pmid, outcome, cause in rows(con, "SELECT pmid, outcome, cause FROM fetch_log WHERE run_id = ?", run_id):
        assert outcome == CLEAN_FETCH[pmid] or (outcome == "unavailable" and "429" in cause)
    nothing_lost(con, run_id, record_property)


# --- a reset in the middle of a body ---------------------------------------------------------------

class ResetMidBody:
    """A loopback TCP proxy in front of the stand-in: the first `times` efetch replies are cut
    half-way through the body by a TCP reset (RST), as a dropped connection does."""

    def __init__(self, upstream_port: int, times: int):
        self.upstream_port, self.left, self.resets = upstream_port, times, 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.base_url = f"http://127.0.0.1:{self._server.getsockname()[1]}/entrez/eutils/"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _cut_this_one(self, request: bytes) -> bool:
        with self._lock:
            if b"/efetch.fcgi" in request.split(b"\r\n", 1)[0] and self.left > 0:
                self.left -= 1
                self.resets += 1
                return True
            return False

    def _relay(self, client: socket.socket) -> None:
        with client:
            client.settimeout(5)
            request = read_message(client)
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5) as upstream:
                upstream.sendall(request)
                reply = read_until_closed(upstream)
            if not self._cut_this_one(request):
                client.sendall(reply)
                return
            body_at = reply.index(b"\r\n\r\n") + 4
            client.sendall(reply[: body_at + (len(reply) - body_at) // 2])
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends RST


def read_message(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_resets_mid_body_are_retried(standin: EutilsStandin, run_flow: RunFlow, clean: dict[str, object],
                                     record_property) -> None:  # type: ignore[no-untyped-def]
    with ResetMidBody(standin.port, times=3) as proxy:
        _, con = run_flow(proxy.base_url)
    assert proxy.resets == 3
    run_id = latest_run_id(con)
    assert outcomes(con, run_id) == clean
    nothing_lost(con, run_id, record_property)


def test_resets_mid_body_that_persist_leave_records_unavailable(standin: EutilsStandin, run_flow: RunFlow,
                                                                record_property) -> None:  # type: ignore[no-untyped-def]
    with ResetMidBody(standin.port, times=1000) as proxy:
        _, con = run_flow(proxy.base_url)
    run_id = latest_run_id(con)
    fetch = rows(con, "SELECT pmid, outcome, cause FROM fetch_log WHERE run_id = ?", run_id)
    assert fetch and all(o == "unavailable" and c for _, o, c in fetch), fetch
    # every efetch (the record batches, and the fetches that verify a searched reference's candidates)
    # tried max_tries times, never more
    assert proxy.resets >= 3 * QUICK["max_tries"] and proxy.resets % QUICK["max_tries"] == 0, proxy.resets
    nothing_lost(con, run_id, record_property)


def test_the_reliability_table_names_real_tests() -> None:
    """docs/reliability.md's scenario table: every test it names exists (scripts/reliability_figures.py runs them)."""
    import re

    root = Path(__file__).resolve().parents[1]
    table = [line for line in (root / "docs" / "reliability.md").read_text(encoding="utf-8").splitlines()
             if re.match(r"^\| \d+ \|", line)]
    assert len(table) >= 30
    for line in table:
        nodes = re.findall(r"`(tests/[\w/]+\.py)::(\w+)(?:\[([^\]]+)\])?`", line.rsplit("|", 2)[-2])
        assert nodes, line
        for path, function, param in nodes:
            source = (root / path).read_text(encoding="utf-8")
            assert f"def {function}(" in source, (path, function)
            assert not param or f'"{param}"' in source, (path, function, param)
