"""PubMed through NCBI E-utilities, with Bio.Entrez as the HTTP client.

Bio.Entrez builds the requests; this module adds what it lacks (see docs on E-utilities):
one paced budget for the whole process, a timeout on every request, retries with backoff
for 429/5xx/resets/timeouts/unreadable or error-in-200 replies, and the rule that a failed
fetch is `unavailable`, never `not_found`. Bio.Entrez's URLs are hard-coded to NCBI; a
process-wide urllib opener (installed on first use, not on import) sends them to the
configured base URL instead.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import logging
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, quote_plus

from Bio import Entrez

from grading.models import FetchResult, PubmedRecord
from grading.pubmed_source import CitationMatch, CitationQuery, PubmedUnreachable, SearchAnswer, SourceStats
from grading.pubmed_xml import PubmedXmlError, parse_efetch_reply
from grading.ratelimit import Pacer, shared_pacer
from grading.settings import NCBI_EUTILS_URL

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
ECITMATCH_BATCH = 100  # citations per ecitmatch request: keeps the GET URL modest
_UNREACHABLE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ECONNREFUSED}
_ERROR_RE = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)


# --- routing: the one opener Bio.Entrez's urlopen calls go through -------------------------

@dataclass(frozen=True)
class _Route:
    base_url: str
    timeout: float
    pacer: Pacer


_route: ContextVar[_Route | None] = ContextVar("eutils_route", default=None)
_install_lock = threading.Lock()


class EutilsOpener(urllib.request.OpenerDirector):
    """Rewrites NCBI's E-utilities URLs to the caller's base URL, paces them, adds a timeout.

    The route (base URL, timeout, pacer) comes from the calling `EntrezSource` through a
    context variable, so sources with different base URLs can run side by side. Requests
    to other hosts pass through unchanged, with a timeout if their caller gave none.
    """

    def __init__(self, inner: urllib.request.OpenerDirector):
        super().__init__()
        self.inner = inner

    def open(self, fullurl, data=None, timeout=socket._GLOBAL_DEFAULT_TIMEOUT):  # type: ignore[no-untyped-def, override]
        request = fullurl if isinstance(fullurl, urllib.request.Request) else urllib.request.Request(fullurl)
        if data is not None:
            request.data = data
        route = _route.get()
        if request.full_url.startswith(NCBI_EUTILS_URL):
            if route is None:  # somebody calling Bio.Entrez directly still shares NCBI's budget
                shared_pacer(_budget(NCBI_EUTILS_URL, None), 3.0).wait()
            else:
                request.full_url = route.base_url + request.full_url[len(NCBI_EUTILS_URL):]
                route.pacer.wait()
        if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            timeout = route.timeout if route else DEFAULT_TIMEOUT
        return self.inner.open(request, timeout=timeout)


def install_eutils_opener() -> EutilsOpener:
    """Install the opener process-wide, once; wraps whatever opener was installed before."""
    with _install_lock:
        current = getattr(urllib.request, "_opener", None)  # urllib keeps no public getter
        if isinstance(current, EutilsOpener):
            return current
        opener = EutilsOpener(current or urllib.request.build_opener())
        urllib.request.install_opener(opener)
        return opener


def _budget(base_url: str, api_key: str | None) -> str:
    """NCBI counts per key, else per IP: one pacer per (service, key), the key hashed."""
    key = hashlib.sha256(api_key.encode()).hexdigest()[:12] if api_key else "no-key"
    return f"{base_url}#{key}"


# --- reading replies (pure) ----------------------------------------------------------------

class EutilsReplyError(ValueError):
    """A reply that is an error message, or not the reply asked for (HTML, truncated, garbled)."""


def parse_esearch_reply(body: bytes) -> SearchAnswer:
    """An esearch reply (JSON or XML) -> SearchAnswer.

    Raises EutilsReplyError for `ERROR` replies and bodies that are not esearch replies
    (worth retrying). Unknown fields, or phrases PubMed dropped from a query that still
    matched, give a non-authoritative answer with `error` (not worth retrying).
    """
    head = body.lstrip()[:1]
    try:
        if head == b"{":
            result = json.loads(body)["esearchresult"]
            if "ERROR" in result:
                raise EutilsReplyError(f"esearch error: {result['ERROR']}")
            errors = result.get("errorlist") or {}
            phrases, fields = errors.get("phrasesnotfound") or [], errors.get("fieldsnotfound") or []
            count, ids = int(result["count"]), [int(i) for i in result.get("idlist", [])]
        elif head == b"<":
            root = ET.fromstring(body)
            if root.tag != "eSearchResult":
                raise EutilsReplyError(f"not an esearch reply: <{root.tag}>")
            if root.findtext("ERROR"):
                raise EutilsReplyError(f"esearch error: {root.findtext('ERROR')}")
            phrases = [e.text or "" for e in root.iterfind("ErrorList/PhraseNotFound")]
            fields = [e.text or "" for e in root.iterfind("ErrorList/FieldNotFound")]
            count, ids = int(root.findtext("Count") or ""), [int(e.text or "") for e in root.iterfind("IdList/Id")]
        else:
            raise EutilsReplyError("not an esearch reply")
    except (ValueError, KeyError, TypeError, ET.ParseError) as exc:
        if isinstance(exc, EutilsReplyError):
            raise
        raise EutilsReplyError(f"unreadable esearch reply: {exc}") from None
    if fields:
        return SearchAnswer((), 0, False, f"PubMed could not read the query: {', '.join(fields)}")
    if phrases and count:
        # PubMed drops phrases it cannot find and searches with the rest: not this query's answer.
        return SearchAnswer((), 0, False, f"PubMed ignored phrases it did not find: {', '.join(phrases)}")
    return SearchAnswer(tuple(ids), count, authoritative=True)


def parse_epost_reply(body: bytes) -> tuple[str, int]:
    """An epost reply -> (WebEnv, query_key); EutilsReplyError otherwise."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise EutilsReplyError(f"unreadable epost reply: {exc}") from None
    webenv, key = root.findtext("WebEnv"), root.findtext("QueryKey")
    if root.tag != "ePostResult" or root.findtext("ERROR") or not webenv or not (key or "").isdigit():
        raise EutilsReplyError(f"epost failed: {root.findtext('ERROR') or 'no WebEnv in reply'}")
    return webenv, int(key or 0)


def parse_ecitmatch_reply(text: str) -> dict[str, tuple[int | None, str, str | None]]:
    """ECitMatch's plain text -> {key: (pmid, status, detail)}; EutilsReplyError for other bodies."""
    out: dict[str, tuple[int | None, str, str | None]] = {}
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        fields = line.split("|")
        if len(fields) < 7:
            raise EutilsReplyError(f"not an ecitmatch line: {line[:80]!r}")
        key, answer = fields[5], fields[6].strip()
        if answer.isdigit():
            out[key] = (int(answer), "found", None)
        elif answer.startswith("NOT_FOUND;INVALID_JOURNAL"):
            out[key] = (None, "invalid_journal", answer)
        elif answer.startswith("NOT_FOUND"):
            out[key] = (None, "not_found", None)
        elif answer.startswith("AMBIGUOUS"):
            out[key] = (None, "ambiguous", answer)
        else:
            raise EutilsReplyError(f"unknown ecitmatch answer {answer[:80]!r}")
    return out


# --- the client ----------------------------------------------------------------------------

class _Failed(Exception):
    """One exchange failed. `retry_after`: the server asked us to wait (429)."""

    def __init__(self, cause: str, retryable: bool = True, retry_after: float | None = None):
        super().__init__(cause)
        self.cause, self.retryable, self.retry_after = cause, retryable, retry_after


class _Expired(_Failed):
    """The history session (WebEnv) is gone: post again rather than retry."""


class _GaveUp(Exception):
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
    (doubling, with jitter, capped at backoff_cap).
    """

    name = "entrez"

    def __init__(self, base_url: str | None, email: str, api_key: str | None = None, *, tool: str = "grading",
                 timeout: float = DEFAULT_TIMEOUT, batch_size: int = 200, max_tries: int = 6,
                 rate: float | None = None, history_threshold: int = 1000, backoff: float = 1.0,
                 backoff_cap: float = 30.0, seed: int | None = None):
        self.base_url = (base_url or NCBI_EUTILS_URL).rstrip("/") + "/"
        self.email, self.tool, self._api_key = email, tool, api_key or None
        self.timeout, self.batch_size, self.max_tries = timeout, max(1, batch_size), max(1, max_tries)
        self.history_threshold, self.backoff, self.backoff_cap = history_threshold, backoff, backoff_cap
        rate = rate or (10.0 if self._api_key else 3.0)
        self._route = _Route(self.base_url, timeout, shared_pacer(_budget(self.base_url, self._api_key), rate))
        self._random = random.Random(seed)
        self._reached = False  # any HTTP reply seen: later connection failures are mid-run failures
        self.stats = EntrezStats()
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
        for start in range(0, len(rest), self.batch_size):
            self._fetch_batch(rest[start:start + self.batch_size], result, tally)
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

    def _fetch_batch(self, batch: list[int], result: FetchResult, tally: Counter[str]) -> None:
        pending = set(batch)

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

    def _fetch_by_history(self, ids: list[int], result: FetchResult, tally: Counter[str]) -> list[int]:
        """epost the ids, efetch them in windows; re-post when the WebEnv expires.

        Returns the ids left undecided (a window failed, or foreign records came back), to be
        fetched by id, where each reply says exactly which ids it covered.
        """
        pending = set(ids)

        def undecided() -> list[int]:
            return [i for i in ids if i in pending]
        for _post in range(self.max_tries):
            posted = undecided()
            try:
                webenv, key = self._post(posted, tally)
            except _GaveUp:
                return undecided()
            foreign: list[int] = []
            try:
                for start in range(0, len(posted), self.batch_size):
                    foreign += self._accept(self._fetch_window(webenv, key, start, tally), pending, result)
            except _Expired:
                log.info("history session expired after %d of %d ids; posting again",
                         len(ids) - len(pending), len(ids))
                continue
            except _GaveUp:
                return undecided()
            if foreign:
                return undecided()
            result.not_found.update(pending)
            return []
        return undecided()

    def _post(self, ids: list[int], tally: Counter[str]) -> tuple[str, int]:
        """epost -> (WebEnv, query_key), retried; _GaveUp when it cannot be had."""
        return self._with_retries(lambda: self._read(parse_epost_reply, self._exchange(
            "epost", Entrez.epost, tally, db="pubmed", id=",".join(map(str, ids)))))

    def _fetch_window(self, webenv: str, key: int, start: int, tally: Counter[str]) -> list[PubmedRecord]:
        """One window of a history set, retried; _Expired at once when the WebEnv is gone."""
        return self._with_retries(lambda: self._read_efetch(self._exchange(
            "efetch", Entrez.efetch, tally, db="pubmed", WebEnv=webenv, query_key=key, retstart=start,
            retmax=self.batch_size, retmode="xml")), stop_on=_Expired)

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
        except (PubmedXmlError, EutilsReplyError) as exc:
            # The body's opening words tell a blocked IP from a busy backend; they may echo the key.
            raise _Failed(self.mask(f"unreadable reply: {str(exc)[:200]}; body begins {_snippet(body)!r}")) from None

    def _exchange(self, endpoint: str, call: Callable[..., object], tally: Counter[str], **params: object) -> bytes:
        """One HTTP request through Bio.Entrez; the whole body, or _Failed / PubmedUnreachable."""
        params.update(tool=self.tool, email=self.email, api_key=self._api_key)
        self.stats.count(endpoint)
        tally[endpoint] += 1
        token = _route.set(self._route)
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
            _route.reset(token)
        return body.encode() if isinstance(body, str) else body

    def _with_retries(self, attempt: Callable[[], T], stop_on: type[_Failed] | None = None) -> T:
        """Call `attempt` until it succeeds, up to max_tries; raises _GaveUp with the last cause.

        `stop_on`: failures passed straight to the caller, which knows better than to repeat.
        """
        n = 0
        while True:
            n += 1
            try:
                return attempt()
            except _Failed as exc:
                if stop_on is not None and isinstance(exc, stop_on):
                    raise
                if not exc.retryable or n >= self.max_tries:
                    self.stats.add("gave_up")
                    log.warning("E-utilities request given up after %d attempt(s): %s", n, exc.cause)
                    raise _GaveUp(exc.cause) from None
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


def _snippet(body: object, size: int = 200) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return " ".join(re.sub(r"<[^>]*>", " ", text).split())[:size]


def _clean(value: str) -> str:
    """ECitMatch fields cannot hold its separators."""
    return re.sub(r"[|\r\n]+", " ", value or "").strip()
