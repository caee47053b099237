"""Score a run of the project against gold annotations in the corpus format (issues 14 and 15).

    .venv/bin/python benchmarks/corpus_agreement.py DIR [--json OUT] [--keep WORKDIR] [--quiet]

DIR holds docNN.txt, docNN.expected.json, records.xml and records.json (../shared/corpus/dev/ is
one). The script serves DIR/records.xml through the E-utilities stand-in (unthrottled), runs
`grading run` on copies of DIR/doc*.txt into a fresh warehouse, reads the warehouse's views and
scores, per doc and in total:

- claims found: a gold claim is found when a project claim overlaps it by >= 50% of the gold
  span, or covers >= 50% of its own length with the gold span while lying inside the gold
  sentence; each gold claim maps to its best-overlapping project claim;
- citations resolved: gold citations whose PMID is served, resolved to that PMID by a project
  mention overlapping the gold raw string (and, looser, that PMID resolved anywhere in the doc);
- links: recall over gold (claim, served PMID) pairs, precision over the project's (claim, PMID)
  links on found gold claims; invented links on gold claims that cite nothing;
- verdicts: the project's verdict as one of the six gold classes (plus "unavailable", "not
  found"), agreement overall and on the reachable subset (claims that do not rest only on papers
  without a PMID), the confusion matrix, gold Moderate/High claims more than one level off, and
  overstatements.

Then the misses, grouped by cause. Depends only on the `grading` CLI, the stand-in command and
the warehouse's views (read-only), so it survives the code being moved around. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GOLD_CLASSES = ["High", "Moderate", "Low", "Very low", "CDNS", "NEC"]
EXTRA_CLASSES = ["unavailable", "not found"]
LEVEL = {"High": 4, "Moderate": 3, "Low": 2, "Very low": 1}
GOLD_ALIASES = {
    "high": "High", "moderate": "Moderate", "low": "Low", "very low": "Very low",
    "citation does not support claim": "CDNS", "cdns": "CDNS",
    "no evidence cited": "NEC", "nec": "NEC",
}
PROJECT_CERTAINTY = {"high": "High", "moderate": "Moderate", "low": "Low", "very low": "Very low"}
# Statuses meaning "the cited paper does not support the claim" (issue 15 adds not-supported).
CDNS_STATUSES = {"not-supported", "not_supported", "off-topic", "off_topic", "retracted", "contradicted",
                 "contradicts", "wrong-paper", "wrong_paper", "partly", "not-mentioned"}
NEC_STATUSES = {"uncited", "unresolved", "not-cited", "not_cited", "no-evidence", "citation-not-found"}
UNAVAILABLE_STATUSES = {"unavailable"}
FOUND_SHARE = 0.5

# --------------------------------------------------------------------------------------------
# Gold and corpus files


def served_pmids(corpus: Path) -> set[str]:
    """PMIDs served by the stand-in: records.json "records" keys, else the PMIDs in records.xml."""
    records_json = corpus / "records.json"
    if records_json.exists():
        data = json.loads(records_json.read_text(encoding="utf-8"))
        if isinstance(data.get("records"), dict):
            return {str(k) for k in data["records"]}
    xml = (corpus / "records.xml").read_text(encoding="utf-8")
    return set(re.findall(r"<PMID[^>]*>(\d+)</PMID>", xml))


def gold_class(certainty: str | None) -> str:
    text = (certainty or "").strip()
    return GOLD_ALIASES.get(text.lower(), text or "?")


def gold_pmids(claim: dict, citations_by_id: dict[str, dict] | None = None) -> set[str]:
    """Every PMID a gold claim rests on: its `cited_resolved` pmid:N entries, and the PMIDs of
    the citations it lists in `cited` (served or not)."""
    pmids = {str(item)[5:] for item in (claim.get("cited_resolved") or []) if str(item).startswith("pmid:")}
    for cid in claim.get("cited") or []:
        pmid = (citations_by_id or {}).get(cid, {}).get("pmid")
        if pmid:
            pmids.add(str(pmid))
    return pmids


def is_reachable(claim: dict, served: set[str]) -> bool:
    """A claim an offline PubMed pipeline can get right: it rests on at least one served PMID,
    or on nothing at all (not on `key:` papers without a PMID only)."""
    resolved = claim.get("cited_resolved") or []
    if not resolved:
        return True
    return any(str(item).startswith("pmid:") and str(item)[5:] in served for item in resolved)


# --------------------------------------------------------------------------------------------
# Locating strings in the stored text


def _normalise_ws(text: str) -> tuple[str, list[int]]:
    """Whitespace runs collapsed to one space; index map from the normalised text to the original."""
    out: list[str] = []
    index: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space:
                out.append(" ")
                index.append(i)
            in_space = True
        else:
            out.append(ch)
            index.append(i)
            in_space = False
    index.append(len(text))
    return "".join(out), index


def locate(needle: str, text: str) -> tuple[list[tuple[int, int]], str]:
    """All (start, end) spans of `needle` in `text`: exact first, else whitespace-normalised.
    Returns the spans and how they were found ("exact", "whitespace", "missing")."""
    if not needle:
        return [], "missing"
    spans = [(m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), text)]
    if spans:
        return spans, "exact"
    norm_text, index = _normalise_ws(text)
    norm_needle = " ".join(needle.split())
    if not norm_needle:
        return [], "missing"
    spans = []
    start = norm_text.find(norm_needle)
    while start >= 0:
        end = start + len(norm_needle)
        spans.append((index[start], index[end - 1] + 1))
        start = norm_text.find(norm_needle, start + 1)
    return spans, ("whitespace" if spans else "missing")


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span extended to the enclosing sentence(s): back to after the previous . ! ? or line
    break, forward to the next one (inclusive)."""
    s = start
    while s > 0 and text[s - 1] not in ".!?\n":
        s -= 1
    e = end
    while e < len(text) and text[e - 1] not in ".!?\n":
        e += 1
    return s, e


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


# --------------------------------------------------------------------------------------------
# Scoring (pure functions: gold dicts + project rows in, figures out)


def match_claims(gold_claims: list[dict], project_claims: list[dict], text: str) -> list[dict]:
    """Map each gold claim to its best-overlapping project claim.

    gold_claims: gold dicts (`text`, ...); project_claims: rows with `claim_id`, `char_start`,
    `char_end`; text: the stored text. Returns one dict per gold claim: `spans` (where its text
    is), `located` (exact / whitespace / missing), `found`, `claim_id` (the mapped project claim
    or None), `overlap` (characters), `shared` (how many gold claims map to that project claim).
    """
    results = []
    for gold in gold_claims:
        spans, how = locate(gold.get("text", ""), text)
        best = None
        best_key = None
        for span in spans:
            sent = sentence_bounds(text, *span)
            glen = max(1, span[1] - span[0])
            for row in project_claims:
                pspan = (row["char_start"], row["char_end"])
                ov = overlap(span, pspan)
                if ov <= 0:
                    continue
                plen = max(1, pspan[1] - pspan[0])
                found = ov >= FOUND_SHARE * glen or (
                    ov >= FOUND_SHARE * plen and sent[0] <= pspan[0] and pspan[1] <= sent[1])
                key = (found, ov, -abs(plen - glen))
                if best_key is None or key > best_key:
                    best_key, best = key, (row["claim_id"], ov, found)
        results.append({"spans": spans, "located": how, "found": bool(best and best[2]),
                        "claim_id": best[0] if best and best[2] else None,
                        "overlap": best[1] if best else 0})
    counts = Counter(r["claim_id"] for r in results if r["claim_id"])
    for r in results:
        r["shared"] = counts[r["claim_id"]] if r["claim_id"] else 0
    return results


def project_class(row: dict | None) -> str:
    """The project's verdict as a gold class: graded -> its certainty; not supported (not-supported,
    off-topic, retracted, ...) -> CDNS; uncited/unresolved -> NEC; unavailable; None -> not found."""
    if row is None:
        return "not found"
    status = (row.get("status") or "").strip().lower()
    certainty = (row.get("certainty") or "").strip().lower()
    if status == "graded":
        return PROJECT_CERTAINTY.get(certainty, f"graded:{certainty}")
    if status in CDNS_STATUSES or any(w in status for w in ("support", "contradict", "off-topic", "retract",
                                                             "wrong")):
        return "CDNS"
    if status in NEC_STATUSES or "cited" in status or "unresolved" in status:
        return "NEC"
    if status in UNAVAILABLE_STATUSES:
        return "unavailable"
    if not status and certainty in PROJECT_CERTAINTY:
        return PROJECT_CERTAINTY[certainty]
    return f"other:{status or '?'}"


def project_links(claim_rows: list[dict], citation_rows: list[dict]) -> tuple[dict[str, set[str]], set[str]]:
    """(claim_id -> PMIDs linked) from claim_grades.pmids and citations rows with a claim and a PMID;
    and the set of claim_ids with any link at all (a citation row attached, resolved or not)."""
    links: dict[str, set[str]] = defaultdict(set)
    linked: set[str] = set()
    for row in claim_rows:
        for pmid in row.get("pmids") or []:
            links[row["claim_id"]].add(str(pmid))
            linked.add(row["claim_id"])
    for row in citation_rows:
        cid = row.get("claim_id")
        if not cid:
            continue
        if str(row.get("link") or "").lower() == "none" and row.get("pmid") is None:
            continue
        linked.add(cid)
        if row.get("pmid") is not None:
            links[cid].add(str(row["pmid"]))
    return dict(links), linked


def score_links(gold_claims: list[dict], matches: list[dict], links: dict[str, set[str]], linked: set[str],
                served: set[str], citations_by_id: dict[str, dict] | None = None) -> dict:
    """Link recall (gold (claim, served PMID) pairs whose mapped project claim links that PMID),
    precision (project links on found gold claims that are gold pairs) and invented links (gold
    claims citing nothing whose mapped project claim has any link)."""
    gold_pairs = hits = 0
    proj_links = proj_correct = 0
    missing, extra, invented = [], [], []
    for gold, match in zip(gold_claims, matches):
        want_all = gold_pmids(gold, citations_by_id)
        want = {p for p in want_all if p in served}
        have = links.get(match["claim_id"], set()) if match["claim_id"] else set()
        for pmid in sorted(want):
            gold_pairs += 1
            if pmid in have:
                hits += 1
            else:
                missing.append({"claim": gold.get("text", ""), "pmid": pmid, "found": match["found"]})
        if match["found"]:
            for pmid in sorted(have):
                proj_links += 1
                if pmid in want_all:
                    proj_correct += 1
                else:
                    extra.append({"claim": gold.get("text", ""), "pmid": pmid})
            if not gold.get("cited") and match["claim_id"] in linked:
                invented.append({"claim": gold.get("text", ""), "pmids": sorted(have)})
    return {"gold_pairs": gold_pairs, "recalled": hits, "project_links": proj_links, "correct_links": proj_correct,
            "recall": ratio(hits, gold_pairs), "precision": ratio(proj_correct, proj_links),
            "uncited_gold": sum(1 for g in gold_claims if not g.get("cited")), "invented": len(invented),
            "missing": missing, "extra": extra, "invented_claims": invented}


def score_citations(gold_citations: list[dict], citation_rows: list[dict], text: str, served: set[str]) -> dict:
    """Gold citations with a served PMID: resolved when a project mention overlapping the gold raw
    string (any occurrence) resolved to that PMID; `anywhere`: that PMID resolved somewhere in the doc."""
    scored, unscored, misses, unlocated = [], [], [], []
    resolved_in_doc = {str(r["pmid"]) for r in citation_rows if r.get("pmid") is not None}
    mentions = {}
    for r in citation_rows:
        if r.get("char_start") is None or r.get("char_end") is None:
            continue
        mentions.setdefault((r["char_start"], r["char_end"], r.get("pmid")), r)
    hit = anywhere = 0
    for cit in gold_citations:
        pmid = str(cit["pmid"]) if cit.get("pmid") else None
        if not pmid or pmid not in served:
            unscored.append({"id": cit.get("id"), "raw": cit.get("raw", ""), "pmid": pmid, "key": cit.get("key"),
                             "verified": cit.get("verified", True)})
            continue
        scored.append(cit)
        spans, how = locate(cit.get("raw", ""), text)
        if how == "missing":
            unlocated.append(cit.get("raw", ""))
        over = [r for (s, e, _), r in mentions.items() if any(overlap((s, e), sp) > 0 for sp in spans)]
        ok = any(r.get("pmid") is not None and str(r["pmid"]) == pmid for r in over)
        hit += ok
        anywhere += pmid in resolved_in_doc
        if not ok:
            misses.append({"id": cit.get("id"), "raw": cit.get("raw", ""), "pmid": pmid,
                           "anywhere": pmid in resolved_in_doc,
                           "project": [{"raw": r.get("raw"), "pmid": r.get("pmid"), "method": r.get("method"),
                                        "resolution": r.get("resolution")} for r in over]})
    records = {str(c["pmid"]) for c in scored}
    return {"served": len(scored), "resolved": hit, "anywhere": anywhere, "records": len(records),
            "records_resolved": len(records & resolved_in_doc), "misses": misses,
            "unscored": unscored, "unlocated": unlocated}


def score_verdicts(gold_claims: list[dict], matches: list[dict], claims_by_id: dict[str, dict],
                   served: set[str]) -> dict:
    """Verdict classes per gold claim, agreement (all and reachable), the confusion matrix,
    gold Moderate/High claims more than one level off, and overstatements."""
    rows = []
    for gold, match in zip(gold_claims, matches):
        g = gold_class(gold.get("certainty"))
        p = project_class(claims_by_id.get(match["claim_id"]) if match["claim_id"] else None)
        rows.append({"gold": g, "project": p, "reachable": is_reachable(gold, served)})
    confusion: dict[str, Counter] = {c: Counter() for c in GOLD_CLASSES}
    for r in rows:
        confusion.setdefault(r["gold"], Counter())[r["project"]] += 1
    agree = sum(r["gold"] == r["project"] for r in rows)
    reach = [r for r in rows if r["reachable"]]
    off_by_more = over_graded = over_ungraded = 0
    flags = []
    for r in rows:
        g, p = r["gold"], r["project"]
        flag = []
        if g in ("High", "Moderate") and not (p in LEVEL and abs(LEVEL[p] - LEVEL[g]) <= 1):
            off_by_more += 1
            flag.append("gold M/H not within one level")
        if g in LEVEL and p in LEVEL and LEVEL[p] - LEVEL[g] >= 2:
            over_graded += 1
            flag.append("overstated by two or more levels")
        if g in ("CDNS", "NEC") and p in LEVEL:
            over_ungraded += 1
            flag.append(f"graded where gold says {g}")
        flags.append(flag)
    return {"n": len(rows), "agree": agree, "agreement": ratio(agree, len(rows)),
            "reachable_n": len(reach), "reachable_agree": sum(r["gold"] == r["project"] for r in reach),
            "reachable_agreement": ratio(sum(r["gold"] == r["project"] for r in reach), len(reach)),
            "mh_n": sum(r["gold"] in ("High", "Moderate") for r in rows), "mh_not_within_one": off_by_more,
            "overstated_graded": over_graded, "graded_where_gold_ungraded": over_ungraded,
            "confusion": {g: dict(c) for g, c in confusion.items()}, "rows": rows, "flags": flags}


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def score_doc(gold: dict, text: str, claim_rows: list[dict], citation_rows: list[dict], served: set[str]) -> dict:
    """Every figure for one doc, and its misses."""
    gold_claims = gold.get("claims") or []
    citations_by_id = {c.get("id"): c for c in gold.get("citations") or []}
    matches = match_claims(gold_claims, claim_rows, text)
    claims_by_id = {r["claim_id"]: r for r in claim_rows}
    links, linked = project_links(claim_rows, citation_rows)
    link_fig = score_links(gold_claims, matches, links, linked, served, citations_by_id)
    cit_fig = score_citations(gold.get("citations") or [], citation_rows, text, served)
    verdicts = score_verdicts(gold_claims, matches, claims_by_id, served)
    not_found = [{"claim": g.get("text", ""), "located": m["located"]} for g, m in zip(gold_claims, matches)
                 if not m["found"]]
    wrong = []
    for g, m, v, flag in zip(gold_claims, matches, verdicts["rows"], verdicts["flags"]):
        if v["gold"] != v["project"]:
            row = claims_by_id.get(m["claim_id"]) if m["claim_id"] else None
            wrong.append({"claim": g.get("text", ""), "gold": v["gold"], "project": v["project"],
                          "status": row.get("status") if row else None, "reachable": v["reachable"],
                          "project_reasons": list((row or {}).get("reasons") or [])[:3],
                          "gold_reasons": trim(g.get("reasons") or "", 150), "flags": flag})
    return {
        "claims_gold": len(gold_claims), "claims_found": sum(m["found"] for m in matches),
        "claims_unlocated": [g.get("text", "") for g, m in zip(gold_claims, matches) if m["located"] == "missing"],
        "shared_project_claims": sum(1 for m in matches if m["shared"] > 1),
        "project_claims": len(claim_rows),
        "citations": {k: v for k, v in cit_fig.items() if k != "misses"},
        "links": {k: v for k, v in link_fig.items() if k not in ("missing", "extra", "invented_claims")},
        "verdicts": {k: v for k, v in verdicts.items() if k not in ("rows", "flags")},
        "misses": {"claim_not_found": not_found, "citation_not_resolved": cit_fig["misses"],
                   "link_missing": link_fig["missing"], "link_extra": link_fig["extra"],
                   "invented_link": link_fig["invented_claims"], "verdict_wrong": wrong},
    }


def totals(per_doc: dict[str, dict]) -> dict:
    """Sums over docs, with the ratios recomputed from the sums."""
    t = Counter()
    confusion: dict[str, Counter] = {c: Counter() for c in GOLD_CLASSES}
    for d in per_doc.values():
        t["claims_gold"] += d["claims_gold"]
        t["claims_found"] += d["claims_found"]
        t["shared_project_claims"] += d["shared_project_claims"]
        t["project_claims"] += d["project_claims"]
        for k in ("served", "resolved", "anywhere", "records", "records_resolved"):
            t[f"citations_{k}"] += d["citations"][k]
        t["citations_unscored"] += len(d["citations"]["unscored"])
        for k in ("gold_pairs", "recalled", "project_links", "correct_links", "uncited_gold", "invented"):
            t[f"links_{k}"] += d["links"][k]
        for k in ("n", "agree", "reachable_n", "reachable_agree", "mh_n", "mh_not_within_one",
                  "overstated_graded", "graded_where_gold_ungraded"):
            t[f"verdicts_{k}"] += d["verdicts"][k]
        for g, row in d["verdicts"]["confusion"].items():
            confusion.setdefault(g, Counter()).update(row)
    out = dict(t)
    out.update({
        "claims_found_share": ratio(t["claims_found"], t["claims_gold"]),
        "citations_resolved_share": ratio(t["citations_resolved"], t["citations_served"]),
        "citations_anywhere_share": ratio(t["citations_anywhere"], t["citations_served"]),
        "link_recall": ratio(t["links_recalled"], t["links_gold_pairs"]),
        "link_precision": ratio(t["links_correct_links"], t["links_project_links"]),
        "verdict_agreement": ratio(t["verdicts_agree"], t["verdicts_n"]),
        "verdict_agreement_reachable": ratio(t["verdicts_reachable_agree"], t["verdicts_reachable_n"]),
        "confusion": {g: dict(c) for g, c in confusion.items()},
    })
    return out


def trim(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------------------------
# Running the project


class Standin:
    """The E-utilities stand-in serving records.xml, as a subprocess; its URL from stdout's first line."""

    def __init__(self, xml: Path, workdir: Path):
        self.xml, self.workdir, self.proc, self.url = xml, workdir, None, None

    def __enter__(self) -> Standin:  # noqa: PYI034
        out = self.workdir / "standin.out"
        self._out = open(out, "w")
        self._err = open(self.workdir / "standin.err", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grading.eutils_standin", str(self.xml), "--port", "0", "--rate", "0",
             "--host", "127.0.0.1"], stdout=self._out, stderr=self._err, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            first = out.read_text().splitlines()
            if first and first[0].strip():
                self.url = first[0].strip()
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.__exit__(None, None, None)
        err = (self.workdir / "standin.err").read_text()[-2000:]
        raise RuntimeError(f"the E-utilities stand-in did not start: {err.strip() or 'no output'}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        self._err.close()


def grading_command() -> list[str]:
    exe = Path(sys.executable).with_name("grading")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "grading.cli"]


def run_project(docs: list[Path], url: str, workdir: Path) -> dict:
    """`grading run` on the copied docs into workdir/warehouse.duckdb; wall time, exit code, output."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GRADING_") or k in ("GRADING_RUBRIC", "GRADING_HTTP_TIMEOUT")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", GRADING_LOCK_WAIT="0")
    warehouse = workdir / "warehouse.duckdb"
    cmd = grading_command() + ["run", *map(str, docs), "--eutils-url", url, "--warehouse", str(warehouse),
                               "--reports", str(workdir / "reports")]
    start = time.monotonic()
    proc = subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    return {"command": " ".join(cmd), "exit_code": proc.returncode, "wall_seconds": round(wall, 1),
            "stdout": proc.stdout, "stderr": proc.stderr, "warehouse": str(warehouse)}


def stderr_summary(stderr: str, n: int = 12) -> list[str]:
    """The stderr lines that say something (no interpreter-shutdown leak chatter), last n."""
    noise = ("leaked", "nanobind", "refleaks", "skipped remainder")
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not any(w in ln for w in noise)]
    errors = [ln for ln in lines if ln.startswith("grading:") or "Error" in ln or "error" in ln]
    return (errors[-4:] + ["..."] + lines[-n:]) if errors else lines[-n:]


# --------------------------------------------------------------------------------------------
# Reading the warehouse (the one place that knows its views)

CLAIM_COLUMNS = ["source", "claim_id", "claim_text", "char_start", "char_end", "certainty", "status", "pmids",
                 "reasons"]
CLAIM_OPTIONAL = ["claim_type", "population", "support", "support_label", "confidence"]
CITATION_COLUMNS = ["source", "claim_id", "raw", "kind", "value", "pmid", "method", "resolution", "link",
                    "char_start", "char_end"]
CITATION_OPTIONAL = ["link_method", "confidence", "support", "support_label", "detail"]


def read_warehouse(path: Path) -> dict:
    """claim_grades, citations and source_texts rows (as dicts keyed by doc name: the source's file
    stem), plus the latest run's row if there is one. Optional columns are read when present."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        def columns(view: str) -> list[str]:
            return [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [view]).fetchall()]

        def rows(view: str, wanted: list[str], optional: list[str]) -> list[dict]:
            have = columns(view)
            cols = [c for c in wanted + optional if c in have]
            cur = con.execute(f"SELECT {', '.join(cols)} FROM {view}")
            return [dict(zip(cols, r)) for r in cur.fetchall()]

        claims = rows("claim_grades", CLAIM_COLUMNS, CLAIM_OPTIONAL)
        citations = rows("citations", CITATION_COLUMNS, CITATION_OPTIONAL)
        texts = rows("source_texts", ["source", "text"], [])
        run = rows("latest_run", [], ["run_id", "mode", "status", "n_claims", "eutils_requests", "note"]) \
            if columns("latest_run") else []
    finally:
        con.close()

    def doc_of(source: str) -> str:
        return Path(str(source)).stem

    out = {"claims": defaultdict(list), "citations": defaultdict(list), "texts": {}, "run": run[0] if run else {}}
    for r in claims:
        r["pmids"] = [str(p) for p in (r.get("pmids") or [])]
        out["claims"][doc_of(r["source"])].append(r)
    for r in citations:
        out["citations"][doc_of(r["source"])].append(r)
    for r in texts:
        out["texts"][doc_of(r["source"])] = r["text"]
    return out


# --------------------------------------------------------------------------------------------
# Report


def pct(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:4.0f}%"


def frac(a: int, b: int) -> str:
    return f"{a}/{b}"


def format_report(result: dict, quiet: bool = False) -> str:
    out: list[str] = []
    t = result["totals"]
    run = result.get("run", {})
    if not quiet:
        out.append(f"corpus: {result['corpus']}  ({len(result['per_doc'])} docs scored; "
                   f"{len(result['served_pmids'])} PMIDs served)")
        out.append(f"run: exit {run.get('exit_code')}, {run.get('wall_seconds')} s wall; "
                   f"mode {run.get('mode')}, {run.get('eutils_requests')} E-utilities requests")
        for note in result.get("notes", []):
            out.append(f"note: {note}")
        out.append("")
        out.append(f"{'doc':6} {'claims':>8} {'shared':>6} {'cit.res':>8} {'anywhere':>8} {'link rec':>9} "
                   f"{'link prec':>9} {'invented':>8} {'verdicts':>10}")
        for doc, d in result["per_doc"].items():
            c, lk, v = d["citations"], d["links"], d["verdicts"]
            out.append(f"{doc:6} {frac(d['claims_found'], d['claims_gold']):>8} {d['shared_project_claims']:>6} "
                       f"{frac(c['resolved'], c['served']):>8} {frac(c['anywhere'], c['served']):>8} "
                       f"{frac(lk['recalled'], lk['gold_pairs']):>9} {frac(lk['correct_links'], lk['project_links']):>9} "
                       f"{frac(lk['invented'], lk['uncited_gold']):>8} {frac(v['agree'], v['n']):>10}")
        out.append("")
    out.append("TOTALS")
    out.append(f"  claims found              {frac(t['claims_found'], t['claims_gold']):>8}  {pct(t['claims_found_share'])}"
               f"   (gold claims sharing a project claim: {t['shared_project_claims']};"
               f" project claims: {t['project_claims']})")
    out.append(f"  citations resolved        {frac(t['citations_resolved'], t['citations_served']):>8}  "
               f"{pct(t['citations_resolved_share'])}   (PMID resolved anywhere in the doc: "
               f"{frac(t['citations_anywhere'], t['citations_served'])}; not scored, no served PMID: "
               f"{t['citations_unscored']})")
    out.append(f"  cited records resolved    {frac(t['citations_records_resolved'], t['citations_records']):>8}  "
               f"{pct(ratio(t['citations_records_resolved'], t['citations_records']))}"
               f"   (distinct served PMIDs cited per doc, resolved anywhere in that doc)")
    out.append(f"  link recall               {frac(t['links_recalled'], t['links_gold_pairs']):>8}  "
               f"{pct(t['link_recall'])}")
    out.append(f"  link precision            {frac(t['links_correct_links'], t['links_project_links']):>8}  "
               f"{pct(t['link_precision'])}")
    out.append(f"  invented links            {frac(t['links_invented'], t['links_uncited_gold']):>8}"
               f"         (gold claims citing nothing that the project links)")
    out.append(f"  verdict agreement         {frac(t['verdicts_agree'], t['verdicts_n']):>8}  "
               f"{pct(t['verdict_agreement'])}")
    out.append(f"  verdict agreement, reach. {frac(t['verdicts_reachable_agree'], t['verdicts_reachable_n']):>8}  "
               f"{pct(t['verdict_agreement_reachable'])}   (claims not resting only on papers without a PMID)")
    out.append(f"  gold Moderate/High not within one level: {t['verdicts_mh_not_within_one']} of {t['verdicts_mh_n']}")
    out.append(f"  overstated: {t['verdicts_overstated_graded']} graded two or more levels above gold; "
               f"{t['verdicts_graded_where_gold_ungraded']} graded where gold says CDNS or NEC")
    if quiet:
        return "\n".join(out)

    out.append("")
    out.append("CONFUSION (rows: gold; columns: project)")
    conf = t["confusion"]
    cols = GOLD_CLASSES + EXTRA_CLASSES
    cols += sorted({p for row in conf.values() for p in row} - set(cols))
    width = max(9, *(len(c) for c in cols))
    head = "gold \\ project"
    out.append(f"  {head:14} " + " ".join(f"{c:>{width}}" for c in cols) + f" {'total':>6}")
    for g in GOLD_CLASSES + sorted(set(conf) - set(GOLD_CLASSES)):
        row = conf.get(g, {})
        out.append(f"  {g:14} " + " ".join(f"{row.get(c, 0):>{width}}" for c in cols) + f" {sum(row.values()):>6}")

    def section(title: str, key: str, fmt) -> None:
        items = [(doc, m) for doc, d in result["per_doc"].items() for m in d["misses"][key]]
        out.append("")
        out.append(f"{title} ({len(items)})")
        for doc, m in items:
            out.append(fmt(doc, m))

    section("MISSES: claim not found", "claim_not_found",
            lambda doc, m: f"  {doc}  {trim(m['claim'], 150)}" + ("" if m["located"] != "missing"
                                                                  else "  [gold text not in stored text]"))

    def cit(doc: str, m: dict) -> str:
        got = "; ".join(f"{p['raw']!r} -> {p['pmid'] or p['resolution']} ({p['method']})" for p in m["project"][:3])
        return (f"  {doc}  {trim(m['raw'], 90)!r} expected {m['pmid']}"
                f"{' (resolved elsewhere in the doc)' if m['anywhere'] else ''}: "
                f"{trim(got, 200) if got else 'no overlapping project mention'}")

    section("MISSES: citation not resolved", "citation_not_resolved", cit)
    section("MISSES: link missing", "link_missing",
            lambda doc, m: f"  {doc}  pmid {m['pmid']}{'' if m['found'] else ' (claim not found)'}: "
                           f"{trim(m['claim'], 120)}")
    section("MISSES: link extra", "link_extra", lambda doc, m: f"  {doc}  pmid {m['pmid']}: {trim(m['claim'], 120)}")
    section("MISSES: invented link (gold cites nothing)", "invented_link",
            lambda doc, m: f"  {doc}  {','.join(m['pmids']) or 'unresolved citation'}: {trim(m['claim'], 120)}")

    def verdict(doc: str, m: dict) -> str:
        head = (f"  {doc}  gold {m['gold']} / project {m['project']}"
                f"{'' if m['reachable'] else ' (unreachable: key-only papers)'}"
                f"{' [' + '; '.join(m['flags']) + ']' if m['flags'] else ''}: {trim(m['claim'], 110)}")
        lines = [head]
        for r in m["project_reasons"]:
            lines.append(f"      project: {trim(r, 140)}")
        if m["gold_reasons"]:
            lines.append(f"      gold:    {m['gold_reasons']}")
        return "\n".join(lines)

    section("MISSES: verdict wrong", "verdict_wrong", verdict)
    unscored = [(doc, u) for doc, d in result["per_doc"].items() for u in d["citations"]["unscored"]]
    out.append("")
    out.append(f"NOT SCORED: gold citations with no served PMID ({len(unscored)})")
    for doc, u in unscored:
        why = f"key {u['key']}" if u.get("key") else (f"pmid {u['pmid']} not served" if u.get("pmid")
                                                      else "no PMID")
        out.append(f"  {doc}  {trim(u['raw'], 90)!r}: {why}{'' if u.get('verified', True) else ', unverified'}")
    unlocated = [(doc, s) for doc, d in result["per_doc"].items()
                 for s in d["claims_unlocated"] + d["citations"]["unlocated"]]
    if unlocated:
        out.append("")
        out.append(f"GOLD STRINGS NOT LOCATED IN THE STORED TEXT ({len(unlocated)})")
        for doc, s in unlocated:
            out.append(f"  {doc}  {trim(s, 150)!r}")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder with docNN.txt, docNN.expected.json, records.xml/json")
    parser.add_argument("--json", type=Path, help="write all figures and misses here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (warehouse, reports, logs)")
    parser.add_argument("--quiet", action="store_true", help="print only the totals")
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    if not (corpus / "records.xml").exists():
        print(f"corpus_agreement: error: {corpus / 'records.xml'} not found", file=sys.stderr)
        return 2
    docs = sorted(corpus.glob("doc*.txt"))
    if not docs:
        print(f"corpus_agreement: error: no doc*.txt in {corpus}", file=sys.stderr)
        return 2
    notes = []
    served = served_pmids(corpus)
    if args.keep:
        workdir = args.keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            (workdir / stale).unlink(missing_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="corpus-agreement-"))
    try:
        docdir = workdir / "docs"
        docdir.mkdir(exist_ok=True)
        copies = []
        for doc in docs:
            shutil.copyfile(doc, docdir / doc.name)
            copies.append(docdir / doc.name)
        with Standin(corpus / "records.xml", workdir) as standin:
            run = run_project(copies, standin.url, workdir)
        (workdir / "run.stdout").write_text(run["stdout"])
        (workdir / "run.stderr").write_text(run["stderr"])
        if run["exit_code"] not in (0, 1):
            notes.append(f"grading run exited {run['exit_code']}; stderr: " + " | ".join(stderr_summary(run["stderr"])))
        elif run["exit_code"] == 1:
            notes.append("grading run exited 1 (some sources unreadable); stderr: "
                         + " | ".join(stderr_summary(run["stderr"], 4)))
        if not Path(run["warehouse"]).exists():
            print("\n".join(notes), file=sys.stderr)
            print("corpus_agreement: error: the run wrote no warehouse", file=sys.stderr)
            return 2
        wh = read_warehouse(Path(run["warehouse"]))
        per_doc = {}
        for doc in docs:
            name = doc.stem
            gold_path = corpus / f"{name}.expected.json"
            if not gold_path.exists():
                notes.append(f"{name}: no {gold_path.name}, skipped")
                continue
            if name not in wh["texts"]:
                notes.append(f"{name}: not in the warehouse's source_texts (not read by the run?); scored against the file")
            text = wh["texts"].get(name) or doc.read_text(encoding="utf-8")
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            per_doc[name] = score_doc(gold, text, wh["claims"].get(name, []), wh["citations"].get(name, []), served)
        for gold_path in sorted(corpus.glob("doc*.expected.json")):
            if not (corpus / gold_path.name.replace(".expected.json", ".txt")).exists():
                notes.append(f"{gold_path.name}: no matching .txt, skipped")
        result = {
            "corpus": str(corpus), "served_pmids": sorted(served), "notes": notes,
            "run": {"exit_code": run["exit_code"], "wall_seconds": run["wall_seconds"], "command": run["command"],
                    **{k: wh["run"].get(k) for k in ("run_id", "mode", "eutils_requests", "n_claims")}},
            "per_doc": per_doc, "totals": totals(per_doc),
        }
        print(format_report(result, quiet=args.quiet))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
