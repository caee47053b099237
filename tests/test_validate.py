"""Validation at stage boundaries: bad rows to quarantine, good rows go on."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from grading.warehouse.validate import validate_table


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


def test_prepared_schemas_leave_nothing_to_import_for_a_validation() -> None:
    """What a forking parent pays once (grading.warehouse.baseline.ProcessParser): after `prepare_schemas`,
    validating real record rows imports no module, so forked workers inherit every first-use cost."""
    code = """
import sys
from datetime import UTC, datetime
from grading.pubmed.parser import iter_pubmed_xml
from grading.warehouse.record_rows import child_frames, unread_record_frame, xml_sha
from grading.settings import bundled_path
from grading.warehouse.validate import prepare_schemas, validate_table
records = [r for r in iter_pubmed_xml(bundled_path("snapshot.xml")) if hasattr(r, "pmid")]
rows = {"pubmed_records": unread_record_frame(records, [xml_sha(r.raw_xml) for r in records], "baseline",
                                              datetime.now(UTC)), **child_frames(records)}
prepare_schemas()
before = set(sys.modules)
validated = 0
for table, df in rows.items():
    good, bad = validate_table(table, df, "r", "pmid")
    assert not bad, bad[:1]
    validated += len(good)
print(validated, sorted(set(sys.modules) - before))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert int(out[0]) > 0
    assert out[1].strip() == "[]"
