"""The run as a library call (grading.run): a whole pass with an injected PubmedSource, its
progress, the warehouse held for writing only for the load, the upgrade of a schema-2 file,
and `grading run` without Prefect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from grading.schemas import TABLE_SCHEMAS

from grading import run
from grading.pubmed.snapshot import SnapshotSource
from grading.settings import Settings, bundled_path
from grading.warehouse.database import DDL, SCHEMA_VERSION, open_warehouse, table_columns

ROOT = Path(__file__).resolve().parents[1]
DOC = "Vitamin K lowers fracture risk in older adults (PMID: 15088389).\n"


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    return Settings.from_env({}, warehouse=tmp_path / "w.duckdb", reports=tmp_path / "reports", offline=True,
                             **overrides)


def test_a_pass_with_an_injected_source_reports_its_progress(tmp_path: Path, seeds_dir: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    summary = run.grade_corpus(settings_for(tmp_path), [str(seeds_dir)],
                               pubmed=SnapshotSource(bundled_path("snapshot.xml")),
                               progress=lambda *event: heard.append(event))
    assert summary.run_id and summary.sources == 3 and summary.claims > 100 and summary.mode == "offline"
    stages = [stage for stage, _, _ in heard]
    assert stages.index("extract") < stages.index("resolve") < stages.index("fetch") < stages.index("grade") \
        < stages.index("load")
    assert ("extract", 3, 3) in heard and ("grade", summary.claims, summary.claims) in heard
    fetched = [(done, total) for stage, done, total in heard if stage == "fetch"]
    assert fetched[0][0] == 0 and fetched[-1][0] == fetched[-1][1] > 0
    assert set(summary.seconds) >= {"read", "extract", "resolve", "fetch", "read records", "grade", "load", "reports"}
    with open_warehouse(tmp_path / "w.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM claim_grades").fetchone()[0] == summary.claims


def test_readers_are_not_blocked_while_a_run_computes(tmp_path: Path) -> None:
    """Another process reads the warehouse (grading sql) while the run grades: the run holds it
    for writing only for its load."""
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    settings = settings_for(tmp_path)
    run.grade_corpus(settings, [str(tmp_path / "doc.md")])  # a warehouse to read
    answers: list[subprocess.CompletedProcess] = []

    def during(stage: str, done: int, total: int) -> None:
        if stage == "grade" and not answers:
            answers.append(subprocess.run([sys.executable, "-m", "grading.cli", "sql", "SELECT count(*) AS n FROM runs",
                                           "--warehouse", str(settings.warehouse)],
                                          capture_output=True, text=True, timeout=120, check=False))

    summary = run.grade_corpus(settings, [str(tmp_path / "doc.md")], progress=during)
    assert summary.run_id and answers
    assert answers[0].returncode == 0, answers[0].stderr
    assert answers[0].stdout.splitlines()[2].strip() == "1"  # the first run; the second not loaded yet


def test_a_schema_2_warehouse_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    settings = settings_for(tmp_path)
    first = run.grade_corpus(settings, [str(tmp_path / "doc.md")])
    con = duckdb.connect(str(settings.warehouse))
    try:  # make it a schema-2 file: source_versions without the columns schema 3 added
        for view in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            con.execute(f"DROP VIEW {view[0]}")
        for column in ("url", "title", "body_start"):
            con.execute(f"ALTER TABLE source_versions DROP COLUMN {column}")
        con.execute("UPDATE grading_meta SET value = '2' WHERE key = 'schema_version'")
    finally:
        con.close()
    second = run.grade_corpus(settings, [str(tmp_path / "doc.md")])
    with open_warehouse(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT value FROM grading_meta WHERE key = 'schema_version'").fetchone()[0] \
            == SCHEMA_VERSION
        runs = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY started_at").fetchall()]
        assert runs == [first.run_id, second.run_id]  # nothing lost
        assert "body_start" in table_columns(con)["source_versions"]


def test_grading_run_needs_no_prefect(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    code = ("import sys; from grading.cli import main; "
            f"code = main(['run', {str(tmp_path / 'doc.md')!r}, '--offline', '--warehouse', "
            f"{str(tmp_path / 'w.duckdb')!r}, '--reports', {str(tmp_path / 'r')!r}]); "
            "print(code, any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules))")
    env = {"PATH": "/usr/bin:/bin", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.stdout.splitlines()[-1] == "0 False", done.stderr
    assert [line for line in done.stderr.splitlines() if not line.startswith("grading: info: ")] == []


def test_a_wrong_warehouse_is_one_line_before_prefect_starts(tmp_path: Path, capsys) -> None:
    from grading.cli import main

    bad = tmp_path / "w.duckdb"
    bad.write_bytes(b"not a database" * 10)
    assert main(["run", str(ROOT / "data" / "sources"), "--offline", "--prefect", "--warehouse", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"grading: error: {bad}: not a DuckDB file; refusing to use or overwrite it"


@pytest.mark.parametrize("table", sorted(TABLE_SCHEMAS))
def test_each_tables_ddl_and_model_agree(table: str) -> None:
    con = duckdb.connect()
    try:
        con.execute(DDL)
        assert list(table_columns(con)[table]) == list(TABLE_SCHEMAS[table].to_schema().columns)
    finally:
        con.close()
