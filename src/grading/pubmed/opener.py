"""The one urllib opener Bio.Entrez's requests go through: routed, paced, time-limited.

Bio.Entrez's endpoint URLs are hard-coded to NCBI and it calls `urllib.request.urlopen`, so a
process-wide opener (installed by the first `EntrezSource`, never on import) can send each
request to the calling source's base URL (NCBI, a mirror, the loopback stand-in), wait for
its turn on the shared pacer, move id lists into a POST body and add a timeout. The calling
source hands over its `Route` through a context variable, so sources with different base
URLs can run side by side.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import urllib.request
from contextvars import ContextVar
from dataclasses import dataclass

from grading.pubmed.pacer import Pacer, shared_pacer
from grading.settings import NCBI_EUTILS_URL

DEFAULT_TIMEOUT = 30.0
POSTED_ENDPOINTS = ("efetch.fcgi", "esummary.fcgi")


@dataclass(frozen=True)
class Route:
    """Where one EntrezSource's requests go, how long each may take, and whose budget they use."""

    base_url: str
    timeout: float
    pacer: Pacer


route_var: ContextVar[Route | None] = ContextVar("eutils_route", default=None)
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
        route = route_var.get()
        if request.full_url.startswith(NCBI_EUTILS_URL):
            if route is None:  # somebody calling Bio.Entrez directly still shares NCBI's budget
                shared_pacer(budget(NCBI_EUTILS_URL, None), 3.0).wait()
            else:
                request = _as_post(route.base_url + request.full_url[len(NCBI_EUTILS_URL):], request)
                route.pacer.wait()
        if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            timeout = route.timeout if route else DEFAULT_TIMEOUT
        return self.inner.open(request, timeout=timeout)


def _as_post(url: str, request: urllib.request.Request) -> urllib.request.Request:
    """The request at `url`; an id list sent by GET goes in a POST body instead, as NCBI asks
    (Bio.Entrez posts only from 200 ids or 1,000 characters on)."""
    path, _, query = url.partition("?")
    if request.data is None and path.endswith(POSTED_ENDPOINTS) and re.search(r"(^|&)id=", query):
        return urllib.request.Request(path, data=query.encode(), headers=dict(request.header_items()),
                                      method="POST")
    request.full_url = url
    return request


def install_eutils_opener() -> EutilsOpener:
    """Install the opener process-wide, once; wraps whatever opener was installed before."""
    with _install_lock:
        current = getattr(urllib.request, "_opener", None)  # urllib keeps no public getter
        if isinstance(current, EutilsOpener):
            return current
        opener = EutilsOpener(current or urllib.request.build_opener())
        urllib.request.install_opener(opener)
        return opener


def budget(base_url: str, api_key: str | None) -> str:
    """NCBI counts per key, else per IP: one pacer per (service, key), the key hashed."""
    key = hashlib.sha256(api_key.encode()).hexdigest()[:12] if api_key else "no-key"
    return f"{base_url}#{key}"
