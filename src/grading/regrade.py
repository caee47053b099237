"""Re-grading the latest run with another rubric, from what the warehouse holds: no E-utilities request.

`read_stored_run(con)` rebuilds the latest completed run's claims and their linked evidence from the
warehouse: claims (`claims_all` joined with the run's `grades`), links (`citation_links` with their
`citation_mentions`), records (`pubmed_records.raw_xml`, re-read with grading.engine.record_reading) and why any
fetch failed (`fetch_log`). `regrade(stored, rubric)` grades every claim again (pure), and
`regrade_frames(...)` turns the result into the rows of a new, complete run (mode "regrade"): grades
and reasons, the links and sources copied under the new run id, and `pubmed_records` rows whose
derived columns (design, species, sample size) the current reader recomputed. The fetch time and
origin of every record are kept, so a regrade never makes a record look fresher than it is.

`regrade_corpus(settings)` is the whole pass as one library call, as grading.run.grade_corpus is for
a run: load the rubric, re-grade and load the new run (`regrade_warehouse`: open, read the stored
run, grade, frames, validate, load), then write the reports. `grading regrade` calls it in its own
process; grading.flows.regrade runs the same two stages as Prefect tasks (`RegradeStages`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from grading.clock import new_run_id, now_utc
from grading.engine.body import LinkedEvidence
from grading.engine.grade import grade_claim
from grading.engine.record_reading import RecordEvidence, read_record
from grading.engine.rubric import Rubric, load_rubric
from grading.engine.topic import document_subjects
from grading.errors import GradingError
from grading.models import CitationMention, Claim, Grade, PubmedRecord, Resolution
from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from grading.reports.write import write_reports
from grading.settings import Settings
from grading.vocabulary import load_vocabularies
from grading.warehouse import tables
from grading.warehouse.database import check_file, load_run, open_warehouse
from grading.warehouse.validate import validate_table


class RegradeError(GradingError):
    """Nothing to re-grade (no completed run); the message is one line."""


@dataclass
class StoredRun:
    """The latest completed run as the warehouse holds it. Grain: one run."""

    run_id: str
    rubric_version: str
    claims: list[Claim]  # in source order
    subjects: dict[tuple[str, str], frozenset[str]]  # (source, content_hash) -> document subject terms
    links: dict[str, list[LinkedEvidence]]  # claim_id -> linked evidence
    link_rows: pd.DataFrame  # the run's citation_links rows
    source_rows: pd.DataFrame  # the run's run_sources rows
    records: dict[int, PubmedRecord] = field(default_factory=dict)
    evidence: dict[int, RecordEvidence] = field(default_factory=dict)
    record_rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # pubmed_records rows (origin, fetched_at)


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def read_stored_run(con: duckdb.DuckDBPyConnection) -> StoredRun:
    """The latest completed run's claims, links and records, as the warehouse holds them."""
    row = con.execute("SELECT run_id, rubric_version FROM latest_run").fetchone()
    if row is None:
        raise RegradeError("the warehouse holds no completed run to re-grade; run `grading run` first")
    run_id, version = row
    claim_rows = fetch_frame(con, "SELECT c.* FROM grades g JOIN claims_all c USING (claim_id) WHERE g.run_id = ? "
                                  "ORDER BY c.source, c.char_start, c.char_end", run_id)
    claims = [Claim(r.claim_id, r.source, r.content_hash, int(r.char_start), int(r.char_end), r.claim_text,
                    r.claim_type, r.population) for r in claim_rows.itertuples(index=False)]
    by_doc: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in claims:
        by_doc[(c.source, c.content_hash)].append(c.text)
    subjects = {key: document_subjects(texts) for key, texts in by_doc.items()}
    link_rows = fetch_frame(con, "SELECT * FROM citation_links WHERE run_id = ?", run_id)
    mentions = fetch_frame(con, "SELECT m.* FROM citation_mentions m WHERE citation_id IN "
                                "(SELECT citation_id FROM citation_links WHERE run_id = ?)", run_id)
    # Why a fetch failed: the latest fetch_log row (a regrade run fetches nothing and logs nothing,
    # so a regrade of a regrade still finds the cause its links came with).
    causes = dict(con.execute(
        "SELECT f.pmid, arg_max(f.cause, r.finished_at) FROM fetch_log f JOIN runs r USING (run_id) "
        "WHERE f.outcome = 'unavailable' AND r.finished_at <= (SELECT finished_at FROM latest_run) GROUP BY f.pmid"
    ).fetchall())
    fetched = sorted({int(p) for p, o in zip(link_rows["pmid"], link_rows["fetch_outcome"])
                      if o == "fetched" and not missing(p)})
    record_rows = fetch_frame(con, "SELECT * FROM pubmed_records WHERE pmid IN (SELECT unnest(?))", fetched) \
        if fetched else pd.DataFrame()
    stored = StoredRun(run_id, version, claims, subjects, {}, link_rows,
                       fetch_frame(con, "SELECT * FROM run_sources WHERE run_id = ?", run_id), record_rows=record_rows)
    for r in record_rows.itertuples(index=False):
        try:
            parsed = parse_efetch_reply(f"<PubmedArticleSet>{r.raw_xml}</PubmedArticleSet>".encode())
        except PubmedXmlError:
            continue  # unreadable stored XML: the link counts as unavailable below
        if parsed:
            stored.records[int(r.pmid)] = parsed[0]
            stored.evidence[int(r.pmid)] = read_record(parsed[0])
    mention_by_id = {m.citation_id: mention_from_row(m) for m in mentions.itertuples(index=False)}
    for r in link_rows.itertuples(index=False):
        if missing(r.claim_id):
            continue
        stored.links.setdefault(r.claim_id, []).append(
            linked_evidence(r, mention_by_id[r.citation_id], stored, causes))
    return stored


def missing(value: object) -> bool:
    """None or NaN/NA from a DataFrame cell; a list (or array) cell is never missing."""
    return value is None or (not hasattr(value, "__len__") and bool(pd.isna(value)))


def mention_from_row(m: object) -> CitationMention:
    year, footnote, authors, title = (getattr(m, k) for k in ("year", "footnote", "authors", "title"))
    return CitationMention(int(m.char_start), int(m.char_end), m.raw, m.kind, m.value,  # type: ignore[attr-defined]
                           footnote=None if missing(footnote) else int(footnote),  # type: ignore[arg-type]
                           in_reference_list=bool(m.in_reference_list),  # type: ignore[attr-defined]
                           authors=() if missing(authors) else tuple(str(a) for a in authors),  # type: ignore[union-attr]
                           year=None if missing(year) else int(year),  # type: ignore[arg-type]
                           title=None if missing(title) else str(title))


def linked_evidence(r: object, mention: CitationMention, stored: StoredRun, causes: dict) -> LinkedEvidence:
    """One stored link as the engine sees it; a record the warehouse cannot read back is unavailable."""
    pmid = None if missing(r.pmid) else int(r.pmid)  # type: ignore[attr-defined]
    detail = None if missing(r.detail) else str(r.detail)  # type: ignore[attr-defined]
    outcome = None if missing(r.fetch_outcome) else str(r.fetch_outcome)  # type: ignore[attr-defined]
    candidates = () if missing(r.candidates) else tuple(int(c) for c in r.candidates)  # type: ignore[attr-defined]
    resolution = Resolution(mention.kind, mention.value, r.resolution, pmid, r.method, candidates, detail)  # type: ignore[attr-defined]
    record = stored.records.get(pmid) if pmid is not None and outcome == "fetched" else None
    cause = causes.get(pmid) if outcome == "unavailable" else None
    if outcome == "fetched" and record is None:
        outcome, cause = "unavailable", "the stored record could not be read back from the warehouse"
    return LinkedEvidence(mention, r.link, resolution, outcome, cause, record,  # type: ignore[attr-defined]
                          stored.evidence.get(pmid) if record is not None else None,
                          link_reason(r) if r.link == "inferred" else None)  # type: ignore[attr-defined]


def link_reason(r: object) -> str | None:
    """Why an inferred link was made, as stored (older rows kept it inside `detail`)."""
    reason = getattr(r, "link_reason", None)
    if not missing(reason):
        return str(reason)
    detail = getattr(r, "detail", None)
    return None if missing(detail) else str(detail)


def regrade(stored: StoredRun, rubric: Rubric) -> list[Grade]:
    """Every stored claim graded again with `rubric`, on the stored links and records."""
    return [grade_claim(c, stored.links.get(c.claim_id, []), rubric, stored.subjects[(c.source, c.content_hash)])
            for c in stored.claims]


@dataclass
class Regrade:
    run_id: str
    base_run_id: str
    rubric_version: str
    grades: list[Grade]
    frames: dict[str, pd.DataFrame]


def regrade_frames(stored: StoredRun, grades: list[Grade], rubric: Rubric, started_at: datetime,
                   run_id: str | None = None) -> Regrade:
    """The rows of a new complete run holding the re-graded claims (validated; failures quarantined)."""
    run_id = run_id or new_run_id()
    links = stored.link_rows.copy()
    links["run_id"] = run_id
    frames = {**tables.grade_frames(grades, run_id), "citation_links": links}
    if not stored.record_rows.empty:
        records = stored.record_rows.copy()
        for i, pmid in enumerate(records["pmid"]):
            ev = stored.evidence.get(int(pmid))
            if ev is not None:  # the current reader's design, species and size for the same XML
                records.at[i, "design"] = ev.design
                records.at[i, "species"] = sorted(ev.species)
                records.at[i, "sample_size"] = ev.sample_size
        frames["pubmed_records"] = records
    frames = tables.validate_frames(frames, run_id)
    sources = stored.source_rows.copy()
    sources["run_id"] = run_id
    runs = pd.DataFrame([{
        "run_id": run_id, "started_at": started_at, "finished_at": now_utc(), "status": "completed",
        "mode": "regrade", "eutils_url": None, "rubric_version": rubric.version,
        "n_sources": len(sources), "n_claims": len(frames["grades"]), "n_citations": len(frames["citation_links"]),
        "n_records": len(stored.records), "eutils_requests": 0,
        "note": f"re-graded run {stored.run_id} (rubric {stored.rubric_version}) with rubric {rubric.version}; "
                "nothing fetched"}])
    for table, df in (("run_sources", sources), ("runs", runs)):
        good, bad = validate_table(table, df, run_id)
        if bad and table == "runs":
            raise ValueError(f"the run's own row fails its schema: {bad[0]['failure']}")
        frames[table] = good
        if bad:
            frames["quarantine"] = pd.concat([frames["quarantine"], pd.DataFrame(bad)], ignore_index=True)
    return Regrade(run_id, stored.run_id, rubric.version, grades, frames)


def regrade_latest(con: duckdb.DuckDBPyConnection, rubric: Rubric) -> Regrade:
    """Read the latest run, grade it with `rubric`, and build the new run's rows (not yet loaded)."""
    started = now_utc()
    stored = read_stored_run(con)
    return regrade_frames(stored, regrade(stored, rubric), rubric, started)


def regrade_warehouse(path: Path, rubric: Rubric, wait: float = 0.0) -> Regrade:
    """Re-grade the latest run in the warehouse at `path` and load the new run (one transaction)."""
    with open_warehouse(path, wait=wait) as con:
        result = regrade_latest(con, rubric)
        load_run(con, result.frames)
    return result


# --- the pass


def write_reports_stage(warehouse: Path, reports: Path, wait: float = 0.0) -> list[Path]:
    """The reports from the warehouse as it now stands (the re-graded run is the latest)."""
    with open_warehouse(warehouse, read_only=True, wait=wait) as con:
        return write_reports(con, reports)


@dataclass
class RegradeStages:
    """The stages a re-grade calls; the Prefect flow passes task-wrapped ones (same signatures)."""

    regrade: Callable[[Path, Rubric, float], Regrade] = regrade_warehouse
    reports: Callable[[Path, Path, float], list[Path]] = write_reports_stage


@dataclass
class RegradeSummary:
    """What `grading regrade` prints and the flow returns (as_dict)."""

    run_id: str
    base_run_id: str
    rubric_version: str
    claims: int = 0
    certainty: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    warehouse: str = ""
    reports: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def regrade_corpus(settings: Settings, *, stages: RegradeStages | None = None) -> RegradeSummary:
    """Re-grade the latest run in `settings.warehouse` with the rubric at `settings.rubric_path`, as
    a new run (mode "regrade"), then rewrite the reports. Nothing is fetched."""
    load_vocabularies()  # a broken vocabulary file is one line now, before any work
    stages = stages or RegradeStages()
    rubric = load_rubric(settings.rubric_path)
    warehouse = Path(settings.warehouse)
    check_file(warehouse)  # a file that is not a warehouse is refused before anything opens it
    if not warehouse.exists():  # not created empty just to say it holds nothing
        raise RegradeError(f"{warehouse}: no warehouse here, so no completed run to re-grade; "
                           "run `grading run` first")
    result = stages.regrade(warehouse, rubric, settings.lock_wait)
    written = stages.reports(warehouse, settings.reports, settings.lock_wait)
    certainty: dict[str, int] = {}
    status: dict[str, int] = {}
    for g in result.grades:
        certainty[g.certainty] = certainty.get(g.certainty, 0) + 1
        status[g.status] = status.get(g.status, 0) + 1
    return RegradeSummary(result.run_id, result.base_run_id, result.rubric_version, len(result.grades), certainty,
                          status, len(result.frames["quarantine"]), str(warehouse), [str(p) for p in written])
