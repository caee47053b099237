"""The grading flow: grading.run's pass with its stages as Prefect tasks, for retries, caching
and the UI. Retries sit on the network tasks alone.

Big values (documents, resolutions, records) go to tasks inside `quote`: Prefect would
otherwise walk every element of them looking for futures (on a page citing 10,000 PMIDs that
walk cost more than the work). The cache keys still see the values themselves.
"""

from __future__ import annotations

import logging
from pathlib import Path

from grading.flows.cache_keys import extract_key, grade_key
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.logging.handlers import APILogHandler
from prefect.logging.loggers import PrefectLogAdapter
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from grading import pipeline, run
from grading.documents.document import Document
from grading.models import Source
from grading.pubmed import refresh
from grading.pubmed.retrieval import Retrieval
from grading.pubmed.source import PubmedSource
from grading.settings import Settings


@task(name="read-sources", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def read_sources_task(specs: list[str], settings: Settings):
    return run.read_stage(specs, settings)


@task(name="extract", cache_key_fn=extract_key, persist_result=True)
def extract_task(source: Source) -> Document:
    """Cached on the source's content hash: an unchanged source is not re-extracted."""
    return pipeline.extract_document(source)


@task(name="resolve", cache_policy=NO_CACHE)
def resolve_task(docs: list[Document], pubmed: PubmedSource, known: dict):
    return run.resolve_stage(docs, pubmed, known)


@task(name="check-revisions", cache_policy=NO_CACHE)
def check_revisions_task(held: dict, pubmed: PubmedSource) -> refresh.RevisionCheck:
    """Which held records PubMed revised or retracted since they were fetched (one esearch per 200)."""
    return run.check_revisions_stage(held, pubmed)


@task(name="fetch", cache_policy=NO_CACHE)
def fetch_task(pmids: list[int], pubmed: PubmedSource, stored: dict, absent: set[int], revised: set[int],
               progress: run.Progress) -> Retrieval:
    return run.fetch_stage(pmids, pubmed, stored, absent, revised, progress)


@task(name="read-records", cache_policy=NO_CACHE)
def read_records_task(retrieval: Retrieval) -> dict:
    return run.read_records_stage(retrieval)


@task(name="link-and-grade", cache_key_fn=grade_key, persist_result=True)
def grade_task(doc, resolutions, retrieval, evidence, rubric):
    """One document's links and grades, cached on its claims, resolutions, record versions and
    rubric. Submitted per document, so a Dask task runner spreads them over workers."""
    rows, by_claim = pipeline.link_documents([doc], resolutions, retrieval, evidence)
    return rows, pipeline.grade_documents([doc], by_claim, rubric)


def extract_tasks(sources: list[Source], progress: run.Progress) -> list[Document]:
    docs = []
    for source in sources:
        docs.append(extract_task(quote(source)))
        progress("extract", len(docs), len(sources))
    return docs


def in_process() -> bool:
    """Whether tasks run in this process (the thread pool): there `quote` spares Prefect the walk;
    Dask ships the parameters to workers, and its path does not unwrap the annotation."""
    context = FlowRunContext.get()
    return context is None or isinstance(context.task_runner, ThreadPoolTaskRunner)


def grade_tasks(docs: list[Document], resolutions: dict, retrieval: Retrieval, evidence: dict, rubric,
                progress: run.Progress):
    wrap = quote if in_process() else (lambda value: value)
    futures = [grade_task.submit(wrap(doc), *map(wrap, pipeline.evidence_for(doc, resolutions, retrieval, evidence)),
                                 rubric) for doc in docs]
    rows, grades = [], []
    total = sum(len(d.claims) for d in docs)
    for future in futures:
        doc_rows, doc_grades = future.result()
        rows.extend(doc_rows)
        grades.extend(doc_grades)
        progress("grade", len(grades), total)
    return rows, grades


# The pass's stages as tasks: the same signatures as grading.run.Stages' defaults.
TASKS = run.Stages(
    read=lambda specs, settings: read_sources_task(specs, settings),
    extract=extract_tasks,
    resolve=lambda docs, pubmed, known: resolve_task(quote(docs), pubmed, quote(known)),
    check_revisions=lambda due, pubmed: check_revisions_task(quote(due), pubmed),
    fetch=lambda pmids, pubmed, stored, absent, revised, progress: fetch_task(
        quote(pmids), pubmed, quote(stored), quote(absent), quote(revised), quote(progress)),
    read_records=lambda retrieval: read_records_task(quote(retrieval)),
    grade=grade_tasks,
)


def ui_logger() -> PrefectLogAdapter:
    """The flow run's logger, to the Prefect API (the UI) only: whoever started the run says each
    failure itself, in one line (`grading run`'s `grading: error:`, the scheduled flow's log), so
    Prefect's console handler would only print it a second time, in its own format."""
    quiet = logging.getLogger("grading.flow_runs")
    if not quiet.handlers:
        quiet.addHandler(APILogHandler())
        quiet.setLevel(logging.INFO)
        quiet.propagate = False
    return PrefectLogAdapter(quiet, extra=dict(get_run_logger().extra))


@flow(name="grade-corpus", log_prints=False)
def grade_corpus(sources: list[str] | None = None, warehouse: str | None = None, reports: str | None = None,
                 offline: bool = False, eutils_url: str | None = None, wait: float | None = None) -> dict:
    """Grade every claim in `sources` (default: the sources list, else the bundled corpus) into
    the warehouse and reports: grading.run.grade_corpus with its stages as tasks."""
    settings = Settings.from_env(warehouse=Path(warehouse) if warehouse else None,
                                 reports=Path(reports) if reports else None, offline=offline or None,
                                 eutils_url=eutils_url, lock_wait=wait)
    summary = run.grade_corpus(settings, sources, stages=TASKS, progress=run.FLOW_PROGRESS.get(), logger=ui_logger())
    return summary.as_dict()
