"""EntrezSource: reply parsing offline, then the real Bio.Entrez path against the loopback stand-in."""

from __future__ import annotations

import itertools
import logging
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable

import pytest
from Bio import Entrez

from grading.models import PubmedRecord
from grading.pubmed.entrez import EntrezSource
from grading.pubmed.opener import EutilsOpener, install_eutils_opener
from grading.pubmed.pacer import Pacer, shared_pacer
from grading.pubmed.parser import iter_pubmed_xml, parse_efetch_reply
from grading.pubmed.replies import (
    EutilsReplyError,
    parse_ecitmatch_reply,
    parse_epost_reply,
    parse_esearch_reply,
)
from grading.pubmed.snapshot import SnapshotSource
from grading.pubmed.source import (
    FETCH_PROGRESS,
    CitationQuery,
    FallbackSource,
    PubmedUnreachable,
    SearchAnswer,
)
from grading.settings import bundled_path
from grading.testing.faults import FaultPlan
from grading.testing.standin import EutilsStandin
from tests.factories import make_record

pytest_plugins = ("tests.standin_fixtures",)  # eutils_standin, make_entrez_source, entrez_source, ...

MakeSource = Callable[..., EntrezSource]
SECRET = "SECRET-KEY-0123456789"
SNAPSHOT = bundled_path("snapshot.xml")


def assert_partition(result, requested) -> None:  # type: ignore[no-untyped-def]
    """Every requested id in exactly one of records / not_found / unavailable."""
    buckets = [set(result.records), set(result.not_found), set(result.unavailable)]
    assert set().union(*buckets) == set(requested)
    assert sum(map(len, buckets)) == len(set(requested))


# --- offline: reading replies, pacing ----------------------------------------------------------

def test_esearch_json_and_xml_replies() -> None:
    json_reply = b'{"header":{},"esearchresult":{"count":"2","retmax":"1","retstart":"0","idlist":["5"]}}'
    assert parse_esearch_reply(json_reply) == SearchAnswer((5,), 2, True)
    xml_reply = b"<eSearchResult><Count>1</Count><IdList><Id>7</Id></IdList></eSearchResult>"
    assert parse_esearch_reply(xml_reply) == SearchAnswer((7,), 1, True)


def test_esearch_phrase_not_found_is_an_authoritative_empty_answer_only_when_nothing_matched() -> None:
    empty = (b"<eSearchResult><Count>0</Count><IdList/><ErrorList><PhraseNotFound>10.1/x[doi]"
             b"</PhraseNotFound></ErrorList></eSearchResult>")
    assert parse_esearch_reply(empty) == SearchAnswer((), 0, True)
    dropped = (b'{"esearchresult":{"count":"40","idlist":["1","2"],'
               b'"errorlist":{"phrasesnotfound":["10.1/x"],"fieldsnotfound":[]}}}')
    answer = parse_esearch_reply(dropped)
    assert answer.ids == () and not answer.authoritative and "10.1/x" in (answer.error or "")
    fields = parse_esearch_reply(b'{"esearchresult":{"count":"0","idlist":[],"errorlist":{"fieldsnotfound":["zz"]}}}')
    assert not fields.authoritative and fields.error


@pytest.mark.parametrize("body", [
    b'{"header":{},"esearchresult":{"ERROR":"Search Backend failed: Empty Response"}}',
    b"<eSearchResult><ERROR>Search Backend failed</ERROR></eSearchResult>",
    b"<html><body>Service unavailable</body></html>",
    b'{"esearchresult":{"count":"1","idl',
    b"",
])
def test_esearch_failures_raise(body: bytes) -> None:
    with pytest.raises(EutilsReplyError):
        parse_esearch_reply(body)


def test_epost_and_ecitmatch_replies() -> None:
    assert parse_epost_reply(b"<ePostResult><QueryKey>1</QueryKey><WebEnv>MCID_1</WebEnv></ePostResult>") == (
        "MCID_1", 1)
    with pytest.raises(EutilsReplyError):
        parse_epost_reply(b"<ePostResult><ERROR>Empty Response</ERROR></ePostResult>")
    text = ("brain res|2006|1117|54|dolotov ov|a|16996037\n"
            "x|2006|1|1||b|NOT_FOUND\nx|2006|1|1||c|NOT_FOUND;INVALID_JOURNAL\n"
            "j|2000|3||roe r|d|AMBIGUOUS (2 citations)\n")
    assert parse_ecitmatch_reply(text) == {
        "a": (16996037, "found", None), "b": (None, "not_found", None),
        "c": (None, "invalid_journal", "NOT_FOUND;INVALID_JOURNAL"),
        "d": (None, "ambiguous", "AMBIGUOUS (2 citations)")}
    with pytest.raises(EutilsReplyError):
        parse_ecitmatch_reply("<html><body>Error</body></html>")


def test_pacer_spaces_requests_and_pauses_everyone() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    pacer = Pacer(3.0, margin=0.2, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.4, 0.4]  # (1 + 0.2) / 3 s apart
    now[0] += 0.25  # the caller took a while to come back: only the rest of the interval is waited
    assert pacer.wait() == pytest.approx(0.15)
    pacer.pause(2.0)
    assert pacer.wait() == pytest.approx(2.0)
    assert shared_pacer("svc#k", 3.0) is shared_pacer("svc#k", 10.0)  # one budget, one pacer, slower rate
    assert shared_pacer("svc#k", 5.0).rate == 3.0


def test_a_late_waker_pushes_the_next_grant_back() -> None:
    """Spacing counts from when a grant really happened, not from the slot it was planned for."""
    now = [0.0]

    def oversleep(seconds: float) -> None:
        now[0] += seconds + 0.3  # the OS wakes the caller 0.3 s late

    pacer = Pacer(3.0, margin=0.2, clock=lambda: now[0], sleep=oversleep)
    grants = []
    for _ in range(4):
        pacer.wait()
        grants.append(round(now[0], 3))
    assert grants == [0.0, 0.7, 1.4, 2.1]
    assert all(b - a >= pacer.interval for a, b in itertools.pairwise(grants))


def test_the_opener_is_installed_by_a_source_not_by_import_and_wraps_the_previous_one() -> None:
    code = """if True:
        import urllib.request
        custom = urllib.request.build_opener()
        urllib.request.install_opener(custom)
        from grading.pubmed.entrez import EntrezSource
        from grading.pubmed.opener import EutilsOpener
        print(urllib.request._opener is custom)
        EntrezSource("http://127.0.0.1:9/entrez/eutils/", "a@example.org", None)
        EntrezSource("http://127.0.0.1:8/entrez/eutils/", "a@example.org", None)
        opener = urllib.request._opener
        print(isinstance(opener, EutilsOpener) and opener.inner is custom)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


# --- against the stand-in ----------------------------------------------------------------------

def test_fetch_sorts_ids_into_records_and_not_found(entrez_source: EntrezSource,
                                                    eutils_standin: EutilsStandin) -> None:
    result = entrez_source.fetch([16996037, 1, 16362768, 16996037, 99999999])
    assert set(result.records) == {16996037, 16362768}
    assert result.not_found == {1, 99999999} and result.unavailable == {}
    assert result.records[16362768].doi == "10.1007/s11064-005-8826-8"
    assert result.origin == {16996037: "entrez", 16362768: "entrez"}
    assert result.requests == 1 and eutils_standin.requests["efetch"] == 1
    assert_partition(result, [16996037, 1, 16362768, 99999999])


def test_fetch_goes_through_bio_entrez_with_tool_and_email(make_entrez_source: MakeSource,
                                                           eutils_standin: EutilsStandin,
                                                           monkeypatch: pytest.MonkeyPatch, snapshot_pmids: tuple[int, ...]) -> None:
    calls: list[dict] = []
    real_efetch = Entrez.efetch
    monkeypatch.setattr(Entrez, "efetch", lambda **kw: calls.append(kw) or real_efetch(**kw))
    source = make_entrez_source(tool="grading-tests", batch_size=200, rate=50)
    result = source.fetch([*snapshot_pmids, *range(1, 193)])  # 200 ids: Bio.Entrez switches to POST
    assert len(result.records) == 8 and len(result.not_found) == 192
    assert len(calls) == 1 and Entrez.max_tries == 1
    seen = eutils_standin.seen[-1]
    assert (seen.endpoint, seen.method) == ("efetch", "POST")
    assert seen.params["tool"] == "grading-tests" and seen.params["email"] == source.email
    assert "api_key" not in seen.params


def test_fetch_batches(make_entrez_source: MakeSource, eutils_standin: EutilsStandin, snapshot_pmids: tuple[int, ...]) -> None:
    source = make_entrez_source(batch_size=3)
    result = source.fetch([*snapshot_pmids, 1])
    assert len(result.records) == 8 and result.not_found == {1}
    assert result.requests == 3 and eutils_standin.requests["efetch"] == 3
    assert [len(s.params["id"].split(",")) for s in eutils_standin.seen] == [3, 3, 3]
    assert {s.method for s in eutils_standin.seen} == {"POST"}  # id lists always go in the body
    assert source.stats.requests == {"efetch": 3}


def test_search(entrez_source: EntrezSource, eutils_standin: EutilsStandin) -> None:
    assert entrez_source.search("10.1007/s11064-005-8826-8[doi]") == SearchAnswer((16362768,), 1, True)
    assert entrez_source.search("Dolotov OV[au] AND Karpenko EA[au]").ids == (16996037,)
    assert entrez_source.search('"10.9999/no-such-paper"[doi]') == SearchAnswer((), 0, True)
    assert len(entrez_source.search("semax", retmax=2).ids) == 2
    assert eutils_standin.seen[0].params["retmode"] == "json"


def test_search_retries_error_replies_then_gives_up_non_authoritatively(entrez_source: EntrezSource,
                                                                        eutils_standin: EutilsStandin) -> None:
    eutils_standin.rate = None  # counts requests exactly: no room for a spurious 429
    eutils_standin.faults.script("error", endpoint="esearch")
    assert entrez_source.search("Dolotov[au]").ids == (16996037,)
    eutils_standin.faults.script("error", endpoint="esearch", times=4)
    answer = entrez_source.search("Dolotov[au]")
    assert answer.ids == () and not answer.authoritative and "Search Backend failed" in (answer.error or "")
    assert eutils_standin.requests["esearch"] == 2 + 4
    before = eutils_standin.requests["esearch"]
    unknown_field = entrez_source.search("semax[zz]")
    assert not unknown_field.authoritative and eutils_standin.requests["esearch"] == before + 1  # not retried


def test_match_citations(entrez_source: EntrezSource, eutils_standin: EutilsStandin) -> None:
    queries = [CitationQuery("fn|1", "Brain Res", "2006", "1117", "54", "Dolotov OV"),
               CitationQuery("fn2", "Brain Res", "2006", "1117", "99", "Dolotov OV"),
               CitationQuery("fn3", "Journal Of Nothing", "2006", "1", "1")]
    matches = entrez_source.match_citations(queries)
    assert [(m.key, m.pmid, m.status) for m in matches] == [
        ("fn|1", 16996037, "found"), ("fn2", None, "not_found"), ("fn3", None, "invalid_journal")]
    eutils_standin.faults.set_rate(1.0, kinds=["html"], endpoints=["ecitmatch"])
    failed = entrez_source.match_citations(queries[:1])
    assert failed[0].status == "unavailable" and "unreadable" in (failed[0].detail or "")


def test_ambiguous_citation(make_entrez_source: MakeSource) -> None:
    twins = [make_record(1, journal="J Twins", year=2000, authors=("Roe R",), volume="3", pages="10"),
             make_record(2, journal="J Twins", year=2000, authors=("Roe R",), volume="3", pages="20")]
    with EutilsStandin(records=twins) as standin:
        source = make_entrez_source(base_url=standin.base_url)
        [match] = source.match_citations([CitationQuery("k", "J Twins", "2000", "3", "", "Roe R")])
    assert (match.status, match.pmid) == ("ambiguous", None) and "2" in (match.detail or "")


# --- rate limiting -----------------------------------------------------------------------------

def test_a_burst_through_the_client_is_paced_below_the_limit(make_entrez_source: MakeSource,
                                                             eutils_standin: EutilsStandin) -> None:
    sources = [make_entrez_source(), make_entrez_source()]  # two sources, one shared budget
    answers: list[SearchAnswer] = []
    threads = [threading.Thread(target=lambda s=s: answers.append(s.search("semax"))) for s in sources * 5]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert len(answers) == 10 and all(a.authoritative and a.ids for a in answers)
    assert eutils_standin.rate_limited == 0 and eutils_standin.requests["esearch"] == 10
    assert elapsed >= 2.9  # 10 requests at 3/s


def test_429_is_retried_after_retry_after(make_entrez_source: MakeSource, eutils_standin: EutilsStandin) -> None:
    source = make_entrez_source()
    eutils_standin.faults.script("rate_limit", endpoint="efetch")
    started = time.monotonic()
    result = source.fetch([16996037])
    assert time.monotonic() - started >= 1.0  # the stand-in said Retry-After: 1
    assert set(result.records) == {16996037}
    assert source.stats.rate_limited == 1 and source.stats.retries == 1 and result.requests == 2


# --- faults ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["error", "truncated", "html", "reset", "server_error", "slow", "wrong_record"])
def test_each_fault_is_retried_and_recovered(kind: str, make_entrez_source: MakeSource,
                                             eutils_standin: EutilsStandin) -> None:
    source = make_entrez_source(timeout=0.5, api_key="k")
    eutils_standin.faults.script(kind, endpoint="efetch", delay=1.5)
    result = source.fetch([16996037, 16362768, 1])
    assert set(result.records) == {16996037, 16362768} and result.not_found == {1}
    assert result.unavailable == {}
    assert eutils_standin.faults_injected[kind] == 1
    assert source.stats.retries == 1 and result.requests == 2


@pytest.mark.parametrize("kind, cause", [
    ("error", "NCBI error: Empty Response"), ("html", "HTML"), ("server_error", "HTTP 503"),
    ("truncated", "truncated"), ("reset", "Error"), ("wrong_record", "not requested"),
])
def test_persistent_faults_leave_ids_unavailable_never_not_found(kind: str, cause: str,
                                                                 make_entrez_source: MakeSource,
                                                                 eutils_standin: EutilsStandin) -> None:
    source = make_entrez_source(max_tries=3, api_key="k")
    eutils_standin.faults.set_rate(1.0, kinds=[kind], endpoints=["efetch"])
    result = source.fetch([16996037, 1])
    assert result.not_found == set() and set(result.unavailable) <= {16996037, 1}
    assert 1 in result.unavailable and cause in result.unavailable[1]
    assert result.requests == 3 and source.stats.gave_up == 1
    assert_partition(result, [16996037, 1])
    if kind == "wrong_record":
        assert set(result.records) == {16996037} - set(result.unavailable)
        assert all(r.pmid in (16996037, 1) for r in result.records.values())


def test_timeouts_are_enforced(make_entrez_source: MakeSource, eutils_standin: EutilsStandin) -> None:
    source = make_entrez_source(timeout=0.3, max_tries=2, api_key="k")
    eutils_standin.faults.set_rate(1.0, kinds=["slow"], endpoints=["efetch"], delay=3.0)
    started = time.monotonic()
    result = source.fetch([16996037])
    assert time.monotonic() - started < 2.0
    assert result.unavailable == {16996037: "efetch failed: timed out; 2 attempts in 1 s"}


def test_client_errors_are_not_retried(make_entrez_source: MakeSource, eutils_standin: EutilsStandin) -> None:
    source = make_entrez_source()
    eutils_standin.faults.script("server_error", endpoint="efetch", status=414)
    result = source.fetch([16996037])
    assert result.requests == 1 and "HTTP 414" in result.unavailable[16996037]


def test_random_faults_are_survived(make_entrez_source: MakeSource, eutils_standin: EutilsStandin, snapshot_pmids: tuple[int, ...]) -> None:
    eutils_standin.rate_with_key = None
    eutils_standin.faults.set_rate(0.4, seed=3, kinds=["error", "truncated", "html", "reset", "server_error"])
    source = make_entrez_source(batch_size=1, max_tries=10, api_key="k", rate=40)
    result = source.fetch(snapshot_pmids)
    assert set(result.records) == set(snapshot_pmids)
    assert sum(eutils_standin.faults_injected.values()) >= 2
    assert result.requests == 8 + sum(eutils_standin.faults_injected.values())


# --- history (epost + WebEnv) ------------------------------------------------------------------

def test_large_sets_use_epost_and_history_windows(make_entrez_source: MakeSource,
                                                  eutils_standin: EutilsStandin, snapshot_pmids: tuple[int, ...]) -> None:
    source = make_entrez_source(history_threshold=5, batch_size=3, api_key="k")
    result = source.fetch([*snapshot_pmids, 1, 2])
    assert len(result.records) == 8 and result.not_found == {1, 2}
    assert eutils_standin.requests == {"epost": 1, "efetch": 5}
    efetches = [s.params for s in eutils_standin.seen if s.endpoint == "efetch"]
    assert all("WebEnv" in p for p in efetches[:4])
    assert efetches[4]["id"] == "1,2"  # what no window brought back is asked for by id: absence proven


@pytest.mark.parametrize("workers", [1, 3])
def test_each_window_is_heard_as_it_arrives_not_after_the_last(workers: int, make_entrez_source: MakeSource,
                                                             eutils_standin: EutilsStandin,
                                                             snapshot_pmids: tuple[int, ...]) -> None:
    """A batch's records go to the caller (who reads them) while later windows wait for the rate limit."""
    source = make_entrez_source(history_threshold=5, batch_size=1, api_key="k", workers=workers)
    heard: list[tuple[int, int]] = []  # (records heard, efetch requests made by then)
    token = FETCH_PROGRESS.set(lambda records, answered: heard.append(
        (len(records), eutils_standin.requests.get("efetch", 0))))
    try:
        result = source.fetch(list(snapshot_pmids))
    finally:
        FETCH_PROGRESS.reset(token)
    assert len(result.records) == len(snapshot_pmids) == 8
    assert [n for n, _ in heard] == [1] * 8
    if workers == 1:
        assert [made for _, made in heard] == list(range(1, 9))
    else:  # three in flight at most when the first is heard; eight windows take over half a second at 10/s
        assert heard[0][1] < 8 and heard[-1][1] == 8


def test_an_expired_webenv_is_posted_again(make_entrez_source: MakeSource, eutils_standin: EutilsStandin, snapshot_pmids: tuple[int, ...]) -> None:
    source = make_entrez_source(history_threshold=5, batch_size=3, api_key="k")
    eutils_standin.faults.script("expired", endpoint="efetch")
    result = source.fetch([*snapshot_pmids, 1])
    assert len(result.records) == 8 and result.not_found == {1}
    assert eutils_standin.requests["epost"] == 2


def test_history_that_keeps_expiring_falls_back_to_ids(make_entrez_source: MakeSource,
                                                       eutils_standin: EutilsStandin, snapshot_pmids: tuple[int, ...]) -> None:
    source = make_entrez_source(history_threshold=5, batch_size=4, max_tries=2, api_key="k", workers=1)
    eutils_standin.faults.set_rate(1.0, kinds=["expired"], endpoints=["efetch"])  # history requests only
    result = source.fetch([*snapshot_pmids, 1])
    assert len(result.records) == 8 and result.not_found == {1}
    assert eutils_standin.requests["epost"] == 2 and eutils_standin.faults_injected["expired"] == 2


# --- reachability ------------------------------------------------------------------------------

def test_an_unreachable_service_raises_and_the_fallback_takes_over(make_entrez_source: MakeSource,
                                                                    closed_port_url: str) -> None:
    source = make_entrez_source(base_url=closed_port_url, api_key=SECRET)
    for call in (lambda: source.fetch([16996037]), lambda: source.search("semax"),
                 lambda: source.match_citations([CitationQuery("k", "Brain Res")])):
        with pytest.raises(PubmedUnreachable) as caught:
            call()
        assert "cannot be reached" in str(caught.value) and SECRET not in str(caught.value)
    fallback = FallbackSource(source, lambda: SnapshotSource(SNAPSHOT))
    assert 16996037 in fallback.fetch([16996037]).records and fallback.fell_back


def test_losing_the_service_mid_run_is_unavailable_not_unreachable(make_entrez_source: MakeSource,
                                                                  eutils_standin: EutilsStandin) -> None:
    source = make_entrez_source(max_tries=2)
    assert 16996037 in source.fetch([16996037]).records
    eutils_standin.stop()
    result = source.fetch([16362768])
    assert "Connection refused" in result.unavailable[16362768] and not result.not_found


def test_the_api_key_never_leaks(make_entrez_source: MakeSource, eutils_standin: EutilsStandin,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    source = make_entrez_source(api_key=SECRET, max_tries=2)
    eutils_standin.faults.set_rate(1.0, kinds=["html"])  # the error page echoes the request URL
    result = source.fetch([16996037])
    answer = source.search("semax")
    assert eutils_standin.seen[-1].params["api_key"] == SECRET  # the key was sent...
    texts = [*result.unavailable.values(), answer.error or "", caplog.text, repr(source)]
    assert all(SECRET not in t for t in texts)  # ...and never shown
    assert "***" in result.unavailable[16996037]


def test_a_key_echoed_across_the_edge_of_the_quoted_body_is_still_masked() -> None:
    source = EntrezSource("http://127.0.0.1:9/entrez/eutils/", "a@example.org", SECRET)
    for shift in range(len(SECRET) + 10):  # the key straddles the 200-character cut somewhere here
        body = f"<html><body><p>{'x' * (170 + shift)} api_key={SECRET}</p></body></html>".encode()
        with pytest.raises(Exception) as caught:
            source._read(parse_efetch_reply, body)
        cause = caught.value.cause  # type: ignore[attr-defined]
        assert cause.startswith("unreadable reply") and SECRET[:6] not in cause, cause


def test_other_urls_pass_through_the_opener_unchanged(entrez_source: EntrezSource,
                                                      eutils_standin: EutilsStandin) -> None:
    opener = install_eutils_opener()
    assert install_eutils_opener() is opener and isinstance(opener, EutilsOpener)
    url = eutils_standin.base_url + "esearch.fcgi?db=pubmed&retmode=json&term=Dolotov[au]"
    with urllib.request.urlopen(url) as reply:
        assert b"16996037" in reply.read()
    assert eutils_standin.seen[-1].params == {"db": "pubmed", "retmode": "json", "term": "Dolotov[au]"}


# --- real records, a quarter of the replies failing ----------------------------------------------

@pytest.fixture(scope="module")
def real_records(testdata_dir) -> list:  # type: ignore[no-untyped-def]
    """300 records spread over the first 3,000 of a real 1970s baseline file."""
    records = [r for r in itertools.islice(iter_pubmed_xml(testdata_dir / "pubmed20n0014.xml.gz"), 3000)
               if isinstance(r, PubmedRecord)]
    return random.Random(14).sample(records, 300)


@pytest.mark.parametrize("history_threshold", [10_000, 100], ids=["by-id", "epost-history"])
def test_a_quarter_of_replies_failing_in_mixed_ways_loses_no_record(real_records, history_threshold: int,
                                                                    make_entrez_source: MakeSource) -> None:
    kinds = ["error", "truncated", "html", "reset", "server_error", "rate_limit", "slow", "wrong_record",
             "expired"]
    faults = FaultPlan(rate=0.25, seed=5, kinds=kinds, delay=1.0)
    unknown = [99_999_991, 99_999_992]
    with EutilsStandin(records=real_records, rate=None, rate_with_key=None, retry_after=0.05,
                       faults=faults) as standin:
        source = make_entrez_source(base_url=standin.base_url, api_key="k", rate=40, timeout=0.5, max_tries=10,
                                    batch_size=10, history_threshold=history_threshold)
        wanted = [r.pmid for r in real_records] + unknown
        result = source.fetch(wanted)
    assert set(result.records) == {r.pmid for r in real_records}
    assert result.unavailable == {} and result.not_found == set(unknown)
    assert all(result.records[r.pmid].raw_xml == r.raw_xml for r in real_records)
    injected = sum(standin.faults_injected.values())
    assert len(standin.faults_injected) >= 4 and injected >= sum(standin.requests.values()) // 8
    assert source.stats.requests == dict(standin.requests) and source.stats.retries > 0
