"""A whole grading pass as one library call: `grade_corpus(settings, specs, pubmed=…)`.

read sources -> extract -> resolve -> check revisions -> fetch -> read records -> link and
grade -> frames (validated, redacted) -> load -> reports. `grading run` calls it directly;
grading.flows.grade_corpus runs the same pass with its stages as Prefect tasks (`Stages`).

The warehouse is held for writing only for the load and the reports: what the run needs
from it is read in two short read-only opens (recent searches at the start, then the held
records, absences and mirror for the resolved PMIDs), so `grading sql` and `grading report`
can read it while a run resolves, fetches and grades.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grading import pipeline
from grading.clock import new_run_id, now_utc
from grading.documents.caps import cap_document
from grading.documents.document import Document, LinkRow
from grading.documents.id_warnings import id_warnings
from grading.documents.sources import SourceFailure, read_sources
from grading.documents.sources_list import ListedSource, read_sources_list, tags_for
from grading.engine.rubric import Rubric, load_rubric
from grading.models import FetchResult, Grade, Resolution, Source
from grading.pausepoints import pauser
from grading.pubmed import refresh
from grading.pubmed.counts import request_counts
from grading.pubmed.entrez import EntrezSource
from grading.pubmed.mirror import held_mirror
from grading.pubmed.resolve import pmids_to_fetch
from grading.pubmed.retrieval import Retrieval
from grading.pubmed.snapshot import SnapshotSource
from grading.pubmed.source import FETCH_PROGRESS, FallbackSource, PubmedSource
from grading.reports.write import write_reports
from grading.settings import Settings
from grading.vocabulary import load_vocabularies
from grading.warehouse import tables
from grading.warehouse.database import (
    check_file,
    load_run,
    open_warehouse,
    recent_absences,
    recent_resolutions,
    stored_records,
    upgrade,
)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
STAGES = ("read", "extract", "resolve", "fetch", "read records", "grade", "frames", "load", "reports")
LOAD_WAIT = 60.0  # seconds the load waits for readers (grading sql/report) or another run's load

# Who hears a flow run's progress (grading run --prefect sets it): a flow parameter would go to
# Prefect's API. Here, not in the flow's module: Dask pickles the flow's function with its globals.
FLOW_PROGRESS: ContextVar[Progress | None] = ContextVar("grading_flow_progress", default=None)

log = logging.getLogger("grading.run")
log.addHandler(logging.NullHandler())  # the CLI says each failure itself; the flow passes Prefect's logger
log.propagate = False


def _quiet(stage: str, done: int, total: int) -> None:
    return None


# --- the stages, as the library runs them; flows/grade_corpus.py wraps each as Prefect tasks


def read_stage(specs: Sequence[str], settings: Settings) -> tuple[list[Source], list[SourceFailure]]:
    return read_sources(specs, timeout=settings.http_timeout, max_bytes=settings.max_source_bytes)


def extract_stage(sources: Sequence[Source], progress: Progress = _quiet) -> list[Document]:
    docs = []
    for source in sources:
        docs.append(pipeline.extract_document(source))
        progress("extract", len(docs), len(sources))
    return docs


def resolve_stage(docs: Sequence[Document], pubmed: PubmedSource, known: dict
                  ) -> tuple[dict[tuple[str, str], Resolution], list]:
    """The resolutions, and every query made for them (warehouse resolution_queries)."""
    log: list = []
    return pipeline.resolve_documents(docs, pubmed, known, log), log


def check_revisions_stage(due: dict, pubmed: PubmedSource) -> refresh.RevisionCheck:
    return refresh.check_held_records(due, pubmed)


def fetch_stage(pmids: Sequence[int], pubmed: PubmedSource, stored: dict, absent: set[int], revised: set[int],
                progress: Progress = _quiet) -> Retrieval:
    """Fetch what the warehouse cannot answer; each batch's records are read (grading.engine)
    on a second thread while the next batch waits for the rate limit."""
    with ThreadPoolExecutor(1, thread_name_prefix="read-records") as reader:
        reading: list[Future] = []
        counted = Counted(pubmed, progress, lambda records: reading.append(reader.submit(read_batch, records)))
        retrieval = pipeline.fetch_records(pmids, counted, stored, absent, revised)
        for future in reading:
            retrieval.read.update(future.result())
    return retrieval


def read_batch(records: Sequence) -> dict[int, object]:
    return pipeline.read_records({r.pmid: r for r in records})


def read_records_stage(retrieval: Retrieval) -> dict[int, object]:
    """Every record's reading: those made during the fetch, the rest (stored, mirror, snapshot) now."""
    result = retrieval.result
    done = {p: e for p, e in retrieval.read.items() if p in result.records and result.origin.get(p) == "entrez"
            and p not in retrieval.reused}
    return {**done, **pipeline.read_records({p: r for p, r in result.records.items() if p not in done})}


def grade_stage(docs: Sequence[Document], resolutions: dict, retrieval: Retrieval, evidence: dict, rubric: Rubric,
                progress: Progress = _quiet) -> tuple[list[LinkRow], list[Grade]]:
    rows: list[LinkRow] = []
    grades: list[Grade] = []
    total = sum(len(d.claims) for d in docs)
    for doc in docs:
        doc_rows, by_claim = pipeline.link_documents([doc], resolutions, retrieval, evidence)
        rows.extend(doc_rows)
        grades.extend(pipeline.grade_documents([doc], by_claim, rubric))
        progress("grade", len(grades), total)
    return rows, grades


@dataclass
class Stages:
    """The stages a pass calls; the Prefect flow passes task-wrapped ones (same signatures)."""

    read: Callable = read_stage
    extract: Callable = extract_stage
    resolve: Callable = resolve_stage
    check_revisions: Callable = check_revisions_stage
    fetch: Callable = fetch_stage
    read_records: Callable = read_records_stage
    grade: Callable = grade_stage


class Counted:
    """A PubmedSource that says how many of a fetch's PMIDs are answered, as its source tells
    (grading.pubmed.source.FETCH_PROGRESS: Entrez after each batch), else when it returns;
    `arrived` gets each batch's records."""

    def __init__(self, source: PubmedSource, progress: Progress,
                 arrived: Callable[[Sequence], None] | None = None):
        self.source, self.progress, self.arrived = source, progress, arrived

    @property
    def name(self) -> str:
        return self.source.name

    def fetch(self, pmids: Sequence[int]) -> FetchResult:
        total = len(set(pmids))
        done = 0
        self.progress("fetch", 0, total)

        def heard(records: Sequence, answered: int) -> None:
            nonlocal done
            done = min(total, done + answered)
            if self.arrived is not None and records:
                self.arrived(records)
            self.progress("fetch", done, total)

        token = FETCH_PROGRESS.set(heard)
        try:
            result = self.source.fetch(pmids)
        finally:
            FETCH_PROGRESS.reset(token)
        if done < total:
            self.progress("fetch", total, total)
        return result

    def search(self, term: str, retmax: int = 20):
        return self.source.search(term, retmax)

    def match_citations(self, queries):
        return self.source.match_citations(queries)


# --- the pass


@dataclass
class RunSummary:
    """What `grading run` prints and the flow returns (as_dict)."""

    run_id: str | None
    mode: str = "online"
    sources: int = 0
    claims: int = 0
    certainty: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warehouse: str = ""
    reports: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, wall clock
    requests_by_endpoint: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def default_sources(settings: Settings) -> list[ListedSource]:
    """The sources list when there is one, else the bundled corpus."""
    if settings.sources_list.exists():
        return read_sources_list(settings.sources_list)
    return [ListedSource(str(settings.sources_dir))]


def make_pubmed_source(settings: Settings, entrez: Callable[..., PubmedSource] | None = None
                       ) -> tuple[PubmedSource, str]:
    """The snapshot offline; else Entrez (or `entrez(...)`) with the snapshot behind it (mode "online")."""
    entrez = entrez or EntrezSource
    snapshot = lambda: SnapshotSource(settings.snapshot_path)
    if settings.offline:
        return snapshot(), "offline"
    live = entrez(base_url=settings.eutils_url, email=settings.email, api_key=settings.api_key,
                  tool=settings.tool, timeout=settings.http_timeout, breaker_after=settings.eutils_breaker)
    return FallbackSource(live, snapshot), "online"


@dataclass
class Held:
    """What the warehouse holds for this run's PMIDs, read in one short read-only open."""

    rows: list[dict] = field(default_factory=list)
    stored: dict = field(default_factory=dict)
    absent: set[int] = field(default_factory=set)
    pubmed: PubmedSource | None = None  # the source with the mirror's answers in front, if any


@contextmanager
def reading(settings: Settings) -> Iterator[object | None]:
    """A short read-only open of the warehouse; None when there is no warehouse yet (the load
    creates it). A file that is not a warehouse fails here, before any work."""
    check_file(settings.warehouse)
    if not Path(settings.warehouse).exists():
        yield None
        return
    upgrade(settings.warehouse, settings.lock_wait)  # a schema-2 file: columns added, nothing lost
    with open_warehouse(settings.warehouse, read_only=True, wait=settings.lock_wait) as con:
        yield con


def read_known(settings: Settings, now: datetime) -> dict[tuple[str, str], Resolution]:
    """Searches answered cleanly within the record age are reused: no E-utilities request."""
    with reading(settings) as con:
        if con is None:
            return {}
        return pipeline.known_resolutions(recent_resolutions(con, now - settings.record_max_age))


def read_held(settings: Settings, pmids: list[int], pubmed: PubmedSource, now: datetime) -> Held:
    with reading(settings) as con:
        if con is None or not pmids:
            return Held(pubmed=pubmed)
        rows = stored_records(con, pmids).to_dict("records")
        stored = pipeline.reuse_stored(rows, settings.record_max_age, now, settings.offline)
        absent = recent_absences(con, pmids, now - settings.record_max_age)
        # The local baseline mirror (grading ingest-baseline), when there is one, answers first.
        return Held(rows, stored, absent, held_mirror(con, pmids, pubmed))


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


def grade_corpus(settings: Settings, specs: Sequence[str] | None = None, *, pubmed: PubmedSource | None = None,
                 stages: Stages | None = None, progress: Progress | None = None,
                 logger: logging.Logger | logging.LoggerAdapter | None = None) -> RunSummary:
    """Grade every claim in `specs` (default: the sources list, else the bundled corpus) into the
    warehouse and the reports. `pubmed`: where records come from (default: Entrez with the
    snapshot behind it, or the snapshot offline). `progress(stage, done, total)` is called as
    documents are extracted, PMIDs fetched and claims graded."""
    load_vocabularies()  # a broken vocabulary file is one line now, before any work
    stages = stages or Stages()
    tick = progress or _quiet
    logger = logger or log
    timer = Timer()
    rubric = load_rubric(settings.rubric_path)
    listed = [] if specs else default_sources(settings)
    specs = list(specs or [entry.spec for entry in listed])
    info = tables.RunInfo(run_id=new_run_id(), started_at=now_utc(), mode="online",
                          eutils_url=None if settings.offline else settings.redact(settings.eutils_url),
                          rubric_version=rubric.version)
    with timer("read"):
        known = read_known(settings, now_utc())  # also refuses a file that is not a warehouse, at once
        sources, failures = stages.read(specs, settings)
        tick("read", len(sources), len(sources) + len(failures))
    for f in failures:
        logger.error(f.message)
    if not sources:
        return RunSummary(None, failures=[f.message for f in failures], warehouse=str(settings.warehouse))
    with timer("extract"):
        docs = stages.extract(sources, tick)
    for i, doc in enumerate(docs):  # bounded work per document (grading.documents.caps)
        docs[i], cut = cap_document(doc, settings.max_claims, settings.max_citations)
        if cut:
            info.issues.append(("caps", doc.source.source, cut))
    for doc in docs:  # ids that cannot be PubMed's are warned about, never dropped in silence
        info.issues.extend(("resolve", subject, message)
                           for subject, message in id_warnings(doc.source.source, doc.source.text, doc.mentions))
    if pubmed is None:
        pubmed, info.mode = make_pubmed_source(settings)
    else:
        info.mode = "offline" if settings.offline else "online"
    with timer("resolve"):
        tick("resolve", 0, sum(len(d.mentions) for d in docs))
        resolutions, queries = stages.resolve(docs, pubmed, known)
        tick("resolve", len(resolutions), len(resolutions))
        pmids = pmids_to_fetch(list(resolutions.values()))
    with timer("fetch"):
        now = now_utc()
        held = read_held(settings, pmids, pubmed, now)
        due = {} if settings.offline else refresh.due_for_check(held.stored, held.rows, now,
                                                                 settings.revision_check_age)
        revision = stages.check_revisions(due, pubmed) if due else refresh.RevisionCheck()
        info.issues.extend(("refresh", subject, message) for subject, message in refresh.refresh_issues(revision))
        retrieval = stages.fetch(pmids, held.pubmed, held.stored, held.absent, revision.revised, tick)
    if isinstance(pubmed, FallbackSource) and pubmed.fell_back:
        info.mode = "offline-fallback"
        info.note = "NCBI E-utilities unreachable; records came from the bundled snapshot"
        info.issues.append(("fetch", settings.redact(settings.eutils_url), settings.redact(pubmed.fell_back)))
        logger.warning("E-utilities unreachable (%s); using the bundled snapshot", settings.redact(pubmed.fell_back))
    for res in resolutions.values():
        if res.status == "not_found" and res.method == "direct":  # an id that cannot be a PMID
            info.issues.append(("resolve", res.value, res.detail or "invalid id"))
    with timer("read records"):
        evidence = stages.read_records(retrieval)
    with timer("grade"):
        rows, grades = stages.grade(docs, resolutions, retrieval, evidence, rubric, tick)
    with timer("frames"):
        frames = run_frames(settings, info, docs, failures, rows, grades, retrieval, evidence, listed, pubmed,
                            queries)
    pause = pauser(settings.pause_at)  # GRADING_PAUSE_AT, for crash tests; does nothing by default
    with open_warehouse(settings.warehouse, wait=max(settings.lock_wait, LOAD_WAIT)) as con:  # the one writer
        with timer("load"):
            tick("load", 0, 1)
            load_run(con, frames, pause=pause)
            tick("load", 1, 1)
        with timer("reports"):
            written = write_reports(con, settings.reports, pause=pause)
    return summarize(settings, info, docs, grades, frames, failures, retrieval, written, timer.seconds, pubmed)


def run_frames(settings: Settings, info: tables.RunInfo, docs: list[Document], failures: list[SourceFailure],
               rows: list[LinkRow], grades: list[Grade], retrieval: Retrieval, evidence: dict,
               listed: list[ListedSource], pubmed: PubmedSource, queries: list) -> dict:
    """The run's rows for every table, validated (failures quarantined) and redacted."""
    now = now_utc()
    frames = {**tables.source_frames(docs, info.run_id), "citation_links": tables.link_frame(rows, info.run_id),
              "resolution_queries": tables.query_frame(queries, info.run_id),
              **tables.record_frames(retrieval, evidence, info.run_id, now),
              **tables.grade_frames(grades, info.run_id)}
    frames = tables.validate_frames(frames, info.run_id)
    tags = {d.source.source: tags_for(d.source.source, listed) for d in docs}
    frames = tables.run_frames(info, docs, failures, frames, request_counts(pubmed), now_utc(), tags)
    if settings.api_key:  # causes quote error pages, which may echo the key
        frames = tables.redact_frames(frames, settings.redact)
    return frames


def summarize(settings: Settings, info: tables.RunInfo, docs: list[Document], grades: list[Grade], frames: dict,
              failures: list[SourceFailure], retrieval: Retrieval, written: list[Path],
              seconds: dict[str, float], pubmed: PubmedSource) -> RunSummary:
    requests = request_counts(pubmed)  # every E-utilities request of the run, by endpoint
    counts: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for g in grades:
        counts[g.certainty] = counts.get(g.certainty, 0) + 1
        statuses[g.status] = statuses.get(g.status, 0) + 1
    return RunSummary(info.run_id, info.mode, len(docs), len(grades), counts, statuses, len(frames["quarantine"]),
                      [f.message for f in failures],
                      [f"{subject}: {message}" for stage, subject, message in info.issues
                       if stage in ("resolve", "caps")],
                      str(settings.warehouse), [str(p) for p in written], sum(requests.values()), seconds,
                      requests)
