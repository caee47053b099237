"""Incremental refresh and fetch accounting.

The revision query (pure) and the index that answers it; the check through Bio.Entrez against
the stand-in; then the flow run four times over one warehouse: PubMed revises one cited record
and retracts another -> the next run fetches just those two, keeps both versions, and the claim
resting on the retracted one becomes `retracted`; a run with nothing changed makes no efetch;
a run with efetch failing shows fetched, not_found and unavailable citations side by side.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from grading.models import PubmedRecord
from grading.pubmed.entrez import EntrezSource
from grading.pubmed.index import PubmedIndex
from grading.pubmed.parser import iter_pubmed_xml
from grading.pubmed.refresh import (
    HeldRecord,
    check_held_records,
    due_for_check,
    refresh_issues,
    revision_query,
)
from grading.pubmed.snapshot import SnapshotSource
from grading.settings import bundled_path
from grading.testing.standin import EutilsStandin
from tests.runs import grade
from tests.standin_fixtures import revised_record

pytest_plugins = ("tests.standin_fixtures",)

SNAPSHOT = bundled_path("snapshot.xml")
TODAY = datetime.now(UTC).date()


@pytest.fixture(scope="module")
def records() -> dict[int, PubmedRecord]:
    return {r.pmid: r for r in iter_pubmed_xml(SNAPSHOT) if isinstance(r, PubmedRecord)}


def held(record: PubmedRecord, fetched_on: date | None = TODAY) -> HeldRecord:
    return HeldRecord(record, fetched_on)


# --- the query, and the index answering it --------------------------------------------------------

def test_revision_query_asks_per_revision_day_and_for_new_retractions(records) -> None:  # type: ignore[no-untyped-def]
    dated = revised_record(records[16996037], revised_on=date(2024, 5, 2))
    retracted = revised_record(records[27158238], revised_on=date(2024, 5, 2), retracted=True)
    term = revision_query({16996037: held(dated), 27158238: held(retracted), 28885585: held(records[28885585])})
    assert term == ("((16996037[uid] OR 27158238[uid]) AND 2024/05/03:3000[lr]) OR "
                    f"(28885585[uid] AND {TODAY - timedelta(days=1):%Y/%m/%d}:3000[lr]) OR "
                    '((16996037[uid] OR 28885585[uid]) AND "retracted publication"[pt])')


def test_the_query_finds_exactly_the_revised_and_the_newly_retracted(records) -> None:  # type: ignore[no-untyped-def]
    current = {p: held(r) for p, r in records.items()}
    index = PubmedIndex(records.values())
    assert index.search(revision_query(current)) == []  # nothing changed since
    index.add(revised_record(records[16996037], revised_on=TODAY, note="Corrected sample size."))
    index.add(revised_record(records[28885585], revised_on=TODAY - timedelta(days=400), retracted=True))
    index.add(revised_record(records[24661604], revised_on=TODAY - timedelta(days=400)))  # older than held
    assert sorted(index.search(revision_query(current))) == [16996037, 28885585]
    again = {**current, 28885585: held(index.get(28885585))}  # now held retracted: not asked again
    assert sorted(index.search(revision_query(again))) == [16996037]


def test_due_for_check_skips_records_fetched_within_the_interval(records) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2025, 3, 10, 12, 0)
    stored = {p: (records[p], "entrez") for p in (16996037, 16362768, 11443939)}
    rows = [{"pmid": 16996037, "fetched_at": now - timedelta(minutes=5)},
            {"pmid": 16362768, "fetched_at": now - timedelta(days=2)},
            {"pmid": 11443939, "fetched_at": (now - timedelta(hours=13)).replace(tzinfo=UTC)}]
    due = due_for_check(stored, rows, now, timedelta(hours=12))
    assert due == {16362768: HeldRecord(records[16362768], date(2025, 3, 8)),
                   11443939: HeldRecord(records[11443939], date(2025, 3, 9))}
    assert set(due_for_check(stored, rows, now, timedelta(0))) == set(stored)


# --- the check through Bio.Entrez --------------------------------------------------------------------

def test_check_through_bio_entrez_finds_changes_and_keeps_failures_apart(records, make_entrez_source,  # type: ignore[no-untyped-def]
                                                                          eutils_standin: EutilsStandin) -> None:
    eutils_standin.rate_with_key = None
    source = make_entrez_source(api_key="k", max_tries=2)
    current = {p: held(r) for p, r in records.items()}
    eutils_standin.serve([revised_record(records[19662538], revised_on=TODAY),
                          revised_record(records[9173745], revised_on=TODAY, retracted=True)])
    check = check_held_records(current, source, batch=3)
    assert check.revised == {19662538, 9173745} and check.unchecked == {} and check.searches == 3
    terms = [s.params["term"] for s in eutils_standin.seen if s.endpoint == "esearch"]
    assert len(terms) == 3 and all("[lr]" in t and '"retracted publication"[pt]' in t for t in terms)

    eutils_standin.faults.set_rate(1.0, kinds=["error"], endpoints=["esearch"])
    failed = check_held_records(current, source)
    assert failed.revised == set() and set(failed.unchecked) == set(records)
    cause = failed.unchecked[16996037]
    assert cause.startswith("revision check failed: esearch failed: NCBI error") and "2 attempts" in cause
    assert refresh_issues(failed) == [("8 held record(s)", f"{cause}; the held versions were used")]

    offline = check_held_records(current, SnapshotSource(SNAPSHOT))  # a subset of PubMed cannot tell
    assert offline.revised == set() and "cannot say what PubMed revised" in offline.unchecked[16996037]


# --- the flow, four runs over one warehouse ----------------------------------------------------------

CITED = """# Peptides and ginseng

Semax improves memory in rats (PMID: 16996037).
Red ginseng oil improves hair growth in mice (PMID: 28885585).
Korean red ginseng protects hair follicles during chemotherapy (PMID: 27158238).
Vitamin K lowers fracture risk in older adults (PMID: 15088389).
"""
# The fourth run's document: one held record, one PubMed lacks, one never fetched (efetch fails).
MIXED = """# Semax

Semax improves memory in rats (PMID: 16996037).
Vitamin K lowers fracture risk in older adults (PMID: 15088389).
Semax increases serotonin release in the rat brain (PMID: 16362768).
"""
REVISED, RETRACTED, UNCHANGED, ABSENT, NEW = 16996037, 28885585, 27158238, 15088389, 16362768


@pytest.fixture(scope="module")
def runs(tmp_path_factory, records):  # type: ignore[no-untyped-def]
    """Four runs against one stand-in and warehouse; yields per-run (summary, requests,
    efetch id lists) and a read-only connection to the warehouse."""

    out = tmp_path_factory.mktemp("refresh")
    (out / "cited.md").write_text(CITED, encoding="utf-8")
    (out / "mixed.md").write_text(MIXED, encoding="utf-8")
    results = {}
    with pytest.MonkeyPatch.context() as mp, \
            EutilsStandin([SNAPSHOT], rate_with_key=None, retry_after=0.1) as standin:
        mp.setenv("NCBI_API_KEY", "refresh-test-key")
        mp.setenv("GRADING_REVISION_CHECK_HOURS", "0")  # records fetched seconds ago are asked about too

        def run(name: str, doc: str) -> None:
            before, seen = Counter(standin.requests), len(standin.seen)
            summary = grade([out / doc], out / "w.duckdb", out / "reports", eutils_url=standin.base_url,
                            entrez=functools.partial(EntrezSource, backoff=0.01, backoff_cap=0.05, max_tries=3))
            new = list(standin.seen)[seen:]
            results[name] = (summary, Counter(standin.requests) - before,
                             [set(map(int, s.params["id"].split(","))) for s in new if s.endpoint == "efetch"],
                             [s.params["term"] for s in new if s.endpoint == "esearch"])

        run("first", "cited.md")
        standin.serve([revised_record(records[REVISED], revised_on=TODAY, note="Erratum: the rats were male."),
                       revised_record(records[RETRACTED], revised_on=TODAY, retracted=True)])
        run("revised", "cited.md")
        run("unchanged", "cited.md")
        standin.faults.set_rate(1.0, kinds=["server_error"], endpoints=["efetch"])
        run("faults", "mixed.md")
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    yield results, con
    con.close()


def q(con, sql: str, *params: object) -> list[tuple]:  # type: ignore[no-untyped-def]
    return con.execute(sql, list(params)).fetchall()


def claim_status(con, run_id: str, text: str) -> str:  # type: ignore[no-untyped-def]
    return q(con, "SELECT g.status FROM grades g JOIN claims_all c USING (claim_id) "
                  "WHERE g.run_id = ? AND c.claim_text LIKE ?", run_id, f"{text}%")[0][0]


def test_the_next_run_fetches_just_the_revised_and_retracted_records(runs) -> None:  # type: ignore[no-untyped-def]
    results, con = runs
    _, requests, efetched, terms = results["first"]
    assert efetched == [{REVISED, RETRACTED, UNCHANGED, ABSENT}] and terms == []  # nothing held yet
    summary, requests, efetched, terms = results["revised"]
    assert efetched == [{REVISED, RETRACTED}] and requests == {"esearch": 1, "efetch": 1}
    assert len(terms) == 1 and "[lr]" in terms[0]  # one revision check for the three held records
    log = {p: (o, c) for p, o, c in q(con, "SELECT pmid, outcome, cause FROM fetch_log WHERE run_id = ?",
                                        summary["run_id"])}
    assert log == {REVISED: ("fetched", None), RETRACTED: ("fetched", None),
                   UNCHANGED: ("fetched", "reused from the warehouse"),
                   ABSENT: ("not_found", "PubMed answered without it")}


def test_history_keeps_both_versions_and_the_latest_is_current(runs) -> None:  # type: ignore[no-untyped-def]
    results, con = runs
    versions = dict(q(con, "SELECT pmid, count(*) FROM pubmed_record_versions GROUP BY pmid"))
    assert versions == {REVISED: 2, RETRACTED: 2, UNCHANGED: 1}
    first_run = results["first"][0]["run_id"]
    revised_run = results["revised"][0]["run_id"]
    assert q(con, "SELECT pmid, first_run_id FROM pubmed_record_versions WHERE pmid IN (?, ?) "
                  "ORDER BY pmid, first_seen_at", REVISED, RETRACTED) == [
        (REVISED, first_run), (REVISED, revised_run), (RETRACTED, first_run), (RETRACTED, revised_run)]
    current = {p: (r, d, a) for p, r, d, a in q(con, "SELECT pmid, retracted, date_revised, abstract "
                                                   "FROM pubmed_records")}
    assert current[RETRACTED][:2] == (True, TODAY.isoformat())
    assert current[REVISED][0] is False and current[REVISED][2].endswith("Erratum: the rats were male.")


def test_the_claim_on_the_retracted_record_becomes_retracted(runs) -> None:  # type: ignore[no-untyped-def]
    results, con = runs
    text = "Red ginseng oil improves hair growth in mice"
    assert claim_status(con, results["first"][0]["run_id"], text) == "graded"
    assert claim_status(con, results["revised"][0]["run_id"], text) == "retracted"
    assert claim_status(con, results["revised"][0]["run_id"], "Korean red ginseng protects") != "retracted"


def test_a_run_with_nothing_changed_makes_no_efetch(runs) -> None:  # type: ignore[no-untyped-def]
    results, con = runs
    summary, requests, efetched, terms = results["unchanged"]
    # Every request is counted: the summary says the one revision-check esearch the server saw.
    assert efetched == [] and requests == {"esearch": 1} and summary["requests"] == 1
    assert summary["requests_by_endpoint"] == {"esearch": 1, "efetch": 0, "epost": 0, "ecitmatch": 0}
    assert len(terms) == 1 and '"retracted publication"[pt]' in terms[0]  # the revision check, answered: none
    assert q(con, "SELECT outcome, count(*) FROM fetch_log WHERE run_id = ? GROUP BY ALL ORDER BY 1",
             summary["run_id"]) == [("fetched", 3), ("not_found", 1)]


def test_the_warehouse_shows_each_citations_fetch_outcome_and_why(runs) -> None:  # type: ignore[no-untyped-def]
    results, con = runs
    summary, requests, efetched, _ = results["faults"]
    assert efetched == [{NEW}] * 3 and requests["efetch"] == 3  # only the new id: three attempts, all failed
    assert summary["run_id"] == q(con, "SELECT run_id FROM latest_run")[0][0]
    got = {v: (o, d) for v, o, d in q(con, "SELECT value, fetch_outcome, detail FROM citations WHERE kind = 'pmid'")}
    assert got[str(REVISED)] == ("fetched", None)
    assert got[str(ABSENT)] == ("not_found", None)
    outcome, detail = got[str(NEW)]
    assert outcome == "unavailable"
    assert detail.startswith("efetch failed: HTTP 503") and "3 attempts" in detail
    log = dict(q(con, "SELECT pmid, cause FROM fetch_log WHERE run_id = ?", summary["run_id"]))
    assert log[REVISED] == "reused from the warehouse" and log[ABSENT] == "PubMed answered without it"
    assert claim_status(con, summary["run_id"], "Semax increases serotonin release") == "unavailable"
