"""PubMed through NCBI E-utilities, with Bio.Entrez as the HTTP client.

Bio.Entrez builds the requests; this module adds what it lacks (see docs on E-utilities):
one paced budget for the whole process, a timeout on every request, retries with backoff
for 429/5xx/resets/timeouts/unreadable or error-in-200 replies, and the rule that a failed
fetch is `unavailable`, never `not_found`. Bio.Entrez's URLs are hard-coded to NCBI; the
process-wide opener of `grading.pubmed.opener` sends them to the configured base URL.
docs/entrez.md tells the whole story.
"""

from __future__ import annotations

import errno
import http.client
import logging
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar
from urllib.parse import quote, quote_plus

from Bio import Entrez

from grading.models import FetchResult, PubmedRecord
from grading.pubmed.breaker import CircuitBreaker
from grading.pubmed.opener import (
    DEFAULT_TIMEOUT,
    Route,
    budget,
    install_eutils_opener,
    route_var,
)
from grading.pubmed.pacer import shared_pacer
from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from grading.pubmed.replies import (
    EutilsReplyError,
    NcbiErrorReply,
    parse_ecitmatch_reply,
    parse_epost_reply,
    parse_esearch_reply,
)
from grading.pubmed.source import (
    FETCH_PROGRESS,
    CitationMatch,
    CitationQuery,
    PubmedUnreachable,
    SearchAnswer,
    SourceStats,
)
from grading.settings import NCBI_EUTILS_URL

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

ECITMATCH_BATCH = 100  # citations per ecitmatch request: keeps the GET URL modest
_UNREACHABLE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ECONNREFUSED}
_ERROR_RE = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)


# --- the client ----------------------------------------------------------------------------

class _Failed(Exception):
    """One exchange failed. `retry_after`: the server asked us to wait (429)."""

    def __init__(self, cause: str, retryable: bool = True, retry_after: float | None = None):
        super().__init__(cause)
        self.cause, self.retryable, self.retry_after = cause, retryable, retry_after


class _Expired(_Failed):
    """The history session (WebEnv) is gone: post again rather than retry."""


class _GaveUp(Exception):
    """A request given up: `cause` says what went wrong and how often it was tried."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


@dataclass
class EntrezStats(SourceStats):
    """Requests per endpoint (every HTTP attempt), 429s received, retries, requests given up."""

    rate_limited: int = 0
    retries: int = 0
    gave_up: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # not a field: asdict() and == ignore it

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def count(self, endpoint: str) -> None:
        with self._lock:
            super().count(endpoint)


class EntrezSource:
    """PubmedSource over E-utilities. Inputs are explicit; nothing is read from the environment.

    base_url: None for NCBI. rate: requests/s for the shared budget (default 3, 10 with
    api_key). batch_size: ids per efetch. history_threshold: above this many ids, epost +
    history windows. max_tries: attempts per request. backoff: first retry delay in s
    (doubling, with jitter, capped at backoff_cap). workers: batches in flight at once; they
    share the one pacer, so more workers only overlap one batch's parsing or back-off with
    another's request, never exceed the rate.
    """

    name = "entrez"

    def __init__(self, base_url: str | None, email: str, api_key: str | None = None, *, tool: str = "grading",
                 timeout: float = DEFAULT_TIMEOUT, batch_size: int = 200, max_tries: int = 6,
                 rate: float | None = None, history_threshold: int = 1000, backoff: float = 1.0,
                 backoff_cap: float = 30.0, seed: int | None = None, workers: int = 3, breaker_after: int = 3):
        self.base_url = (base_url or NCBI_EUTILS_URL).rstrip("/") + "/"
        self.email, self.tool, self._api_key = email, tool, api_key or None
        self.timeout, self.batch_size, self.max_tries = timeout, max(1, batch_size), max(1, max_tries)
        self.history_threshold, self.backoff, self.backoff_cap = history_threshold, backoff, backoff_cap
        self.workers = max(1, workers)
        rate = rate or (10.0 if self._api_key else 3.0)
        self._route = Route(self.base_url, timeout, shared_pacer(budget(self.base_url, self._api_key), rate))
        self._random = random.Random(seed)
        self._reached = False  # any HTTP reply seen: later connection failures are mid-run failures
        self.stats = EntrezStats()
        self.breaker = CircuitBreaker(breaker_after)  # N given-up requests of one kind in a row: stop trying
        install_eutils_opener()
        # Bio.Entrez reads these globals; every call also passes them explicitly so that sources
        # with different settings do not mix. Retries are ours: Bio.Entrez's skip the wait on 429.
        Entrez.email, Entrez.tool, Entrez.api_key, Entrez.max_tries = email, tool, self._api_key, 1

    def __repr__(self) -> str:
        return f"EntrezSource({self.base_url!r}, api_key={'***' if self._api_key else None})"

    def mask(self, text: str) -> str:
        """The text with the API key (plain or URL-encoded) replaced: for every log line, cause, exception."""
        if self._api_key:
            for form in {self._api_key, quote_plus(self._api_key), quote(self._api_key, safe="")}:
                text = text.replace(form, "***")
        return text

    # --- PubmedSource --------------------------------------------------------------------

    def fetch(self, pmids: Sequence[int]) -> FetchResult:
        """Records for PMIDs; each id ends in records, not_found or unavailable (with cause)."""
        ids = list(dict.fromkeys(int(p) for p in pmids))
        result, tally = FetchResult(), Counter[str]()
        rest = self._fetch_by_history(ids, result, tally) if len(ids) > self.history_threshold else ids
        batches = [rest[start:start + self.batch_size] for start in range(0, len(rest), self.batch_size)]
        heard = FETCH_PROGRESS.get()
        for part, part_tally in self._in_parallel(self._fetch_batch, batches):
            _merge(result, part)
            tally.update(part_tally)
            if heard:
                heard(list(part.records.values()), len(part.records) + len(part.not_found) + len(part.unavailable))
        result.requests = sum(tally.values())
        return result

    def search(self, term: str, retmax: int = 20) -> SearchAnswer:
        """esearch db=pubmed; on failure after retries, a non-authoritative answer with `error`."""
        def attempt() -> SearchAnswer:
            body = self._exchange("esearch", Entrez.esearch, Counter(), db="pubmed", term=term,
                                  retmax=retmax, retmode="json")
            return self._read(parse_esearch_reply, body)
        try:
            return self._with_retries(attempt)
        except _GaveUp as exc:
            return SearchAnswer((), 0, False, f"esearch failed: {exc.cause}")

    def match_citations(self, queries: Sequence[CitationQuery]) -> list[CitationMatch]:
        """ECitMatch, one answer per query in order; failed batches come back `unavailable`."""
        out: list[CitationMatch] = []
        for start in range(0, len(queries), ECITMATCH_BATCH):
            out.extend(self._match_chunk(queries[start:start + ECITMATCH_BATCH]))
        return out

    def _match_chunk(self, chunk: Sequence[CitationQuery]) -> list[CitationMatch]:
        # Our own keys (positions): the caller's keys may hold characters ECitMatch splits on.
        bdata = "\r".join("|".join(_clean(v) for v in (q.journal, q.year, q.volume, q.first_page, q.author,
                                                       str(i))) + "|" for i, q in enumerate(chunk))

        def attempt() -> dict[str, tuple[int | None, str, str | None]]:
            body = self._exchange("ecitmatch", Entrez.ecitmatch, Counter(), db="pubmed", bdata=bdata, retmode="xml")
            answers = self._read(parse_ecitmatch_reply, body.decode("utf-8", "replace"))
            if len(answers) < len(chunk):
                raise _Failed(f"ecitmatch answered {len(answers)} of {len(chunk)} citations")
            return answers
        try:
            answers = self._with_retries(attempt)
        except _GaveUp as exc:
            return [CitationMatch(q.key, None, "unavailable", f"ecitmatch failed: {exc.cause}") for q in chunk]
        return [CitationMatch(q.key, *answers[str(i)]) for i, q in enumerate(chunk)]

    # --- fetching ----------------------------------------------------------------------------

    def _in_parallel(self, work: Callable[[T], U], items: Sequence[T]) -> Iterator[U]:
        """`work` over items, up to `workers` at once, results in order, each as soon as it and
        those before it are done (so a batch's records are read while the next waits for the
        rate limit); errors propagate."""
        if len(items) <= 1 or self.workers == 1:
            yield from (work(item) for item in items)
            return
        with ThreadPoolExecutor(min(self.workers, len(items)), thread_name_prefix="efetch") as pool:
            yield from pool.map(work, items)

    def _fetch_batch(self, batch: list[int]) -> tuple[FetchResult, Counter[str]]:
        """One efetch by id (retried); the reply names exactly which of the ids exist."""
        result, tally, pending = FetchResult(), Counter[str](), set(batch)

        def attempt() -> None:
            ids = [i for i in batch if i in pending]
            body = self._exchange("efetch", Entrez.efetch, tally, db="pubmed", id=",".join(map(str, ids)),
                                  retmode="xml")
            foreign = self._accept(self._read_efetch(body), pending, result)
            if foreign:  # the reply answered something else: its silence about our ids proves nothing
                raise _Failed(f"efetch answered with records not requested ({', '.join(map(str, foreign))})")
            result.not_found.update(pending)
            pending.clear()
        try:
            self._with_retries(attempt)
        except _GaveUp as exc:
            for pmid in batch:
                if pmid in pending:
                    result.unavailable[pmid] = f"efetch failed: {exc.cause}"
        return result, tally

    def _fetch_by_history(self, ids: list[int], result: FetchResult, tally: Counter[str]) -> list[int]:
        """epost the ids, efetch them in windows; re-post when the WebEnv expires.

        Returns the ids no window brought back, to be fetched by id: a window's reply does not
        say which ids it covered, so silence there proves nothing; a reply by id does.
        """
        pending = set(ids)

        def undecided() -> list[int]:
            return [i for i in ids if i in pending]
        for _post in range(self.max_tries):
            posted = undecided()
            if not posted:
                break
            try:
                webenv, key = self._post(posted, tally)
            except _GaveUp:
                break
            windows = self._in_parallel(partial(self._fetch_window, webenv, key, threading.Event()),
                                        range(0, len(posted), self.batch_size))
            expired = failed = False
            for records, window_tally, failure in windows:
                tally.update(window_tally)
                self._accept(records, pending, result)
                if (heard := FETCH_PROGRESS.get()) is not None:
                    heard(records, len(records))
                expired |= isinstance(failure, _Expired)
                failed |= isinstance(failure, _GaveUp)
            if not expired or failed:
                break
            log.info("history session expired after %d of %d ids; posting again", len(ids) - len(pending), len(ids))
        return undecided()

    def _post(self, ids: list[int], tally: Counter[str]) -> tuple[str, int]:
        """epost -> (WebEnv, query_key), retried; _GaveUp when it cannot be had."""
        return self._with_retries(lambda: self._read(parse_epost_reply, self._exchange(
            "epost", Entrez.epost, tally, db="pubmed", id=",".join(map(str, ids)))))

    def _fetch_window(self, webenv: str, key: int, expired: threading.Event, start: int
                      ) -> tuple[list[PubmedRecord], Counter[str], Exception | None]:
        """One window of a history set, retried: (records, requests, failure). The failure is
        _Expired at once when the WebEnv is gone (`expired` tells the other windows not to
        ask again), or _GaveUp."""
        tally = Counter[str]()

        def attempt() -> list[PubmedRecord]:
            if expired.is_set():
                raise _Expired("history session expired")
            return self._read_efetch(self._exchange(
                "efetch", Entrez.efetch, tally, db="pubmed", WebEnv=webenv, query_key=key, retstart=start,
                retmax=self.batch_size, retmode="xml"))
        try:
            records = self._with_retries(attempt, stop_on=_Expired)
        except _Expired as exc:
            expired.set()
            return [], tally, exc
        except _GaveUp as exc:
            return [], tally, exc
        return records, tally, None

    def _accept(self, records: list[PubmedRecord], pending: set[int], result: FetchResult) -> list[int]:
        """File records for pending ids; returns PMIDs of records nobody asked for (ignored)."""
        foreign = []
        for record in records:
            if record.pmid in pending:
                result.records[record.pmid] = record
                result.origin[record.pmid] = self.name
                pending.discard(record.pmid)
            elif record.pmid not in result.records:
                log.warning("efetch returned PMID %d, which was not requested; ignored", record.pmid)
                foreign.append(record.pmid)
        return foreign

    def _read_efetch(self, body: bytes) -> list[PubmedRecord]:
        error = _ERROR_RE.search(body[:2000])
        if error is not None:
            message = error.group(1).decode("utf-8", "replace").strip()
            kind = _Expired if "Unable to obtain query" in message else _Failed
            raise kind(self.mask(f"NCBI error: {message}"))
        return self._read(parse_efetch_reply, body)

    # --- one exchange, and retries -------------------------------------------------------------

    def _read(self, parse: Callable[..., T], body: object) -> T:
        try:
            return parse(body)
        except NcbiErrorReply as exc:
            raise _Failed(self.mask(f"NCBI error: {exc}")) from None
        except (PubmedXmlError, EutilsReplyError) as exc:
            # The body's opening words tell a blocked IP from a busy backend. They may echo the
            # key: mask whole texts first, cut after, or a key cut at the edge escapes the mask.
            reason, words = self.mask(str(exc)), self.mask(_words(self.mask(_text(body))))
            raise _Failed(f"unreadable reply: {reason[:200]}; body begins {words[:200]!r}") from None

    def _exchange(self, endpoint: str, call: Callable[..., object], tally: Counter[str], **params: object) -> bytes:
        """One HTTP request through Bio.Entrez; the whole body, or _Failed / PubmedUnreachable."""
        params.update(tool=self.tool, email=self.email, api_key=self._api_key)
        self.stats.count(endpoint)
        tally[endpoint] += 1
        token = route_var.set(self._route)
        try:
            with call(**params) as handle:  # type: ignore[attr-defined]
                self._reached = True
                body = handle.read()
        except urllib.error.HTTPError as exc:
            self._reached = True
            exc.close()
            if exc.code == 429:
                self.stats.add("rate_limited")
                raise _Failed("HTTP 429 rate limited", retry_after=_retry_after(exc.headers)) from None
            raise _Failed(self.mask(f"HTTP {exc.code} {exc.reason}"), retryable=exc.code >= 500) from None
        except (OSError, http.client.HTTPException) as exc:
            connecting = isinstance(exc, urllib.error.URLError)  # urllib wraps only errors before a reply
            reason = exc.reason if connecting else exc
            if connecting and not self._reached and _cannot_connect(reason):
                raise PubmedUnreachable(self.mask(f"E-utilities at {self.base_url} cannot be reached: "
                                                  f"{_describe(reason)}")) from None
            raise _Failed(self.mask(_describe(reason))) from None
        finally:
            route_var.reset(token)
        return body.encode() if isinstance(body, str) else body

    def _with_retries(self, attempt: Callable[[], T], stop_on: type[_Failed] | None = None) -> T:
        """Call `attempt` until it succeeds, up to max_tries; raises _GaveUp whose cause names
        the last failure, the attempts and time spent, and what went wrong on each.

        `stop_on`: failures passed straight to the caller, which knows better than to repeat.
        """
        started, causes = time.monotonic(), Counter[str]()
        if (refused := self.breaker.refusal()) is not None:
            self.stats.add("gave_up")
            raise _GaveUp(refused)
        while True:
            try:
                result = attempt()
                self.breaker.succeeded()
                return result
            except _Failed as exc:
                if stop_on is not None and isinstance(exc, stop_on):
                    raise
                causes[_label(exc.cause)] += 1
                n = sum(causes.values())
                if not exc.retryable or n >= self.max_tries:
                    self.stats.add("gave_up")
                    cause = _gave_up_cause(exc, causes, time.monotonic() - started)
                    if exc.retryable:  # an outage, not a request the service refuses on its own merits
                        self.breaker.failed(_label(exc.cause), cause)
                    log.warning("E-utilities request given up: %s", cause)
                    raise _GaveUp(cause) from None
                log.info("E-utilities attempt %d of %d failed (%s); retrying", n, self.max_tries, exc.cause)
                self.stats.add("retries")
                self._wait_before_retry(n, exc)

    def _wait_before_retry(self, n: int, failure: _Failed) -> None:
        delay = min(self.backoff_cap, self.backoff * 2 ** (n - 1)) * self._random.uniform(0.5, 1.5)
        if failure.retry_after is not None:
            # A 429 pauses every caller on this budget, not just this one.
            self._route.pacer.pause(max(failure.retry_after, delay))
        else:
            time.sleep(delay)


def _merge(into: FetchResult, part: FetchResult) -> None:
    into.records.update(part.records)
    into.origin.update(part.origin)
    into.not_found |= part.not_found
    into.unavailable.update(part.unavailable)


def _label(cause: str) -> str:
    """A failure's kind, for counting: "HTTP 503", "timed out", "HTML page", "NCBI error: …"."""
    if re.match(r"HTTP \d+", cause):
        return cause[:8]
    if cause.startswith("unreadable reply"):
        return "HTML page" if "HTML" in cause else "unreadable reply"
    if cause.startswith("truncated reply"):
        return "truncated reply"
    if cause.startswith("efetch answered with records not requested"):
        return "records not requested"
    return cause.split(";")[0][:60]


def _gave_up_cause(last: _Failed, causes: Counter[str], elapsed: float) -> str:
    """"HTTP 503 Service Unavailable; 6 attempts in 31 s (HTTP 503 ×4, truncated reply ×2)"."""
    n = sum(causes.values())
    if not last.retryable:
        return f"{last.cause} (not retryable)"
    if n == 1:
        return last.cause
    tried = f"{last.cause}; {n} attempts in {elapsed:.0f} s"
    if len(causes) == 1:
        return tried
    return tried + " (" + ", ".join(f"{label} ×{count}" for label, count in causes.most_common()) + ")"


def _retry_after(headers: object) -> float:
    value = getattr(headers, "get", lambda *_: None)("Retry-After")
    try:
        return min(60.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return 1.0  # absent or an HTTP date: NCBI's windows are one second


def _cannot_connect(reason: object) -> bool:
    """No route, refused, no such host, or a connection that never opens: no service at all."""
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror, TimeoutError)) or (
        isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS)


def _describe(exc: object) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(exc, http.client.IncompleteRead):
        return f"truncated reply ({len(exc.partial)} bytes, {exc.expected} more expected)"
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)


def _text(body: object) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def _words(text: str) -> str:
    """A reply's text without markup, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]*>", " ", text).split())


def _clean(value: str) -> str:
    """ECitMatch fields cannot hold its separators."""
    return re.sub(r"[|\r\n]+", " ", value or "").strip()
