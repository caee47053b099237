"""The E-utilities stand-in, spoken to directly over loopback HTTP (no Bio.Entrez, no client)."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest

from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from grading.settings import bundled_path
from grading.testing.faults import FaultPlan
from grading.testing.standin import EutilsStandin
from tests.factories import make_record

pytest_plugins = ("tests.standin_fixtures",)  # eutils_standin

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = bundled_path("snapshot.xml")


def get(standin: EutilsStandin, endpoint: str, **params: object) -> tuple[int, dict[str, str], bytes]:
    url = standin.base_url + endpoint + "?" + urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def post(standin: EutilsStandin, endpoint: str, **params: object) -> bytes:
    data = urlencode(params).encode()
    with urllib.request.urlopen(standin.base_url + endpoint, data=data, timeout=10) as reply:
        return reply.read()


def esearch_json(standin: EutilsStandin, term: str, **params: object) -> dict:
    status, _, body = get(standin, "esearch.fcgi", db="pubmed", term=term, retmode="json", **params)
    assert status == 200
    return json.loads(body)["esearchresult"]


@pytest.fixture()
def open_standin():
    """A stand-in without a rate limit, for tests that send many requests quickly."""
    with EutilsStandin([SNAPSHOT], rate=None, rate_with_key=None) as standin:
        yield standin


# --- efetch, epost, esummary ------------------------------------------------------------------

def test_efetch_returns_known_records_and_omits_unknown_ids(open_standin: EutilsStandin) -> None:
    status, _, body = get(open_standin, "efetch.fcgi", db="pubmed", id="16996037,1,27158238", retmode="xml")
    assert status == 200
    assert body.startswith(b"<?xml") and b"<!DOCTYPE PubmedArticleSet" in body
    assert [r.pmid for r in parse_efetch_reply(body)] == [16996037, 27158238]
    _, _, empty = get(open_standin, "efetch.fcgi", db="pubmed", id="1,2", retmode="xml")
    assert parse_efetch_reply(empty) == []
    assert open_standin.requests["efetch"] == 2


def test_efetch_accepts_post_form_bodies(open_standin: EutilsStandin, snapshot_pmids: tuple[int, ...]) -> None:
    ids = ",".join(map(str, [*range(1, 300), *snapshot_pmids]))
    body = post(open_standin, "efetch.fcgi", db="pubmed", id=ids, retmode="xml")
    assert sorted(r.pmid for r in parse_efetch_reply(body)) == sorted(snapshot_pmids)
    assert open_standin.seen[-1].method == "POST"


def test_epost_then_efetch_windows_and_expiry(open_standin: EutilsStandin) -> None:
    ids = [16996037, 1, 16362768, 11443939]
    root = ET.fromstring(post(open_standin, "epost.fcgi", db="pubmed", id=",".join(map(str, ids))))
    webenv, key = root.findtext("WebEnv"), root.findtext("QueryKey")
    assert root.tag == "ePostResult" and webenv and key == "1"
    window = {"db": "pubmed", "WebEnv": webenv, "query_key": key, "retmode": "xml"}
    _, _, first = get(open_standin, "efetch.fcgi", retstart=0, retmax=2, **window)
    _, _, second = get(open_standin, "efetch.fcgi", retstart=2, retmax=2, **window)
    assert [r.pmid for r in parse_efetch_reply(first)] == [16996037]
    assert [r.pmid for r in parse_efetch_reply(second)] == [16362768, 11443939]
    open_standin.expire_webenvs()
    status, _, expired = get(open_standin, "efetch.fcgi", retstart=0, retmax=2, **window)
    assert status == 200 and b"<ERROR>Unable to obtain query #1</ERROR>" in expired


def test_esummary_docsums(open_standin: EutilsStandin) -> None:
    _, _, body = get(open_standin, "esummary.fcgi", db="pubmed", id="16996037,5")
    docs = ET.fromstring(body).findall("DocSum")
    assert [d.findtext("Id") for d in docs] == ["16996037"]
    items = {i.get("Name"): i for i in docs[0].findall("Item")}
    assert items["Source"].text == "Brain Res" and items["PubDate"].text == "2006"
    assert items["AuthorList"][0].text == "Dolotov OV"
    assert items["Title"].text.startswith("Semax, an analog of ACTH(4-10)")


# --- esearch -----------------------------------------------------------------------------------

@pytest.mark.parametrize("term, expected", [
    ("10.1007/s11064-005-8826-8[doi]", ["16362768"]),
    ('"10.1007/S11064-005-8826-8"[aid]', ["16362768"]),
    ("Dolotov OV[au] AND Karpenko EA[au]", ["16996037"]),
    ("Dolotov[au]", ["16996037"]),
    ('"Brain Res"[ta] AND 2006[dp]', ["16996037"]),
    ("16362768[pmid]", ["16362768"]),
    ("16362768[uid]", ["16362768"]),
    ("(ginseng[tiab] OR Dolotov[au]) AND 2016[dp]", ["27158238"]),
    ("ginseng[ti] AND hair[ti]", ["28885585", "27158238"]),
])
def test_esearch_field_tags(open_standin: EutilsStandin, term: str, expected: list[str]) -> None:
    result = esearch_json(open_standin, term)
    assert result["idlist"] == expected
    assert result["count"] == str(len(expected)) and result["retstart"] == "0"


def test_esearch_paging_history_and_xml(open_standin: EutilsStandin) -> None:
    everything = esearch_json(open_standin, "semax")["idlist"]
    assert len(everything) >= 3
    page = esearch_json(open_standin, "semax", retstart=1, retmax=2, usehistory="y")
    assert page["idlist"] == everything[1:3] and page["retmax"] == "2" and page["count"] == str(len(everything))
    _, _, fetched = get(open_standin, "efetch.fcgi", db="pubmed", WebEnv=page["webenv"],
                        query_key=page["querykey"], retstart=0, retmax=100, retmode="xml")
    assert [str(r.pmid) for r in parse_efetch_reply(fetched)] == everything
    _, _, xml = get(open_standin, "esearch.fcgi", db="pubmed", term="Dolotov OV[au]")
    root = ET.fromstring(xml)
    assert root.tag == "eSearchResult" and root.findtext("Count") == "1"
    assert [e.text for e in root.iterfind("IdList/Id")] == ["16996037"]


def test_esearch_reports_phrases_and_fields_not_found(open_standin: EutilsStandin) -> None:
    missing = esearch_json(open_standin, "10.9999/none[doi]")
    assert missing["count"] == "0" and missing["idlist"] == []
    assert missing["errorlist"]["phrasesnotfound"] == ["10.9999/none[doi]"]
    _, _, xml = get(open_standin, "esearch.fcgi", db="pubmed", term="10.9999/none[doi]")
    assert ET.fromstring(xml).findtext("ErrorList/PhraseNotFound") == "10.9999/none[doi]"
    assert esearch_json(open_standin, "semax[zz]")["errorlist"]["fieldsnotfound"]


# --- ecitmatch ---------------------------------------------------------------------------------

def test_ecitmatch_answers_each_line() -> None:
    twins = [make_record(1, journal="J Twins", year=2000, authors=("Roe R",), volume="3", pages="10-12"),
             make_record(2, journal="J Twins", year=2000, authors=("Roe R",), volume="3", pages="20-22")]
    with EutilsStandin([SNAPSHOT], records=twins, rate=None) as standin:
        lines = ["Brain Res|2006|1117|54|Dolotov OV|k1|", "Brain Res|2006|1117|99|Dolotov OV|k2|",
                 "Nature Imaginary|2006|1|1||k3|", "J Twins|2000|3||Roe R|k4|"]
        bdata = "\r".join(lines)
        status, headers, body = get(standin, "ecitmatch.cgi", db="pubmed", retmode="xml", bdata=bdata)
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert body.decode().splitlines() == [
        "Brain Res|2006|1117|54|Dolotov OV|k1|16996037",
        "Brain Res|2006|1117|99|Dolotov OV|k2|NOT_FOUND",
        "Nature Imaginary|2006|1|1||k3|NOT_FOUND;INVALID_JOURNAL",
        "J Twins|2000|3||Roe R|k4|AMBIGUOUS (2 citations)",
    ]


# --- rate limit --------------------------------------------------------------------------------

def test_a_burst_over_the_limit_gets_429_with_ncbi_body_and_headers(eutils_standin: EutilsStandin) -> None:
    replies = [get(eutils_standin, "esearch.fcgi", db="pubmed", term="semax") for _ in range(6)]
    statuses = [status for status, _, _ in replies]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    _, headers, body = next(r for r in replies if r[0] == 429)
    assert json.loads(body) == {"error": "API rate limit exceeded", "api-key": "127.0.0.1",
                                "count": "4", "limit": "3"}
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
    assert float(headers["Retry-After"]) > 0
    assert eutils_standin.rate_limited == statuses.count(429)
    time.sleep(1.05)  # the window slides: the next request is welcome again
    assert get(eutils_standin, "esearch.fcgi", db="pubmed", term="semax")[0] == 200


def test_an_api_key_raises_the_limit_to_ten(eutils_standin: EutilsStandin) -> None:
    statuses = [get(eutils_standin, "esearch.fcgi", db="pubmed", term="x", api_key="k")[0] for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


def test_the_limit_can_be_disabled(open_standin: EutilsStandin) -> None:
    assert all(get(open_standin, "esearch.fcgi", db="pubmed", term="x")[0] == 200 for _ in range(8))
    assert open_standin.rate_limited == 0


# --- faults ------------------------------------------------------------------------------------

def test_scripted_faults_spoil_the_next_replies_in_order(open_standin: EutilsStandin) -> None:
    fetch = {"db": "pubmed", "id": "16996037", "retmode": "xml"}
    open_standin.faults.script("error", "expired", "html", endpoint="efetch")
    open_standin.faults.script("server_error", endpoint="efetch", status=502)
    open_standin.faults.script("rate_limit", "wrong_record", endpoint="efetch")
    assert b"<eFetchResult><ERROR>Empty Response</ERROR></eFetchResult>" in get(open_standin, "efetch.fcgi", **fetch)[2]
    assert b"<ERROR>Unable to obtain query #1</ERROR>" in get(open_standin, "efetch.fcgi", **fetch)[2]
    status, headers, page = get(open_standin, "efetch.fcgi", **fetch)
    assert status == 200 and headers["Content-Type"] == "text/html" and page.startswith(b"<html>")
    with pytest.raises(PubmedXmlError, match="HTML"):
        parse_efetch_reply(page)
    assert get(open_standin, "efetch.fcgi", **fetch)[0] == 502
    assert get(open_standin, "efetch.fcgi", **fetch)[0] == 429
    assert [r.pmid for r in parse_efetch_reply(get(open_standin, "efetch.fcgi", **fetch)[2])] != [16996037]
    assert [r.pmid for r in parse_efetch_reply(get(open_standin, "efetch.fcgi", **fetch)[2])] == [16996037]
    assert open_standin.faults_injected == {"error": 1, "expired": 1, "html": 1, "server_error": 1,
                                            "rate_limit": 1, "wrong_record": 1}
    assert open_standin.rate_limited == 1


def test_truncated_reset_and_slow_replies(open_standin: EutilsStandin) -> None:
    url = open_standin.base_url + "efetch.fcgi?db=pubmed&id=16996037&retmode=xml"
    open_standin.faults.script("truncated", "reset", endpoint="efetch")
    with urllib.request.urlopen(url, timeout=5) as reply, pytest.raises(http.client.IncompleteRead):
        reply.read()
    with pytest.raises((ConnectionError, urllib.error.URLError)), urllib.request.urlopen(url, timeout=5) as reply:
        reply.read()
    open_standin.faults.script("slow", endpoint="efetch", delay=0.6)
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=5) as reply:
        body = reply.read()
    assert time.monotonic() - started >= 0.6 and parse_efetch_reply(body)[0].pmid == 16996037


def test_faults_scripted_for_one_endpoint_leave_others_alone(open_standin: EutilsStandin) -> None:
    open_standin.faults.script("html", endpoint="efetch")
    assert esearch_json(open_standin, "Dolotov[au]")["idlist"] == ["16996037"]
    assert get(open_standin, "efetch.fcgi", db="pubmed", id="16996037")[2].startswith(b"<html>")


def test_random_faults_are_reproducible_with_a_seed() -> None:
    def draws(seed: int) -> list[str | None]:
        plan = FaultPlan(rate=0.5, seed=seed)
        return [getattr(plan.draw("efetch", has_webenv=False), "kind", None) for _ in range(200)]
    first = draws(7)
    assert first == draws(7) and first != draws(8)
    assert 60 < sum(k is not None for k in first) < 140
    assert "expired" not in first  # only requests carrying a WebEnv can see an expired one
    with pytest.raises(ValueError, match="unknown fault"):
        FaultPlan().script("meteor")


# --- loading and the CLI -----------------------------------------------------------------------

def test_loads_gzip_and_applies_delete_citation(tmp_path: Path, snapshot_pmids: tuple[int, ...]) -> None:
    gz = tmp_path / "base.xml.gz"
    gz.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    update = tmp_path / "update.xml"
    update.write_text("<?xml version='1.0'?><PubmedArticleSet><DeleteCitation><PMID Version='1'>16996037</PMID>"
                      "</DeleteCitation></PubmedArticleSet>")
    standin = EutilsStandin([gz, update])
    assert sorted(standin.index.records) == sorted(set(snapshot_pmids) - {16996037})


def test_unknown_paths_are_404(open_standin: EutilsStandin) -> None:
    assert get(open_standin, "elink.fcgi", db="pubmed")[0] == 404


def test_cli_prints_its_base_url_and_serves(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "grading.testing.standin", str(SNAPSHOT), "--rate", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        try:
            base_url = proc.stdout.readline().strip()  # type: ignore[union-attr]
            assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/entrez/eutils/")
            with urllib.request.urlopen(base_url + "esearch.fcgi?db=pubmed&retmode=json&term=Dolotov[au]",
                                        timeout=10) as reply:
                assert json.loads(reply.read())["esearchresult"]["idlist"] == ["16996037"]
        finally:
            proc.terminate()


# --- revisions, withdrawals and the tags the client's queries use -------------------------------

def test_served_revisions_replace_records_and_their_index_entries(open_standin: EutilsStandin) -> None:
    from tests.standin_fixtures import revised_record

    held = open_standin.index.get(28885585)
    assert esearch_json(open_standin, '"retracted publication"[pt]')["idlist"] == []
    open_standin.serve([revised_record(held, revised_on=date(2025, 2, 3), retracted=True)])
    assert esearch_json(open_standin, '"retracted publication"[pt]')["idlist"] == ["28885585"]
    assert esearch_json(open_standin, "2025/02/03:3000[lr]")["idlist"] == ["28885585"]
    assert esearch_json(open_standin, "2025/02/04:3000[lr]")["idlist"] == []
    [record] = parse_efetch_reply(post(open_standin, "efetch.fcgi", db="pubmed", id="28885585"))
    assert record.retracted and record.date_revised == "2025-02-03"
    assert len(open_standin.index.search("Truong[1au]")) == 1  # one record, not one per version
    open_standin.withdraw([28885585])
    assert parse_efetch_reply(post(open_standin, "efetch.fcgi", db="pubmed", id="28885585,16996037"))[0].pmid \
        == 16996037
    assert esearch_json(open_standin, "Truong[1au]")["idlist"] == []


@pytest.mark.parametrize("term, expected", [
    ("Dolotov[1au]", ["16996037"]),
    ("Karpenko[1au]", []),  # second author, not first
    ("Karpenko[au]", ["16996037"]),
    ('"Brain Res"[ta] AND 1117[vi] AND 54[pg]', ["16996037"]),
    ("2014:2016[dp]", ["27158238", "24661604"]),
    ('"journal article"[pt] AND 2017[dp]', ["28885585"]),
    ("(16996037[uid] OR 28885585[uid]) AND 2000/01/01:3000[lr]", []),  # the snapshot carries no DateRevised
])
def test_esearch_tags_for_references_and_revision_checks(open_standin: EutilsStandin, term: str,
                                                         expected: list[str]) -> None:
    answer = esearch_json(open_standin, term)
    assert answer["idlist"] == expected
    # Controlled vocabularies and ranges answer zero hits, never "phrase not found" (PubMed does the same).
    if not expected and "[au]" not in term and "[1au]" not in term:
        assert "errorlist" not in answer


def test_cli_reports_its_counters_when_terminated() -> None:
    command = [sys.executable, "-m", "grading.testing.standin", str(SNAPSHOT), "--rate", "0", "--fault-rate", "1",
               "--fault-kinds", "server_error"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        base_url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(base_url + "esearch.fcgi?db=pubmed&term=semax", timeout=10)
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert json.loads(err.strip().splitlines()[-1]) == {
        "faults_injected": {"server_error": 1}, "rate_limited": 0, "requests": {"esearch": 1}}
