"""Every example query in docs/warehouse.md runs on the seeds' warehouse and returns what its
title says, checked against the tables independently (a query whose title has no check here
fails: add one)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERY_RE = re.compile(r"^(?P<title>[^\n`][^\n]*?):?\n```sql\n(?P<sql>.*?)```", re.MULTILINE | re.DOTALL)


def example_queries() -> list[tuple[str, str]]:
    doc = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    section = doc.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    return [(m.group("title").strip().rstrip(":"), m.group("sql")) for m in QUERY_RE.finditer(section)]


@pytest.fixture(scope="module")
def seeds_warehouse(tmp_path_factory, prefect_harness, seeds_dir: Path):
    from grading.flows.grade_corpus import grade_corpus

    root = tmp_path_factory.mktemp("docs-queries")
    grade_corpus(sources=[str(seeds_dir)], warehouse=str(root / "w.duckdb"), reports=str(root / "reports"),
                 offline=True)
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    yield con
    con.close()


def rows(con, sql: str, *params) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def fetched_designs(con) -> dict[str, set]:
    """Each claim's fetched records' designs, from the tables the marts are built on."""
    designs: dict[str, set] = defaultdict(set)
    for r in rows(con, "SELECT DISTINCT l.claim_id, p.design FROM citation_links l JOIN pubmed_records p USING (pmid) "
                       "WHERE l.run_id = (SELECT run_id FROM latest_run) AND l.claim_id IS NOT NULL "
                       "AND l.fetch_outcome = 'fetched'"):
        designs[r["claim_id"]].add(r["design"])
    return designs


def check_people_on_preclinical(con, got: list[dict]) -> None:
    population = {r["claim_id"]: r["population"] for r in rows(con, "SELECT claim_id, population FROM claim_grades")}
    want = {c for c, d in fetched_designs(con).items()
            if d <= {"animal", "in_vitro"} and population[c] in {"human", "unspecified"}}
    assert want, "the seeds hold such claims: the check would be empty"
    assert {r["claim_id"] for r in got} == want
    assert all(r["population"] in {"human", "unspecified"} for r in got)


def check_animal_only(con, got: list[dict]) -> None:
    want = {c for c, d in fetched_designs(con).items() if d == {"animal"}}
    assert want and {r["claim_id"] for r in got} == want


def check_by_certainty(con, got: list[dict]) -> None:
    assert sum(r["claims"] for r in got) == con.execute("SELECT count(*) FROM claim_grades").fetchone()[0]


def check_cited_most(con, got: list[dict]) -> None:
    counts = [r["claims"] for r in got]
    assert got and counts == sorted(counts, reverse=True) and len(got) <= 10


def check_triage(con, got: list[dict]) -> None:
    assert len(got) == con.execute("SELECT count(*) FROM source_texts").fetchone()[0]
    uncited = {r["source"]: r["n"] for r in rows(con, "SELECT coalesce(t.title, t.source) AS source, count(g.claim_id) "
                                                     "FILTER (WHERE g.status = 'uncited') AS n FROM source_texts t "
                                                     "LEFT JOIN claim_grades g USING (source) GROUP BY ALL")}
    assert {r["source"]: r["uncited"] for r in got} == uncited


def check_changes(con, got: list[dict]) -> None:
    assert got == []  # one run: nothing to compare with


def check_newly_retracted(con, got: list[dict]) -> None:
    assert got == []


def check_unavailable(con, got: list[dict]) -> None:
    want = rows(con, "SELECT pmid FROM fetch_log WHERE outcome = 'unavailable' "
                     "AND run_id = (SELECT run_id FROM latest_run)")
    assert sorted(r["pmid"] for r in got) == sorted(r["pmid"] for r in want)


def check_queries(con, got: list[dict]) -> None:
    want = con.execute("SELECT count(*) FROM resolution_queries "
                       "WHERE run_id = (SELECT run_id FROM latest_run)").fetchone()[0]
    assert len(got) == want and [r["seq"] for r in got] == sorted(r["seq"] for r in got)


def check_fates(con, got: list[dict]) -> None:
    assert sum(r["citations"] for r in got) == con.execute("SELECT count(*) FROM citations").fetchone()[0]


def check_revised(con, got: list[dict]) -> None:
    assert all(r["versions"] > 1 for r in got)


CHECKS = {
    "Claims by certainty per source": check_by_certainty,
    "Records cited most": check_cited_most,
    "Claims about people": check_people_on_preclinical,
    "Claims resting only on animal evidence": check_animal_only,
    "Sources by the warnings": check_triage,
    "What changed since the previous run": check_changes,
    "Claims now resting on a newly retracted record": check_newly_retracted,
    "Everything that could not be retrieved": check_unavailable,
    "Each citation's fate": check_fates,
    "How each citation was looked for": check_queries,
    "Records PubMed revised": check_revised,
}


def test_the_docs_have_example_queries() -> None:
    titles = [t for t, _ in example_queries()]
    assert len(titles) >= len(CHECKS)
    for title in titles:
        assert any(title.startswith(prefix) for prefix in CHECKS), f"no check for the example query {title!r}"


@pytest.mark.parametrize(("title", "sql"), example_queries(), ids=[t[:40] for t, _ in example_queries()])
def test_example_query_returns_what_its_title_says(seeds_warehouse, title: str, sql: str) -> None:
    check = next(c for prefix, c in CHECKS.items() if title.startswith(prefix))
    check(seeds_warehouse, rows(seeds_warehouse, sql))
