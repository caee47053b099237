"""A loopback stand-in for NCBI E-utilities, serving PubMed XML files.

It answers efetch, esearch, epost, esummary and ecitmatch under `/entrez/eutils/` the way
NCBI does (errors as HTTP 200, unknown ids silently absent, 429 over the rate limit) and
injects the faults NCBI is known for (grading.testing.faults), so the client can be tested
against all of them without the network. Library: `EutilsStandin(paths).start()` or `with EutilsStandin(...)`.
CLI: `python -m grading.testing.standin FILE... [--port N] [--rate N] [--fault-rate F]
[--fault-kinds K,...]`; on exit it prints its counters (requests, 429s sent, faults) to stderr.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import signal
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from grading.models import PubmedRecord
from grading.pubmed.index import CONTROLLED_TAGS, PubmedIndex, tokenize
from grading.pubmed.parser import DeletedCitations, iter_pubmed_xml
from grading.testing.faults import FAULT_KINDS, RANDOM_FAULT_KINDS, Fault, FaultPlan

PREFIX = "/entrez/eutils/"
MAX_HISTORIES = 10_000  # history sessions kept; the oldest go first, as on NCBI
PUBMED_DOCTYPE = ('<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
                  '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">')
ENDPOINTS = {"efetch.fcgi": "efetch", "esearch.fcgi": "esearch", "epost.fcgi": "epost",
             "esummary.fcgi": "esummary", "ecitmatch.cgi": "ecitmatch"}
@dataclass(frozen=True)
class SeenRequest:
    """One request as the stand-in received it (for tests to inspect)."""

    endpoint: str
    method: str
    params: dict[str, str]


class EutilsStandin:
    """The stand-in server. Inputs: PubMed XML files (plain or .gz) and/or records.

    `rate`: requests/s allowed per client without api_key (None: unlimited), `rate_with_key`
    the same with one. `retry_after`: seconds sent in Retry-After. Counters: `requests`
    (per endpoint), `rate_limited` (429s sent), `faults_injected` (per kind), `seen`.
    """

    def __init__(self, paths: Iterable[str | Path] = (), *, records: Iterable[PubmedRecord] = (),
                 host: str = "127.0.0.1", port: int = 0, rate: float | None = 3.0,
                 rate_with_key: float | None = 10.0, retry_after: float = 1.0,
                 faults: FaultPlan | None = None):
        self.index = PubmedIndex(_load_records(paths, records))
        self.host, self.port = host, port
        self.rate, self.rate_with_key, self.retry_after = rate, rate_with_key, retry_after
        self.faults = faults or FaultPlan()
        self.requests: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.rate_limited = 0
        self.seen: deque[SeenRequest] = deque(maxlen=10_000)
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}  # client -> admitted arrival times, sorted
        self._histories: dict[str, dict[int, list[int]]] = {}  # WebEnv -> query_key -> PMIDs
        self._webenv_serial = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        server = _Server((self.host, self.port), _Handler)
        server.standin = self  # type: ignore[attr-defined]
        server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients hang up mid-reply on purpose
        self._server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="eutils-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{PREFIX}"

    def serve(self, records: Iterable[PubmedRecord]) -> None:
        """Serve these records from now on, replacing held versions (PubMed revised them)."""
        with self._lock:
            for record in records:
                self.index.add(record)

    def withdraw(self, pmids: Iterable[int]) -> None:
        """Stop serving these PMIDs (PubMed deleted them): efetch answers without them."""
        with self._lock:
            for pmid in pmids:
                self.index.discard(pmid)

    def counters(self) -> dict[str, object]:
        """What the stand-in did: requests per endpoint, 429s sent, faults injected per kind."""
        with self._lock:
            return {"requests": dict(self.requests), "rate_limited": self.rate_limited,
                    "faults_injected": dict(self.faults_injected)}

    def expire_webenvs(self) -> None:
        """Forget every history session, as NCBI does after a while."""
        with self._lock:
            self._histories.clear()

    # --- bookkeeping called by the handler ---------------------------------------------

    def record(self, endpoint: str, method: str, params: dict[str, str]) -> None:
        with self._lock:
            self.requests[endpoint] += 1
            self.seen.append(SeenRequest(endpoint, method, dict(params)))

    def admit(self, client: str, keyed: bool, arrived: float | None = None) -> tuple[bool, int, float]:
        """Sliding 1-s window per client: (admitted, requests in window incl. this, limit).
        `arrived`: when the connection was accepted (time.monotonic), as a front end counts."""
        limit = self.rate_with_key if keyed else self.rate
        if not limit:
            return True, 0, 0.0
        now = time.monotonic() if arrived is None else arrived
        with self._lock:
            window = self._windows.setdefault(client, [])
            del window[:bisect.bisect_right(window, now - 5.0)]  # long gone; kept a while for late admits
            inside = bisect.bisect_right(window, now) - bisect.bisect_right(window, now - 1.0)
            if inside >= limit:
                self.rate_limited += 1
                return False, inside + 1, limit
            bisect.insort(window, now)
            return True, inside + 1, limit

    def note_fault(self, kind: str) -> None:
        with self._lock:
            self.faults_injected[kind] += 1
            if kind == "rate_limit":
                self.rate_limited += 1

    def post_history(self, pmids: list[int], webenv: str | None = None) -> tuple[str, int]:
        with self._lock:
            if webenv not in self._histories:
                webenv = f"MCID_standin_{next(self._webenv_serial)}"
                self._histories[webenv] = {}
                if len(self._histories) > MAX_HISTORIES:
                    del self._histories[next(iter(self._histories))]
            queries = self._histories[webenv]
            key = len(queries) + 1
            queries[key] = pmids
            return webenv, key

    def history(self, webenv: str, query_key: int) -> list[int] | None:
        with self._lock:
            return self._histories.get(webenv, {}).get(query_key)

    # --- answers (status, content type, body) ------------------------------------------

    def answer(self, endpoint: str, p: dict[str, str], fault: Fault | None) -> tuple[int, str, bytes]:
        if p.get("db", "pubmed") != "pubmed":
            return _error_reply(endpoint, f"Database '{p.get('db')}' is not served here")
        if endpoint == "ecitmatch":
            return 200, "text/plain; charset=UTF-8", self.ecitmatch(p.get("bdata", "")).encode()
        if endpoint == "esearch":
            return self.esearch(p)
        ids = _ids(p.get("id", ""))
        if endpoint == "epost":
            webenv, key = self.post_history(ids, p.get("WebEnv"))
            return 200, "text/xml", (f"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<ePostResult><QueryKey>{key}"
                                     f"</QueryKey><WebEnv>{webenv}</WebEnv></ePostResult>\n").encode()
        if "WebEnv" in p:
            key = int(p.get("query_key", "1") or 1)
            posted = self.history(p["WebEnv"], key)
            if posted is None:
                return _error_reply(endpoint, f"Unable to obtain query #{key}")
            start = int(p.get("retstart", "0") or 0)
            ids = posted[start:start + int(p.get("retmax", "20") or 20)]
        elif not ids:
            return _error_reply(endpoint, "Empty id list - nothing todo")
        records = [r for r in (self.index.get(i) for i in ids) if r is not None]
        if endpoint == "esummary":
            return 200, "text/xml", _esummary_xml(records)
        if fault is not None and fault.kind == "wrong_record" and records:
            others = [r for pmid, r in self.index.records.items() if pmid not in set(ids)]
            if others:
                records[0] = others[0]  # the first id answered by somebody else's record
        body = "".join(r.raw_xml.strip() + "\n" for r in records)
        xml = f'<?xml version="1.0" ?>\n{PUBMED_DOCTYPE}\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n'
        return 200, "text/xml; charset=UTF-8", xml.encode()

    def esearch(self, p: dict[str, str]) -> tuple[int, str, bytes]:
        term = p.get("term", "")
        as_json = p.get("retmode") == "json"
        start, retmax = int(p.get("retstart", "0") or 0), int(p.get("retmax", "20") or 20)
        try:
            hits = self.index.search(term)
            missing = [f"{v}[{t}]" for v, t in _terms(term)
                       if t.lower() not in CONTROLLED_TAGS and not self.index.match(v, t)]
            bad_fields: list[str] = []
        except ValueError as exc:
            hits, missing, bad_fields = [], [], [str(exc)]
        page = hits[start:start + retmax]
        history = self.post_history(hits, p.get("WebEnv")) if p.get("usehistory") == "y" else None
        if as_json:
            result: dict[str, object] = {
                "count": str(len(hits)), "retmax": str(len(page)), "retstart": str(start),
                "idlist": [str(i) for i in page], "translationset": [], "querytranslation": term}
            if history:
                result["webenv"], result["querykey"] = history[0], str(history[1])
            if missing or bad_fields:
                result["errorlist"] = {"phrasesnotfound": missing, "fieldsnotfound": bad_fields}
            reply = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}
            return 200, "application/json; charset=UTF-8", json.dumps(reply).encode()
        parts = [f"<Count>{len(hits)}</Count><RetMax>{len(page)}</RetMax><RetStart>{start}</RetStart>"]
        if history:
            parts.append(f"<QueryKey>{history[1]}</QueryKey><WebEnv>{history[0]}</WebEnv>")
        parts.append("<IdList>" + "".join(f"<Id>{i}</Id>" for i in page) + "</IdList>")
        parts.append(f"<TranslationSet/><QueryTranslation>{escape(term)}</QueryTranslation>")
        if missing or bad_fields:
            parts.append("<ErrorList>" + "".join(f"<PhraseNotFound>{escape(m)}</PhraseNotFound>" for m in missing)
                         + "".join(f"<FieldNotFound>{escape(f)}</FieldNotFound>" for f in bad_fields)
                         + "</ErrorList>")
        xml = '<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult>' + "".join(parts) + "</eSearchResult>\n"
        return 200, "text/xml; charset=UTF-8", xml.encode()

    def ecitmatch(self, bdata: str) -> str:
        """One reply line per input line: the input plus a PMID, NOT_FOUND, AMBIGUOUS or INVALID_JOURNAL."""
        lines = []
        for line in filter(None, bdata.replace("\n", "\r").split("\r")):
            fields = (line.split("|") + [""] * 6)[:6]
            journal, year, volume, first_page, author, _key = fields
            if journal and not self.index.match(journal, "ta"):
                result = "NOT_FOUND;INVALID_JOURNAL"
            else:
                ids = self.index.citation_match(journal, year, volume, first_page, author)
                result = (str(ids[0]) if len(ids) == 1 else f"AMBIGUOUS ({len(ids)} citations)" if ids
                          else "NOT_FOUND")
            lines.append("|".join(fields) + "|" + result)
        return "".join(line + "\n" for line in lines)


def _load_records(paths: Iterable[str | Path], records: Iterable[PubmedRecord]) -> list[PubmedRecord]:
    """Later files override earlier ones (update files); DeleteCitation removes."""
    by_pmid = {r.pmid: r for r in records}
    for path in paths:
        for item in iter_pubmed_xml(Path(path)):
            if isinstance(item, PubmedRecord):
                by_pmid[item.pmid] = item
            elif isinstance(item, DeletedCitations):
                for pmid in item.pmids:
                    by_pmid.pop(pmid, None)
    return list(by_pmid.values())


def _ids(text: str) -> list[int]:
    """`id=1,2,3` as NCBI reads it: duplicates once, in order, non-numbers ignored."""
    return list(dict.fromkeys(int(t) for t in text.replace(" ", ",").split(",") if t.strip().isdigit()))


def _terms(term: str) -> list[tuple[str, str]]:
    return [tuple(v.split("\x00")) for kind, v in tokenize(term) if kind == "term"]  # type: ignore[misc]


def _error_reply(endpoint: str, message: str) -> tuple[int, str, bytes]:
    if endpoint == "esearch":
        body = json.dumps({"header": {"type": "esearch", "version": "0.3"},
                           "esearchresult": {"ERROR": message}})
        return 200, "application/json; charset=UTF-8", body.encode()
    root = {"efetch": "eFetchResult", "esummary": "eSummaryResult", "epost": "ePostResult"}.get(endpoint, "eResult")
    xml = f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}><ERROR>{escape(message)}</ERROR></{root}>\n'
    return 200, "text/xml; charset=UTF-8", xml.encode()


def _esummary_xml(records: list[PubmedRecord]) -> bytes:
    docs = []
    for r in records:
        authors = "".join(f'<Item Name="Author" Type="String">{escape(_author_name(a))}</Item>' for a in r.authors)
        docs.append(
            f"<DocSum><Id>{r.pmid}</Id>"
            f'<Item Name="PubDate" Type="Date">{r.year or escape(r.medline_date or "")}</Item>'
            f'<Item Name="Source" Type="String">{escape(r.journal_abbrev or r.journal or "")}</Item>'
            f'<Item Name="AuthorList" Type="List">{authors}</Item>'
            f'<Item Name="Title" Type="String">{escape(r.title or "")}</Item>'
            f'<Item Name="DOI" Type="String">{escape(r.doi or "")}</Item></DocSum>')
    xml = '<?xml version="1.0" encoding="UTF-8" ?>\n<eSummaryResult>' + "".join(docs) + "</eSummaryResult>\n"
    return xml.encode()


def _author_name(a: object) -> str:
    last, initials = getattr(a, "last_name", None), getattr(a, "initials", None)
    return " ".join(filter(None, (last, initials))) or getattr(a, "collective_name", None) or ""


class _Server(ThreadingHTTPServer):
    """Notes when each connection is accepted: the rate limit counts arrivals, not the moment a
    busy handler thread gets round to a request."""

    daemon_threads = True

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.arrivals: dict[object, float] = {}

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        self.arrivals[request] = time.monotonic()
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_version = "EutilsStandin/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet; the counters say what happened

    def _serve(self, method: str) -> None:
        standin: EutilsStandin = self.server.standin  # type: ignore[attr-defined]
        arrived = self.server.arrivals.pop(self.request, None)  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        endpoint = ENDPOINTS.get(url.path[len(PREFIX):]) if url.path.startswith(PREFIX) else None
        form = url.query
        if method == "POST":
            form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if endpoint is None:
            return self._send(404, "text/html", b"<html><body><h1>404 Not Found</h1></body></html>")
        params = {k: v[-1] for k, v in parse_qs(form, keep_blank_values=True).items()}
        standin.record(endpoint, method, params)
        admitted, count, limit = standin.admit(params.get("api_key") or self.client_address[0], "api_key" in params,
                                               arrived)
        if not admitted:
            return self._send_429(standin, count, limit)
        fault = standin.faults.draw(endpoint, "WebEnv" in params)
        if fault is not None:
            standin.note_fault(fault.kind)
            if self._fail(standin, fault, endpoint, form):
                return
        status, ctype, body = standin.answer(endpoint, params, fault)
        self._send(status, ctype, body, truncate=fault is not None and fault.kind == "truncated")

    def _fail(self, standin: EutilsStandin, fault: Fault, endpoint: str, form: str) -> bool:
        """Send a faulty reply; False when the fault only alters the normal answer."""
        kind = fault.kind
        if kind == "reset":
            # Linger 0 makes close() send RST: the client sees a reset, not a reply.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif kind == "error":
            message = "Search Backend failed: Empty Response" if endpoint == "esearch" else "Empty Response"
            self._send(*_error_reply(endpoint, message))
        elif kind == "expired":
            self._send(*_error_reply(endpoint, "Unable to obtain query #1"))
        elif kind == "html":
            # Real error pages echo the request, which is how keys leak into logs.
            page = (f"<html><head><title>Error</title></head><body><h1>Service unavailable</h1>"
                    f"<p>{escape(self.path)} {escape(form if self.command == 'POST' else '')}</p></body></html>")
            self._send(200, "text/html", page.encode())
        elif kind == "server_error":
            self._send(fault.status, "text/html", b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>")
        elif kind == "rate_limit":
            self._send_429(standin, 4, standin.rate or 3)
        elif kind == "slow":
            time.sleep(fault.delay)
            return False
        else:  # truncated, wrong_record: the normal answer, spoiled
            return False
        return True

    def _send_429(self, standin: EutilsStandin, count: int, limit: float) -> None:
        body = json.dumps({"error": "API rate limit exceeded", "api-key": self.client_address[0],
                           "count": str(count), "limit": str(int(limit))}).encode()
        retry_after = standin.retry_after
        self._send(429, "application/json", body, headers={
            "X-RateLimit-Limit": str(int(limit)), "X-RateLimit-Remaining": "0",
            "Retry-After": str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)})

    def _send(self, status: int, ctype: str, body: bytes, truncate: bool = False,
              headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            # Truncated: promise the whole body, deliver half, hang up.
            self.wfile.write(body[: len(body) // 2] if truncate else body)
            self.wfile.flush()
        except OSError:
            pass  # the client gave up (a timeout test); nothing to tell it
        self.close_connection = True


def main(argv: list[str] | None = None) -> int:
    """Serve files until interrupted or terminated; prints the base URL first, and on the way
    out its counters as one JSON line on stderr (for benchmarks to cross-check)."""
    parser = argparse.ArgumentParser(prog="python -m grading.testing.standin", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="PubMed XML files (.xml or .xml.gz)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--rate", type=float, default=3.0, help="requests/s per client without api_key; 0: unlimited")
    parser.add_argument("--rate-with-key", type=float, default=10.0)
    parser.add_argument("--retry-after", type=float, default=1.0, help="seconds sent in Retry-After with a 429")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of replies that go wrong")
    parser.add_argument("--fault-kinds", default=",".join(RANDOM_FAULT_KINDS),
                        help=f"comma-separated, from: {', '.join(FAULT_KINDS)}")
    parser.add_argument("--fault-delay", type=float, default=2.0, help="seconds a `slow` reply waits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    faults = FaultPlan(rate=args.fault_rate, seed=args.seed, kinds=args.fault_kinds.split(","),
                       delay=args.fault_delay)
    standin = EutilsStandin(args.files, host=args.host, port=args.port, rate=args.rate or None,
                            rate_with_key=args.rate_with_key or None, retry_after=args.retry_after, faults=faults)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with standin:
        print(standin.base_url, flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    print(json.dumps(standin.counters()), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
