"""The grading flow: each task is one library call; retries sit on the network tasks alone."""

from __future__ import annotations

from pathlib import Path

from grading.flows.cache_keys import extract_key, grade_key
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from grading import pipeline
from grading.documents.sources import SourceFailure, read_sources
from grading.documents.sources_list import ListedSource, read_sources_list, tags_for
from grading.engine.rubric import load_rubric
from grading.models import Source
from grading.pausepoints import pauser
from grading.pubmed import refresh
from grading.pubmed.entrez import EntrezSource
from grading.pubmed.mirror import mirror_first
from grading.pubmed.resolve import pmids_to_fetch
from grading.pubmed.snapshot import SnapshotSource
from grading.pubmed.source import FallbackSource, PubmedSource
from grading.reports.write import write_reports
from grading.settings import Settings
from grading.warehouse import tables
from grading.warehouse.database import (
    load_run,
    open_warehouse,
    recent_absences,
    recent_resolutions,
    stored_records,
)


@task(name="read-sources", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def read_sources_task(specs: list[str], settings: Settings) -> tuple[list[Source], list[SourceFailure]]:
    return read_sources(specs, timeout=settings.http_timeout, max_bytes=settings.max_source_bytes)


@task(name="extract", cache_key_fn=extract_key, persist_result=True)
def extract_task(source: Source) -> pipeline.Document:
    """Cached on the source's content hash: an unchanged source is not re-extracted."""
    return pipeline.extract_document(source)


@task(name="resolve", cache_policy=NO_CACHE)
def resolve_task(docs: list[pipeline.Document], pubmed: PubmedSource, known: dict) -> tuple[dict, list]:
    """The resolutions, and every query made for them (warehouse resolution_queries)."""
    log: list = []
    return pipeline.resolve_documents(docs, pubmed, known, log), log


@task(name="check-revisions", cache_policy=NO_CACHE)
def check_revisions_task(held: dict, pubmed: PubmedSource) -> refresh.RevisionCheck:
    """Which held records PubMed revised or retracted since they were fetched (one esearch per 200)."""
    return refresh.check_held_records(held, pubmed)


@task(name="fetch", cache_policy=NO_CACHE)
def fetch_task(pmids: list[int], pubmed: PubmedSource, stored: dict, absent: set[int],
               revised: set[int]) -> pipeline.Retrieval:
    return pipeline.fetch_records(pmids, pubmed, stored, absent, revised)


@task(name="read-records", cache_policy=NO_CACHE)
def read_records_task(retrieval: pipeline.Retrieval) -> dict:
    return pipeline.read_records(retrieval.result.records)


@task(name="link-and-grade", cache_key_fn=grade_key, persist_result=True)
def grade_task(doc, resolutions, retrieval, evidence, rubric):
    """One document's links and grades, cached on its claims, resolutions, record versions and
    rubric. Submitted per document, so a Dask task runner spreads them over workers."""
    rows, by_claim = pipeline.link_documents([doc], resolutions, retrieval, evidence)
    return rows, pipeline.grade_documents([doc], by_claim, rubric)


def default_sources(settings: Settings) -> list[ListedSource]:
    """The sources list when there is one, else the bundled corpus."""
    if settings.sources_list.exists():
        return read_sources_list(settings.sources_list)
    return [ListedSource(str(settings.sources_dir))]


def make_pubmed_source(settings: Settings) -> tuple[PubmedSource, str]:
    snapshot = lambda: SnapshotSource(settings.snapshot_path)
    if settings.offline:
        return snapshot(), "offline"
    entrez = EntrezSource(base_url=settings.eutils_url, email=settings.email, api_key=settings.api_key,
                          tool=settings.tool, timeout=settings.http_timeout)
    return FallbackSource(entrez, snapshot), "online"


@flow(name="grade-corpus", log_prints=False)
def grade_corpus(sources: list[str] | None = None, warehouse: str | None = None, reports: str | None = None,
                 offline: bool = False, eutils_url: str | None = None, wait: float | None = None) -> dict:
    """Grade every claim in `sources` (default: the bundled corpus) into the warehouse and reports."""
    logger = get_run_logger()
    settings = Settings.from_env(warehouse=Path(warehouse) if warehouse else None,
                                 reports=Path(reports) if reports else None, offline=offline or None,
                                 eutils_url=eutils_url, lock_wait=wait)
    rubric = load_rubric(settings.rubric_path)
    listed = [] if sources else default_sources(settings)
    specs = sources or [entry.spec for entry in listed]
    info = tables.RunInfo(run_id=pipeline.new_run_id(), started_at=pipeline.now_utc(), mode="online",
                          eutils_url=None if settings.offline else settings.redact(settings.eutils_url),
                          rubric_version=rubric.version)
    docs_read, failures = read_sources_task(specs, settings)
    for f in failures:
        logger.error(f.message)
    if not docs_read:
        return {"run_id": None, "failures": [f.message for f in failures], "claims": 0}
    docs = [extract_task(s) for s in docs_read]
    pubmed, info.mode = make_pubmed_source(settings)
    with open_warehouse(settings.warehouse, wait=settings.lock_wait) as con:  # held for the run: one writer
        # Searches answered cleanly within the record age are reused: no E-utilities request.
        known = pipeline.known_resolutions(recent_resolutions(con, pipeline.now_utc() - settings.record_max_age))
        resolutions, queries = resolve_task(docs, pubmed, known)
        pmids = pmids_to_fetch(list(resolutions.values()))
        held_rows = stored_records(con, pmids).to_dict("records") if pmids else []
        stored = pipeline.reuse_stored(held_rows, settings.record_max_age, pipeline.now_utc(), settings.offline)
        now = pipeline.now_utc()
        absent = recent_absences(con, pmids, now - settings.record_max_age)
        due = {} if settings.offline else refresh.due_for_check(stored, held_rows, now, settings.revision_check_age)
        revision = check_revisions_task(due, pubmed) if due else refresh.RevisionCheck()
        info.issues.extend(("refresh", subject, message) for subject, message in refresh.refresh_issues(revision))
        # The local baseline mirror (grading ingest-baseline), when there is one, answers first.
        retrieval = fetch_task(pmids, mirror_first(con, pubmed), stored, absent, revision.revised)
        if isinstance(pubmed, FallbackSource) and pubmed.fell_back:
            info.mode = "offline-fallback"
            info.note = "NCBI E-utilities unreachable; records came from the bundled snapshot"
            info.issues.append(("fetch", settings.redact(settings.eutils_url), settings.redact(pubmed.fell_back)))
            logger.warning("E-utilities unreachable (%s); using the bundled snapshot", settings.redact(pubmed.fell_back))
        for res in resolutions.values():
            if res.status == "not_found" and res.method == "direct":  # an id that cannot be a PMID
                info.issues.append(("resolve", res.value, res.detail or "invalid id"))
        evidence = read_records_task(retrieval)
        futures = [grade_task.submit(doc, *pipeline.evidence_for(doc, resolutions, retrieval, evidence), rubric)
                   for doc in docs]
        rows, grades = [], []
        for future in futures:
            doc_rows, doc_grades = future.result()
            rows.extend(doc_rows)
            grades.extend(doc_grades)
        now = pipeline.now_utc()
        frames = {**tables.source_frames(docs, info.run_id), "citation_links": tables.link_frame(rows, info.run_id),
                  "resolution_queries": tables.query_frame(queries, info.run_id),
                  **tables.record_frames(retrieval, evidence, info.run_id, now),
                  **tables.grade_frames(grades, info.run_id)}
        frames = tables.validate_frames(frames, info.run_id)
        tags = {d.source.source: tags_for(d.source.source, listed) for d in docs}
        frames = tables.run_frames(info, docs, failures, frames, retrieval.result.requests, pipeline.now_utc(), tags)
        if settings.api_key:  # causes quote error pages, which may echo the key
            frames = tables.redact_frames(frames, settings.redact)
        pause = pauser(settings.pause_at)  # GRADING_PAUSE_AT, for crash tests; does nothing by default
        load_run(con, frames, pause=pause)
        written = write_reports(con, settings.reports, pause=pause)
    counts: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for g in grades:
        counts[g.certainty] = counts.get(g.certainty, 0) + 1
        statuses[g.status] = statuses.get(g.status, 0) + 1
    return {"run_id": info.run_id, "mode": info.mode, "sources": len(docs), "claims": len(grades),
            "certainty": counts, "status": statuses, "quarantined": len(frames["quarantine"]), "failures": [f.message for f in failures],
            "warnings": [f"{subject}: {message}" for stage, subject, message in info.issues if stage == "resolve"],
            "warehouse": str(settings.warehouse), "reports": [str(p) for p in written],
            "requests": retrieval.result.requests}
