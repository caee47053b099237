"""Validation at stage boundaries: bad rows to quarantine, good rows go on."""

from __future__ import annotations

import json

import pandas as pd

from grading.validate import validate_table


def claim(claim_id: str, text: str = "Drug X lowers pressure", **kw: object) -> dict[str, object]:
    row = {"claim_id": claim_id, "source": "doc.txt", "content_hash": "a" * 64, "char_start": 0,
           "char_end": len(text), "claim_text": text, "claim_type": "efficacy", "population": "human"}
    row.update(kw)
    return row


def test_failing_rows_quarantined_with_check_and_raw() -> None:
    df = pd.DataFrame([claim("0123456789abcdef"), claim("0123456789abcdee", claim_type="miracle"),
                       claim("0123456789abcded", char_end=3)])
    good, bad = validate_table("claims_all", df, "run-1", key="claim_id")
    assert list(good["claim_id"]) == ["0123456789abcdef"]
    assert {q["row_key"] for q in bad} == {"0123456789abcdee", "0123456789abcded"}
    miracle = next(q for q in bad if q["row_key"] == "0123456789abcdee")
    assert "isin" in miracle["check_name"] and json.loads(miracle["raw"])["claim_type"] == "miracle"
    span = next(q for q in bad if q["row_key"] == "0123456789abcded")
    assert "span_matches_text" in span["check_name"]


def test_all_valid_passes_through() -> None:
    df = pd.DataFrame([claim("0123456789abcdef")])
    good, bad = validate_table("claims_all", df, "run-1", key="claim_id")
    assert bad == [] and len(good) == 1


def test_out_of_range_pmid_link_quarantined() -> None:
    row = {"run_id": "r", "citation_id": "0123456789abcdef", "claim_id": None, "link": "none",
           "resolution": "resolved", "pmid": 123456789, "method": "direct", "candidates": [],
           "fetch_outcome": None, "detail": None}
    good, bad = validate_table("citation_links", pd.DataFrame([row]), "r", key="citation_id")
    assert good.empty and "less_than_or_equal_to" in bad[0]["check_name"]
