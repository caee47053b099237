"""A page citing N PubMed ids, and N records for the stand-in to serve (the bundled snapshot's
records cloned under new PMIDs): the large-input case of benchmarks/pipeline.py."""

from __future__ import annotations

import re
from pathlib import Path

FIRST_PMID = 40_000_001
OUTCOMES = ("lowers blood pressure", "improves sleep quality", "reduces joint pain", "shortens recovery time",
            "raises bone density")


def write_large_case(folder: Path, snapshot: Path, n: int = 10_000) -> tuple[Path, Path]:
    """(page.md, records.xml): one claim per cited id, each id's record a clone of a snapshot record."""
    folder.mkdir(parents=True, exist_ok=True)
    text = snapshot.read_text(encoding="utf-8")
    articles = re.findall(r"<PubmedArticle>.*?</PubmedArticle>", text, re.DOTALL)
    out = ["<?xml version=\"1.0\" ?>\n<PubmedArticleSet>\n"]
    lines = ["# Supplements and outcomes\n\n"]
    for i in range(n):
        pmid = FIRST_PMID + i
        article = articles[i % len(articles)]
        old = re.search(r"<PMID[^>]*>(\d+)</PMID>", article).group(1)
        out.append(article.replace(f">{old}</PMID>", f">{pmid}</PMID>", 1)
                   .replace(f'IdType="pubmed">{old}<', f'IdType="pubmed">{pmid}<'))
        out.append("\n")
        lines.append(f"Compound {i + 1} {OUTCOMES[i % len(OUTCOMES)]} in adults (PMID: {pmid}).\n")
    out.append("</PubmedArticleSet>\n")
    records, page = folder / "records.xml", folder / "page.md"
    records.write_text("".join(out), encoding="utf-8")
    page.write_text("".join(lines), encoding="utf-8")
    return page, records
