"""A changed rubric re-grades without re-fetching: `grading regrade` (the library pass,
grading.regrade.regrade_corpus, in this process) and once as its Prefect flow, on a warehouse
filled by an offline run; a loopback E-utilities stand-in, configured as the service, must see no request."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.regrade import RegradeStages, regrade_corpus
from grading.settings import Settings, bundled_path
from grading.testing.standin import EutilsStandin
from tests.runs import grade

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """An offline run of the bundled corpus (records from the snapshot), and a stand-in that any
    E-utilities request during a regrade would reach (GRADING_EUTILS_URL points at it)."""
    out = tmp_path_factory.mktemp("regrade")
    summary = grade(None, out / "w.duckdb", out / "reports", offline=True)
    with EutilsStandin([bundled_path("snapshot.xml")]) as standin, pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADING_EUTILS_URL", standin.base_url)
        yield summary, out, standin


def changed_rubric(out: Path) -> Path:
    text = bundled_path("rubric.toml").read_text(encoding="utf-8")
    text = re.sub(r'version = "[^"]*"', 'version = "test-lenient-animals"', text)
    # a lenient reader: animal experiments start high, and a claim naming no population is not read as
    # about people, so the seeds' animal-evidence claims lose only imprecision's two steps
    text = text.replace('animal = "low"', 'animal = "high"')
    text = text.replace("unspecified_population_is_human = true", "unspecified_population_is_human = false")
    path = out / "lenient.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_regrade_makes_a_new_run_with_the_new_rubric_and_no_request(graded, capsys):
    summary, out, standin = graded
    code = main(["regrade", "--rubric", str(changed_rubric(out)), "--warehouse", str(out / "w.duckdb"),
                 "--reports", str(out / "reports")])
    printed = capsys.readouterr().out
    assert code == 0 and "0 E-utilities requests" in printed and "rubric test-lenient-animals" in printed
    assert sum(standin.requests.values()) == 0  # nothing fetched, not even a search
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    try:
        runs = con.execute("SELECT run_id, mode, rubric_version, n_claims, eutils_requests FROM runs "
                           "ORDER BY finished_at").fetchall()
        assert [r[1] for r in runs] == ["offline", "regrade"]
        assert runs[1][2] == "test-lenient-animals" and runs[1][4] == 0 and runs[1][3] == runs[0][3]
        versions = con.execute("SELECT DISTINCT rubric_version FROM claim_grades").fetchall()
        assert versions == [("test-lenient-animals",)]
        # same claims, same links; the animal-evidence claims moved up a level
        assert con.execute("SELECT count(*) FROM claim_grades").fetchone()[0] == summary["claims"]
        assert con.execute("SELECT count(*) FROM citations").fetchone()[0] == \
            con.execute("SELECT count(*) FROM citation_links WHERE run_id = ?", [runs[0][0]]).fetchone()[0]
        moved = con.execute("SELECT count(*) FROM claim_changes WHERE change = 'regraded' "
                            "AND previous_certainty = 'very low' AND certainty = 'low'").fetchone()[0]
        assert moved > 0
        start = con.execute("SELECT explanation FROM reasons WHERE rule_id = 'start.design' "
                            "AND explanation LIKE '%animal experiment%' LIMIT 1").fetchone()[0]
        assert "starts at high" in start
        note = con.execute("SELECT note FROM latest_run").fetchone()[0]
        assert runs[0][0] in note and "nothing fetched" in note
    finally:
        con.close()


def test_regrade_with_the_same_rubric_reproduces_the_grades(graded, capsys):
    _, out, _ = graded
    assert main(["regrade", "--warehouse", str(out / "w.duckdb"), "--reports", str(out / "reports")]) == 0
    capsys.readouterr()
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    try:
        first = con.execute("SELECT run_id FROM runs WHERE mode = 'offline'").fetchone()[0]
        latest = con.execute("SELECT run_id FROM latest_run").fetchone()[0]
        grades = "SELECT claim_id, certainty, status, reasons FROM grades WHERE run_id = ? ORDER BY claim_id"
        assert con.execute(grades, [first]).fetchall() == con.execute(grades, [latest]).fetchall()
    finally:
        con.close()


def test_regrade_refuses_a_missing_rubric_and_an_empty_warehouse(tmp_path, capsys):
    assert main(["regrade", "--rubric", str(tmp_path / "none.toml"), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "no such rubric file" in capsys.readouterr().err
    assert main(["regrade", "--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err == f"grading: error: {tmp_path / 'w.duckdb'}: no warehouse here, so no completed run to re-grade; " \
                  "run `grading run` first\n"
    assert not (tmp_path / "w.duckdb").exists()  # not created just to say it is empty
    duckdb.connect(str(tmp_path / "w.duckdb")).close()  # a warehouse with no run in it
    assert main(["regrade", "--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == "grading: error: the warehouse holds no completed run to re-grade; " \
                                      "run `grading run` first\n"


def test_the_pass_is_a_library_call_with_its_stages(graded):
    """regrade_corpus: the re-grade (open, read the stored run, grade, frames, validate, load), then the
    reports; each stage replaceable, as the flow replaces them with tasks."""
    _, out, standin = graded
    called: list[str] = []
    defaults = RegradeStages()
    stages = RegradeStages(regrade=lambda *a: called.append("regrade") or defaults.regrade(*a),
                           reports=lambda *a: called.append("reports") or defaults.reports(*a))
    settings = Settings.from_env(warehouse=out / "w.duckdb", reports=out / "reports")
    summary = regrade_corpus(settings, stages=stages)
    assert called == ["regrade", "reports"]
    assert summary.claims == sum(summary.certainty.values()) == sum(summary.status.values()) > 0
    assert summary.status.get("uncited", 0) > 0  # statuses counted, so the summary line names them
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT run_id, mode FROM latest_run").fetchone() == (summary.run_id, "regrade")
    finally:
        con.close()
    assert sum(standin.requests.values()) == 0


def test_grading_regrade_needs_no_prefect(graded, tmp_path):
    _, out, _ = graded
    code = ("import sys; from grading.cli import main; "
            f"code = main(['regrade', '--warehouse', {str(out / 'w.duckdb')!r}, '--reports', {str(tmp_path / 'r')!r}]); "
            "print(code, any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules))")
    env = {"PATH": "/usr/bin:/bin", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.stdout.splitlines()[-1] == "0 False", done.stderr
    assert "claims:" in done.stdout and "; not graded: " in done.stdout and done.stderr == ""


def test_regrade_as_a_prefect_flow_run_gives_the_same_grades(graded, prefect_harness, capsys):
    """--prefect: the flow `regrade`, its two stages as task runs, the same grades as in process."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    _, out, standin = graded
    assert main(["regrade", "--warehouse", str(out / "w.duckdb"), "--reports", str(out / "reports")]) == 0
    assert main(["regrade", "--prefect", "--warehouse", str(out / "w.duckdb"), "--reports", str(out / "reports")]) == 0
    printed = capsys.readouterr().out
    assert printed.count("0 E-utilities requests") == 2
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["regrade"])))
        assert runs and runs[-1].state.is_completed()
        tasks = {t.name.rsplit("-", 1)[0] for t in client.read_task_runs()
                 if t.flow_run_id == max(runs, key=lambda r: r.start_time).id}
    assert tasks == {"regrade", "reports"}
    con = duckdb.connect(str(out / "w.duckdb"), read_only=True)
    try:
        last_two = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE mode = 'regrade' "
                                              "ORDER BY finished_at DESC LIMIT 2").fetchall()]
        grades = "SELECT claim_id, certainty, status, reasons FROM grades WHERE run_id = ? ORDER BY claim_id"
        assert con.execute(grades, [last_two[0]]).fetchall() == con.execute(grades, [last_two[1]]).fetchall()
    finally:
        con.close()
    assert sum(standin.requests.values()) == 0
