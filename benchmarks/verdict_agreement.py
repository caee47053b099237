"""The grading engine's ceiling given correct links (issue 15): every gold claim graded in isolation.

    .venv/bin/python benchmarks/verdict_agreement.py DIR [--quiet]

DIR holds docNN.txt, docNN.expected.json and records.xml (../shared/corpus/dev/ is one). For every
gold claim: a `Claim` from the gold text (offsets from its place in docNN.txt), linked inline to the
records its `cited_resolved` names (parsed from DIR/records.xml), graded by `grade_claim` exactly as
the pipeline calls it (LinkedEvidence values, the document's subjects from all its gold claims'
texts), and compared with the gold certainty. `key:` papers without a PMID cannot be had offline:
claims resting only on them are reported apart (and counted as misses in the overall figure).

Prints agreement, the confusion matrix, every miss with gold reasons against the engine's, and the
overstatements (two or more levels above gold, or a certainty where gold is CDNS/NEC). The
end-to-end figure (links by the current pipeline) is benchmarks/corpus_agreement.py. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from grading.documents.claims import classify_population, classify_type
from grading.engine.body import LinkedEvidence
from grading.engine.grade import grade_claim
from grading.engine.record_reading import read_record
from grading.engine.rubric import load_rubric
from grading.engine.topic import document_subjects
from grading.models import CitationMention, Claim, Grade, Resolution
from grading.pubmed.parser import parse_efetch_reply
from grading.settings import bundled_path

CLASSES = ["High", "Moderate", "Low", "Very low", "CDNS", "NEC", "unavailable"]
LEVEL = {"High": 4, "Moderate": 3, "Low": 2, "Very low": 1}
GOLD = {"high": "High", "moderate": "Moderate", "low": "Low", "very low": "Very low",
        "citation does not support claim": "CDNS", "no evidence cited": "NEC"}
CDNS = {"not-supported", "off-topic", "retracted"}
NEC = {"uncited", "unresolved"}


def verdict_class(grade: Grade) -> str:
    if grade.status == "graded":
        return GOLD[grade.certainty]
    if grade.status in CDNS:
        return "CDNS"
    if grade.status in NEC:
        return "NEC"
    return grade.status


def links_for(claim: dict, records: dict, evidence: dict) -> tuple[list[LinkedEvidence], list[str]]:
    """Inline links to the gold's PMID records; the `key:` papers that cannot be linked offline."""
    links, keys = [], []
    for ref in claim.get("cited_resolved") or []:
        if not ref:
            continue
        kind, _, value = ref.partition(":")
        if kind != "pmid" or int(value) not in records:
            keys.append(ref)
            continue
        pmid = int(value)
        mention = CitationMention(0, 0, f"PMID {pmid}", "pmid", value)
        links.append(LinkedEvidence(mention, "inline", Resolution("pmid", value, "resolved", pmid, "direct"),
                                    "fetched", None, records[pmid], evidence[pmid]))
    return links, keys


def as_list(reasons: object) -> list[str]:
    return [reasons] if isinstance(reasons, str) else list(reasons or [])


def grade_corpus(corpus: Path, rubric_path: Path) -> list[dict]:
    rubric = load_rubric(rubric_path)
    records = {r.pmid: r for r in parse_efetch_reply((corpus / "records.xml").read_bytes())}
    evidence = {pmid: read_record(r) for pmid, r in records.items()}
    rows = []
    for gold_path in sorted(corpus.glob("doc*.expected.json")):
        doc = gold_path.name.split(".")[0]
        text = (corpus / f"{doc}.txt").read_text(encoding="utf-8")
        gold_claims = json.loads(gold_path.read_text(encoding="utf-8"))["claims"]
        subjects = document_subjects([c["text"] for c in gold_claims])
        for i, g in enumerate(gold_claims):
            start = max(text.find(g["text"]), 0)
            claim = Claim(f"{doc}-{i}", doc, doc, start, start + len(g["text"]), g["text"],
                          classify_type(g["text"]) or "other", classify_population(g["text"]))
            links, keys = links_for(g, records, evidence)
            grade = grade_claim(claim, links, rubric, subjects)
            project = verdict_class(grade) if links or not keys else "unavailable"
            rows.append({"doc": doc, "text": g["text"], "gold": GOLD[g["certainty"].lower()], "project": project,
                         "key_only": bool(keys) and not links, "gold_reasons": as_list(g.get("reasons")),
                         "grade": grade})
    return rows


def report(rows: list[dict], quiet: bool = False) -> str:
    out = []
    agree = sum(r["gold"] == r["project"] for r in rows)
    reach = [r for r in rows if not r["key_only"]]
    out.append(f"verdict agreement, all gold claims        {agree}/{len(rows)} = {agree / len(rows):.0%}")
    ra = sum(r["gold"] == r["project"] for r in reach)
    out.append(f"verdict agreement, claims with a PMID     {ra}/{len(reach)} = {ra / len(reach):.0%}"
               f"   ({len(rows) - len(reach)} rest only on papers without a PMID: reported apart)")
    mh = [r for r in rows if r["gold"] in ("High", "Moderate")]
    far = [r for r in mh if not (r["project"] in LEVEL and abs(LEVEL[r["project"]] - LEVEL[r["gold"]]) <= 1)]
    over = [r for r in rows if (r["gold"] in LEVEL and r["project"] in LEVEL and LEVEL[r["project"]] - LEVEL[r["gold"]] >= 2)
            or (r["gold"] in ("CDNS", "NEC") and r["project"] in LEVEL)]
    out.append(f"gold Moderate/High not within one level: {len(far)} of {len(mh)}")
    out.append(f"overstated (>= 2 levels above gold, or graded where gold is CDNS/NEC): {len(over)}")
    out.append("")
    out.append("CONFUSION (rows: gold; columns: engine)")
    out.append(f"  {'gold':<10}" + "".join(f"{c:>12}" for c in CLASSES) + f"{'total':>8}")
    for g in CLASSES[:6]:
        counts = Counter(r["project"] for r in rows if r["gold"] == g)
        out.append(f"  {g:<10}" + "".join(f"{counts.get(c, 0):>12}" for c in CLASSES) + f"{sum(counts.values()):>8}")
    if over:
        out.append("")
        out.append("OVERSTATED")
        for r in over:
            out.append(f"  {r['doc']} gold {r['gold']}, engine {r['project']}: {r['text'][:110]}")
    key_only = [r for r in rows if r["key_only"]]
    if key_only:
        out.append("")
        out.append("RESTING ONLY ON PAPERS WITHOUT A PMID (unavailable offline)")
        for r in key_only:
            out.append(f"  {r['doc']} gold {r['gold']}: {r['text'][:110]}")
    if not quiet:
        out.append("")
        out.append("MISSES (gold reasons, then the engine's)")
        for r in rows:
            if r["gold"] == r["project"] or r["key_only"]:
                continue
            out.append(f"- {r['doc']} gold {r['gold']} / engine {r['project']}: {r['text'][:140]}")
            out.append(f"    gold: {' / '.join(r['gold_reasons'])[:400]}")
            for reason in r["grade"].reasons:
                if reason.change or reason.domain in ("status", "support", "start"):
                    span = f" [{reason.span_text[:50]}]" if reason.span_text else ""
                    out.append(f"    engine {reason.change:+d} {reason.rule_id}: {reason.explanation[:160]}{span}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--rubric", type=Path, default=bundled_path("rubric.toml"))
    parser.add_argument("--quiet", action="store_true", help="figures only, no misses")
    args = parser.parse_args(argv)
    if not (args.corpus / "records.xml").exists():
        print(f"{args.corpus}: no records.xml", file=sys.stderr)
        return 2
    print(report(grade_corpus(args.corpus, args.rubric), args.quiet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
