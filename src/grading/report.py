"""Reports written from the warehouse marts only: reports/claims.csv and reports/index.html.

Everything from documents is untrusted: Jinja2 autoescapes every value, and links are
emitted only for http(s) URLs built here (PubMed) or checked to be http(s).
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import urllib.parse
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

CLAIM_COLUMNS = ["source", "claim_id", "char_start", "char_end", "claim_type", "population", "certainty", "status",
                 "pmids", "claim_text", "reasons", "rubric_version", "run_id"]
CERTAINTY_ORDER = ["high", "moderate", "low", "very low", "no evidence"]


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs are ever emitted as links."""
    if not url:
        return None
    scheme = urllib.parse.urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in {"http", "https"} else None


def pubmed_url(pmid: int | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/" if pmid else None


def read_marts(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    run = con.execute("SELECT run_id, started_at, finished_at, mode, rubric_version, n_sources, n_claims "
                      "FROM latest_run").fetchone()
    if run is None:
        raise ValueError("the warehouse holds no completed run yet")
    claims = con.execute(f"SELECT {', '.join(CLAIM_COLUMNS)} FROM claim_grades").fetchall()
    citations = con.execute("SELECT claim_id, raw, kind, value, pmid, resolution, link, footnote, fetch_outcome "
                            "FROM citations WHERE claim_id IS NOT NULL").fetchall()
    records = {r[0]: r for r in con.execute(
        "SELECT pmid, title, journal, year, design, species, retracted, origin FROM pubmed_records").fetchall()}
    return {"run": run, "claims": claims, "citations": citations, "records": records}


def write_claims_csv(rows: list[tuple], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CLAIM_COLUMNS)
        for row in rows:
            w.writerow([";".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v) for v in row])


def html_context(marts: dict[str, object]) -> dict[str, object]:
    run = marts["run"]
    cites_by_claim: dict[str, list[dict[str, object]]] = {}
    for claim_id, raw, kind, value, pmid, resolution, link, footnote, outcome in marts["citations"]:
        rec = marts["records"].get(pmid)
        cites_by_claim.setdefault(claim_id, []).append({
            "raw": raw, "kind": kind, "pmid": pmid, "resolution": resolution, "link": link, "footnote": footnote,
            "outcome": outcome, "href": pubmed_url(pmid) or (safe_url(value) if kind == "url" else None),
            "title": rec[1] if rec else None, "journal": rec[2] if rec else None, "year": rec[3] if rec else None,
            "design": rec[4] if rec else None, "species": ", ".join(rec[5]) if rec and rec[5] else None,
            "retracted": bool(rec[6]) if rec else False})
    sources: dict[str, dict[str, object]] = {}
    for row in marts["claims"]:
        d = dict(zip(CLAIM_COLUMNS, row))
        d["citations"] = cites_by_claim.get(d["claim_id"], [])
        s = sources.setdefault(d["source"], {"source": d["source"], "claims": [],
                                             "counts": {c: 0 for c in CERTAINTY_ORDER}})
        s["claims"].append(d)
        s["counts"][d["certainty"]] += 1
    return {"run": {"run_id": run[0], "finished_at": run[2], "mode": run[3], "rubric_version": run[4]},
            "sources": list(sources.values()), "certainties": CERTAINTY_ORDER}


def render_html(context: dict[str, object]) -> str:
    env = Environment(loader=PackageLoader("grading", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["css"] = lambda s: str(s).replace(" ", "-")
    return env.get_template("index.html.j2").render(**context)


def write_reports(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write every report into a temporary folder, then move it into place: readers never see
    half-written files, and a crash leaves the previous reports."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    marts = read_marts(con)
    tmp = Path(tempfile.mkdtemp(prefix=".reports-", dir=out_dir.parent))
    try:
        write_claims_csv(marts["claims"], tmp / "claims.csv")
        (tmp / "index.html").write_text(render_html(html_context(marts)), encoding="utf-8")
        written = []
        out_dir.mkdir(exist_ok=True)
        for f in sorted(tmp.iterdir()):
            os.replace(f, out_dir / f.name)
            written.append(out_dir / f.name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
