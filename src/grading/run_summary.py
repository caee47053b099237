"""What a run found, said once: the one line `grading run` prints, and the same counts as a
Markdown table (the Prefect artifact every scheduled run ends with)."""

from __future__ import annotations

from typing import Any

from grading.models import CERTAINTY_LEVELS, STATUS_LABELS
from grading.pubmed.counts import describe_counts


def verdict_counts(certainty: dict[str, int], status: dict[str, int] | None = None) -> tuple[str, str]:
    """The run summary's wording: certainties for graded claims only, best first, every other claim
    counted by its status in words ("3 not cited, 1 paper doesn't support this"), never as "no evidence"."""
    order = {c: i for i, c in enumerate(reversed(CERTAINTY_LEVELS))}
    graded = ", ".join(f"{n} {c}" for c, n in sorted(certainty.items(), key=lambda x: order.get(x[0], 9))
                       if c != "no evidence")
    ungraded = ", ".join(f"{n} {STATUS_LABELS.get(s, s)}" for s, n in sorted((status or {}).items()) if s != "graded")
    return graded, ungraded


def summary_line(summary: dict[str, Any]) -> str:
    """`run <id> (<mode>): N sources, N claims: …; not graded: …; N E-utilities requests (…)`: what
    `grading run` prints, and what every scheduled run logs and leaves as its artifact's title."""
    if summary.get("run_id") is None:
        return "no document could be read; nothing was written"
    graded, ungraded = verdict_counts(summary["certainty"], summary["status"])
    requests = summary.get("requests_by_endpoint") or {"efetch": summary["requests"]}
    return (f"run {summary['run_id']} ({summary['mode']}): {summary['sources']} sources, {summary['claims']} claims: "
            f"{graded or 'none graded'}; not graded: {ungraded or 'none'}; {describe_counts(requests)}")


def cell(value: object) -> str:
    """A Markdown table cell: pipes and line breaks would break the table."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run's counts and where its warehouse and reports are, as a Markdown table."""
    lines = [f"**{cell(summary_line(summary))}**", "", "| what | value |", "|---|---|"]
    if summary.get("run_id") is None:
        rows: list[tuple[str, object]] = [("failures", len(summary.get("failures", [])))]
    else:
        rows = [("run", summary["run_id"]), ("PubMed via", summary["mode"]), ("sources", summary["sources"]),
                ("claims", summary["claims"])]
        rows += [(f"certainty: {c}", n) for c, n in sorted(summary["certainty"].items())]
        rows += [(f"status: {STATUS_LABELS.get(s, s)}", n) for s, n in sorted(summary["status"].items())]
        rows += [("E-utilities requests", summary["requests"]), ("quarantined rows", summary["quarantined"]),
                 ("sources not read", len(summary["failures"])), ("warehouse", summary["warehouse"])]
        rows += [("report", path) for path in summary["reports"]]
    lines += [f"| {cell(k)} | {cell(v)} |" for k, v in rows]
    lines += [f"\nnot read: {cell(message)}" for message in summary.get("failures", [])]
    return "\n".join(lines) + "\n"
