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
                                     "not graded: 3 uncited; 0 E-utilities requests")
    assert summary_line({"run_id": None}) == "no document could be read; nothing was written"


def test_the_markdown_is_a_table_of_the_same_counts_and_the_report_paths() -> None:
    md = summary_markdown(SUMMARY)
    assert md.startswith(f"**{summary_line(SUMMARY)}**")
    for row in ("| claims | 5 |", "| certainty: very low | 2 |", "| status: uncited | 3 |",
                "| report | reports/index.html |", "| report | reports/triage.csv |", "| sources not read | 1 |"):
        assert row in md.splitlines()
    assert "a\\|b.html" in md  # a pipe in a message cannot break the table
