"""The run summary: the line `grading run` prints and the Markdown a scheduled run leaves as a
Prefect artifact say the same thing."""

from __future__ import annotations

from grading.run_summary import summary_line, summary_markdown

SUMMARY = {"run_id": "20261203T000000Z-abc123", "mode": "offline", "sources": 2, "claims": 5,
           "certainty": {"very low": 2, "no evidence": 3}, "status": {"graded": 2, "uncited": 3},
           "requests": 0, "quarantined": 0, "failures": ["a|b.html: not found"], "warehouse": "w.duckdb",
           "reports": ["reports/index.html", "reports/triage.csv"]}


def test_the_line_names_counts_and_what_was_not_graded() -> None:
    assert summary_line(SUMMARY) == ("run 20261203T000000Z-abc123 (offline): 2 sources, 5 claims: 2 very low; "
                                     "not graded: 3 not cited; 0 E-utilities requests")
    online = {**SUMMARY, "certainty": {"low": 1, "moderate": 1, "no evidence": 3},
              "status": {"graded": 2, "uncited": 2, "unavailable": 1}, "requests": 3,
              "requests_by_endpoint": {"esearch": 2, "efetch": 1, "epost": 0, "ecitmatch": 0}}
    assert summary_line(online).endswith(": 1 moderate, 1 low; not graded: 1 couldn't retrieve (will retry), "
                                         "2 not cited; 3 E-utilities requests (esearch 2, efetch 1)")


def test_grading_run_prints_the_same_line(tmp_path, capsys) -> None:
    """The CLI and a scheduled run say one thing: the CLI's line is summary_line of its summary."""
    from grading.cli import main
    from tests.runs import grade

    doc = tmp_path / "doc.md"
    doc.write_text("Vitamin K lowers fracture risk in older adults (PMID: 15088389).\nIt cures colds.\n",
                   encoding="utf-8")
    assert main(["run", str(doc), "--offline", "--warehouse", str(tmp_path / "w.duckdb"),
                 "--reports", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out.splitlines()[0]
    again = grade([doc], tmp_path / "w2.duckdb", tmp_path / "r2", offline=True)
    assert printed.split(": ", 1)[1] == summary_line(again).split(": ", 1)[1]  # same words, another run id
    assert "not graded: " in printed and "uncited" not in printed
    assert summary_line({"run_id": None}) == "no document could be read; nothing was written"


def test_the_markdown_is_a_table_of_the_same_counts_and_the_report_paths() -> None:
    md = summary_markdown(SUMMARY)
    assert md.startswith(f"**{summary_line(SUMMARY)}**")
    for row in ("| claims | 5 |", "| certainty: very low | 2 |", "| status: not cited | 3 |",
                "| report | reports/index.html |", "| report | reports/triage.csv |", "| sources not read | 1 |"):
        assert row in md.splitlines()
    assert "a\\|b.html" in md  # a pipe in a message cannot break the table
