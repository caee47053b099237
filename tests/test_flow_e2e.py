"""End to end: the Prefect flow over the seed corpus, against the loopback E-utilities
stand-in (the real Bio.Entrez request path), offline, and with NCBI unreachable."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from grading.settings import bundled_path
from grading.testing.standin import EutilsStandin
from tests.helpers import rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def standin():
    with EutilsStandin([bundled_path("snapshot.xml")]) as s:
        yield s


@pytest.fixture(scope="module")
def online_run(tmp_path_factory, prefect_harness, standin):
    from grading.flows.grade_corpus import grade_corpus

    out = tmp_path_factory.mktemp("online")
    summary = grade_corpus(warehouse=str(out / "w.duckdb"), reports=str(out / "reports"),
                           eutils_url=standin.base_url)
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    yield summary, con, out
    con.close()


def test_flow_went_through_entrez(online_run, standin) -> None:
    summary, con, _ = online_run
    assert summary["mode"] == "online" and summary["sources"] == 3
    assert standin.requests.get("efetch", 0) >= 1 and standin.requests.get("esearch", 0) >= 1
    origins = {r[0] for r in rows(con, "SELECT DISTINCT origin FROM pubmed_records")}
    assert origins == {"entrez"}
    seen = standin.seen[0] if hasattr(standin, "seen") and standin.seen else None
    if seen is not None:
        assert seen.params.get("tool") == "grading"


def test_seed_001_citations_and_footnotes(online_run) -> None:
    _, con, _ = online_run
    # One row per mention: a mention may support several claims (citations has a row per link).
    got = rows(con, "SELECT footnote, kind, value FROM (SELECT DISTINCT citation_id, footnote, kind, value, char_start "
                    "FROM citations WHERE source LIKE '%001_%') ORDER BY char_start")
    pmids = [(f, v) for f, k, v in got if k == "pmid"]
    assert pmids == [(1, "16996037"), (8, "9173745"), (1, "16996037"), (2, "15088389"), (3, "16362768"),
                     (4, "17850024"), (5, "24385169"), (6, "18204410"), (6, "18204410"), (7, "16996699"),
                     (10, "11443939"), (8, "9173745"), (12, "28966252"), (13, "28849028"), (14, "26820528"),
                     (15, "28885585"), (16, "27158238"), (17, "25396716")]
    dois = [(f, v) for f, k, v in got if k == "doi"]
    assert dois == [(11, "10.1002/(sici)1520-6769(199609)19:2<115::aid-nrc171>3.0.co;2-b")]
    assert [(f, k) for f, k, v in got if k == "url"] == [(9, "url")]


def test_unknown_ids_are_not_found_online_and_doi_unresolved(online_run) -> None:
    _, con, _ = online_run
    # The stand-in serves only the snapshot, so ids outside it are cleanly absent: not_found.
    outcome = dict(rows(con, "SELECT pmid, outcome FROM fetch_log WHERE run_id = (SELECT run_id FROM latest_run)"))
    assert outcome[16996037] == "fetched" and outcome[15088389] == "not_found"
    doi = rows(con, "SELECT resolution, method FROM citations WHERE kind = 'doi'")
    assert doi == [("not_found", "doi-esearch")]


def test_seed_000_reference_list_resolved_and_inferred(online_run) -> None:
    _, con, _ = online_run
    refs = dict(rows(con, "SELECT DISTINCT value, pmid FROM citations WHERE source LIKE '%000_%' "
                          "AND kind = 'author_list'"))
    assert sorted(refs.values()) == [16996037, 19662538, 24661604]
    inferred = rows(con, "SELECT count(*) FROM citations WHERE source LIKE '%000_%' AND link = 'inferred'")[0][0]
    assert inferred > 0
    reasons = rows(con, "SELECT count(*) FROM reasons WHERE rule_id = 'link.inferred'")[0][0]
    assert reasons >= inferred


def test_seed_002_all_uncited(online_run) -> None:
    _, con, _ = online_run
    statuses = {r[0] for r in rows(con, "SELECT DISTINCT status FROM claim_grades WHERE source LIKE '%002_%'")}
    assert statuses == {"uncited"}
    n = rows(con, "SELECT count(*) FROM claim_grades WHERE source LIKE '%002_%'")[0][0]
    assert n >= 20


def test_no_human_claim_above_very_low_on_animal_or_cell_evidence(online_run) -> None:
    _, con, _ = online_run
    offenders = rows(con, """
        SELECT g.claim_text, g.certainty FROM claim_grades g
        WHERE g.status = 'graded' AND g.population <> 'animal' AND g.certainty NOT IN ('very low')
          AND NOT EXISTS (SELECT 1 FROM unnest(g.pmids) AS p(pmid) JOIN pubmed_records r ON r.pmid = p.pmid
                          WHERE r.design NOT IN ('animal', 'in_vitro'))""")
    assert offenders == []


def test_every_claim_has_offsets_into_its_source(online_run) -> None:
    _, con, _ = online_run
    bad = rows(con, """SELECT count(*) FROM claim_grades g JOIN run_sources rs ON rs.run_id = g.run_id
                       AND rs.source = g.source
                       JOIN source_versions v ON v.source = rs.source AND v.content_hash = rs.content_hash
                       WHERE substr(v.text, g.char_start + 1, g.char_end - g.char_start) <> g.claim_text""")
    assert bad == [(0,)]


def test_every_graded_claim_has_reasons_and_status_matches_certainty(online_run) -> None:
    _, con, _ = online_run
    assert rows(con, "SELECT count(*) FROM claim_grades WHERE len(reasons) = 0") == [(0,)]
    assert rows(con, "SELECT count(*) FROM claim_grades WHERE (status = 'graded') <> (certainty <> 'no evidence')") \
        == [(0,)]


def test_reports_written(online_run) -> None:
    _, con, out = online_run
    csv_text = (out / "reports" / "claims.csv").read_text()
    n_claims = rows(con, "SELECT count(*) FROM claim_grades")[0][0]
    assert csv_text.count("\n") >= n_claims + 1
    html = (out / "reports" / "index.html").read_text()
    assert "https://pubmed.ncbi.nlm.nih.gov/16996037/" in html and "002_91ff03cbc9d8f658.txt" in html


def test_rerun_adds_a_run_not_duplicates(online_run, standin) -> None:
    from grading.flows.grade_corpus import grade_corpus

    _, con, out = online_run
    claims_before = rows(con, "SELECT count(*) FROM claims_all")[0][0]
    efetch_before = standin.requests.get("efetch", 0)
    requests_before = sum(standin.requests.values())
    con.close()
    second = grade_corpus(warehouse=str(out / "w.duckdb"), reports=str(out / "reports"), eutils_url=standin.base_url)
    con2 = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    try:
        assert rows(con2, "SELECT count(*) FROM runs")[0][0] == 2
        assert rows(con2, "SELECT count(*) FROM claims_all")[0][0] == claims_before
        assert rows(con2, "SELECT count(*) FROM pubmed_records")[0][0] == \
            rows(con2, "SELECT count(DISTINCT pmid) FROM pubmed_records")[0][0]
        assert rows(con2, "SELECT count(*) FROM claim_grades")[0][0] == second["claims"]
        # Records fetched and searches answered minutes ago are reused: no E-utilities request at all.
        assert standin.requests.get("efetch", 0) == efetch_before
        assert sum(standin.requests.values()) == requests_before and second["requests"] == 0
        assert rows(con2, "SELECT count(*) FROM citations WHERE kind = 'author_list' AND pmid IS NOT NULL")[0][0] >= 3
    finally:
        con2.close()


def test_offline_run_uses_snapshot_and_marks_unavailable(tmp_path: Path, prefect_harness) -> None:
    from grading.flows.grade_corpus import grade_corpus

    summary = grade_corpus(warehouse=str(tmp_path / "w.duckdb"), reports=str(tmp_path / "r"), offline=True)
    assert summary["mode"] == "offline" and summary["requests"] == 0
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    outcome = dict(rows(con, "SELECT pmid, outcome FROM fetch_log"))
    assert outcome[15088389] == "unavailable" and outcome[16996037] == "fetched"
    assert {r[0] for r in rows(con, "SELECT DISTINCT origin FROM pubmed_records")} == {"snapshot"}
    statuses = dict(rows(con, "SELECT claim_text, status FROM claim_grades WHERE source LIKE '%001_%'"))
    assert statuses["Semax has demonstrated reliable antidepressant and anxiolytic effects"] == "unavailable"
    con.close()


def test_unreachable_ncbi_falls_back_to_snapshot(tmp_path: Path, prefect_harness) -> None:
    import socket

    from grading.flows.grade_corpus import grade_corpus

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    summary = grade_corpus(warehouse=str(tmp_path / "w.duckdb"), reports=str(tmp_path / "r"),
                           eutils_url=f"http://127.0.0.1:{port}/entrez/eutils/")
    assert summary["mode"] == "offline-fallback"
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert rows(con, "SELECT mode, note IS NOT NULL FROM runs") == [("offline-fallback", True)]
    assert rows(con, "SELECT count(*) FROM run_issues WHERE stage = 'fetch'")[0][0] == 1
    con.close()
