"""The grading case table (tests/fixtures/grading/cases.toml): real PubMed records linked to a claim
-> the certainty, status and rule ids a careful reviewer expects. Also: every reason's span points
into the claim or the record it names, and the explanations say something."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from grading.documents.claims import classify_population, classify_type
from grading.engine.body import LinkedEvidence
from grading.engine.grade import grade_claim
from grading.engine.record_reading import read_record
from grading.engine.rubric import Rubric, load_rubric
from grading.models import GRADE_DOMAINS, CitationMention, Claim, Grade, PubmedRecord, Resolution
from grading.pubmed.parser import iter_pubmed_xml
from grading.settings import bundled_path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
CASES = tomllib.loads((FIXTURES / "cases.toml").read_text(encoding="utf-8"))["case"]


def load_record(pmid: int) -> PubmedRecord:
    (record,) = list(iter_pubmed_xml(FIXTURES / "records" / f"{pmid}.xml"))
    return record


def make_claim(text: str) -> Claim:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Claim(digest[:16], "case.txt", digest, 0, len(text), text, classify_type(text) or "other",
                 classify_population(text))


def link_for(case: dict, pmid: int, record: PubmedRecord | None) -> LinkedEvidence:
    cited = case.get("citation", {})
    raw = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    mention = CitationMention(0, len(raw), raw, "pmid", str(pmid), authors=tuple(cited.get("authors", ())),
                              year=cited.get("year"), title=cited.get("title"),
                              in_reference_list=case.get("link") == "inferred")
    resolution = Resolution("pmid", str(pmid), "resolved", pmid, "direct")
    if record is None:
        return LinkedEvidence(mention, "inline", resolution, "unavailable", "test: fetch failed", None, None)
    link = case.get("link", "inline")
    return LinkedEvidence(mention, link, resolution, "fetched", None, record, read_record(record),
                          "reference-list entry linked by subject (test)" if link == "inferred" else None)


def grade_case(case: dict, rubric: Rubric | None = None) -> tuple[Grade, dict[int, PubmedRecord]]:
    """The case's claim graded on its fixture records (with the bundled rubric unless one is given)."""
    records = {pmid: load_record(pmid) for pmid in case["records"]}
    links = [link_for(case, pmid, r) for pmid, r in records.items()]
    links += [link_for(case, pmid, None) for pmid in case.get("unavailable", ())]
    rubric = rubric or load_rubric(bundled_path("rubric.toml"))
    return grade_claim(make_claim(case["claim"]), links, rubric, frozenset(case.get("subjects", ()))), records


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:
    grade, records = grade_case(case)
    fired = [r.rule_id for r in grade.reasons]
    summary = "\n".join(r.summary() for r in grade.reasons)
    assert (grade.certainty, grade.status) == (case["certainty"], case["status"]), summary
    for rule_id in case.get("rules", ()):
        assert rule_id in fired, f"{rule_id} did not fire:\n{summary}"
    for rule_id in case.get("absent", ()):
        assert rule_id not in fired, f"{rule_id} fired:\n{summary}"
    if "support" in case:
        assert case["support"] in {c.label for c in grade.support}, grade.support
    for check in grade.support:  # every label quotes the record it rests on, when it quotes
        assert check.explanation.strip() and check.pmid in records
        if check.span_in == "abstract":
            assert records[check.pmid].abstract_text[check.span_start:check.span_end] == check.span_text
    if grade.status == "graded":  # every GRADE domain judged, with its reason
        assert [d.domain for d in grade.domains][:5] == list(GRADE_DOMAINS)
        assert all(d.explanation.strip() for d in grade.domains)
        judged = {d.domain: d.judgement for d in grade.domains}
        for domain, judgement in case.get("domains", {}).items():
            assert judged[domain] == judgement, grade.domains
    else:
        assert grade.domains == ()
    for reason in grade.reasons:
        assert reason.explanation.strip()
        if reason.span_in == "claim":
            assert case["claim"][reason.span_start:reason.span_end] == reason.span_text
        elif reason.span_in in ("title", "abstract"):
            record = records[reason.pmid]
            text = record.title if reason.span_in == "title" else record.abstract_text
            assert text[reason.span_start:reason.span_end] == reason.span_text


def test_cases_cover_every_design_and_status() -> None:
    designs = {read_record(load_record(p)).design for c in CASES for p in c["records"]}
    assert designs >= {"systematic_review", "rct", "observational", "case_report", "animal", "in_vitro", "review"}
    assert {c["status"] for c in CASES} == {"graded", "uncited", "unavailable", "off-topic", "retracted", "not-supported"}
    assert {c["certainty"] for c in CASES} >= {"moderate", "low", "very low", "no evidence"}


def test_every_fixture_record_is_used() -> None:
    used = {p for c in CASES for p in (*c["records"], *c.get("unavailable", ()))}
    on_disk = {int(p.stem) for p in (FIXTURES / "records").glob("*.xml")}
    assert on_disk - used <= {11443939, 24661604, 19662538, 12091962, 32705333, 30108519}  # used by other tests
