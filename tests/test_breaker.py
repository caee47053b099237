"""Outages: a circuit breaker after N requests in a row given up for the same kind of failure;
the rest are unavailable at once with that cause (real Bio.Entrez against the stand-in)."""

from __future__ import annotations

import time

from grading.pubmed.breaker import CircuitBreaker


def test_a_persistent_outage_costs_n_requests_retries_not_every_search(eutils_standin, make_entrez_source) -> None:
    eutils_standin.faults.set_rate(1.0, kinds=["server_error"])
    source = make_entrez_source(max_tries=2, breaker_after=3)
    started = time.monotonic()
    answers = [source.search(f"term{i}[ti]") for i in range(12)]
    fetched = source.fetch([16996037, 28885585])
    elapsed = time.monotonic() - started
    assert all(a.error and "HTTP 503" in a.error for a in answers)
    assert all("not tried" not in a.error for a in answers[:3])
    assert all("circuit breaker" in a.error for a in answers[3:])
    assert set(fetched.unavailable) == {16996037, 28885585}
    assert all("HTTP 503" in cause and "circuit breaker" in cause for cause in fetched.unavailable.values())
    assert sum(eutils_standin.requests.values()) == 3 * 2  # three searches' two attempts each, then nothing
    assert source.breaker.skipped == 10 and elapsed < 20


def test_without_the_breaker_every_search_is_tried(eutils_standin, make_entrez_source) -> None:
    eutils_standin.faults.set_rate(1.0, kinds=["server_error"])
    source = make_entrez_source(max_tries=2, breaker_after=0)
    for i in range(5):
        source.search(f"term{i}[ti]")
    assert sum(eutils_standin.requests.values()) == 5 * 2


def test_kinds_must_repeat_in_a_row_and_a_success_closes_it() -> None:
    clock = [0.0]
    b = CircuitBreaker(after=2, cooldown=60, clock=lambda: clock[0])
    b.failed("HTTP 503", "HTTP 503 Service Unavailable")
    b.failed("timed out", "timed out")
    assert b.refusal() is None  # two kinds: not yet
    b.failed("timed out", "timed out")
    assert b.refusal() == "timed out; not tried: 2 requests in a row failed this way (circuit breaker)"
    clock[0] = 61
    assert b.refusal() is None  # one probe after the cooldown
    assert b.refusal() is not None
    b.succeeded()
    assert b.refusal() is None and not b.open
