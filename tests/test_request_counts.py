"""Honest counters: every E-utilities request a run makes is counted by endpoint, in the run's
summary and in `runs`, and equals what the server saw; an unchanged re-run makes none."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from grading.pubmed.counts import ENDPOINTS, describe_counts, request_counts
from grading.pubmed.source import FallbackSource
from grading.settings import bundled_path
from grading.testing.standin import EutilsStandin

pytestmark = pytest.mark.e2e


def runs_counts(path: Path) -> list[dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute("SELECT eutils_requests, eutils_esearch, eutils_efetch, eutils_epost, eutils_ecitmatch "
                          "FROM runs ORDER BY finished_at")
        return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    finally:
        con.close()


def test_the_counts_are_what_the_server_saw_and_a_rerun_asks_nothing(tmp_path: Path, prefect_harness,
                                                                       seeds_dir: Path) -> None:
    from grading.flows.grade_corpus import grade_corpus

    with EutilsStandin([bundled_path("snapshot.xml")]) as standin:
        first = grade_corpus(sources=[str(seeds_dir)], warehouse=str(tmp_path / "w.duckdb"),
                             reports=str(tmp_path / "r"), eutils_url=standin.base_url)
        served = {endpoint: standin.requests.get(endpoint, 0) for endpoint in ENDPOINTS}
        assert served["esearch"] > 1 and served["efetch"] >= 1  # searches were counted too (they were not)
        assert first["requests_by_endpoint"] == served
        assert first["requests"] == sum(served.values()) == sum(standin.requests.values())
        second = grade_corpus(sources=[str(seeds_dir)], warehouse=str(tmp_path / "w.duckdb"),
                              reports=str(tmp_path / "r"), eutils_url=standin.base_url)
        assert sum(standin.requests.values()) == sum(served.values())  # the server saw nothing more
    assert second["requests"] == 0 and set(second["requests_by_endpoint"].values()) == {0}
    stored = runs_counts(tmp_path / "w.duckdb")
    assert stored[0] == {"eutils_requests": first["requests"], **{f"eutils_{e}": served[e] for e in ENDPOINTS}}
    assert stored[1] == {"eutils_requests": 0, **{f"eutils_{e}": 0 for e in ENDPOINTS}}


def test_counts_look_through_the_fallback_and_say_each_endpoint(make_entrez_source) -> None:
    entrez = make_entrez_source()
    entrez.search("aspirin[ti]")
    entrez.fetch([16996037])
    counts = request_counts(FallbackSource(entrez, lambda: None))
    assert counts["esearch"] == 1 and counts["efetch"] == 1 and sum(counts.values()) == 2
    assert describe_counts(counts) == "2 E-utilities requests (esearch 1, efetch 1)"
    assert describe_counts(dict.fromkeys(ENDPOINTS, 0)) == "0 E-utilities requests"
