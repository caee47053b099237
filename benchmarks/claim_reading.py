"""How fast are claims extracted and read? A megabyte of web-page text, built from the seeds.

    .venv/bin/python benchmarks/claim_reading.py

Prints claims/s for extraction (grading.documents.claims.extract_claims) and for reading (grading.engine.claim_reading.
read_claim: substance, population, outcome, figures), and how the claims read: substance basis,
population, outcome kind, figures found.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path

from grading.documents.citations import extract_citations
from grading.documents.claims import extract_claims
from grading.documents.claims import vocabulary as claim_vocabulary
from grading.engine.claim_reading import read_claim
from grading.engine.topic import document_subjects
from grading.models import Source

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "sources").glob("*.txt")))
    text = (corpus * (1_000_000 // len(corpus) + 1))[:1_000_000]
    source = Source("bench.txt", hashlib.sha256(text.encode()).hexdigest(), text, "text/plain")
    claim_vocabulary()  # compiling the vocabularies is not what is measured
    read_claim("Warm-up reads the vocabularies.")
    mentions = extract_citations(text)
    start = time.perf_counter()
    claims = extract_claims(source, mentions)
    extract_s = time.perf_counter() - start
    subjects = document_subjects([c.text for c in claims])
    start = time.perf_counter()
    readings = [read_claim(c.text, subjects) for c in claims]
    read_s = time.perf_counter() - start
    print(f"{len(text):,} characters, {len(claims):,} claims")
    print(f"extraction: {extract_s:.2f} s ({len(claims) / extract_s:,.0f} claims/s)")
    print(f"reading:    {read_s:.2f} s ({len(claims) / read_s:,.0f} claims/s)")
    print("substance basis:", dict(Counter(r.substance_basis for r in readings)))
    print("population:     ", dict(Counter(r.population for r in readings)))
    print("outcome kind:   ", dict(Counter(r.outcome_kind for r in readings)))
    print("figures:        ", dict(Counter(f.kind for r in readings for f in r.figures)))


if __name__ == "__main__":
    main()
