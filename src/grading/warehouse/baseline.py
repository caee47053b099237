"""A local mirror of PubMed from NLM's baseline and update files (`grading ingest-baseline`).

Two halves, so that parsing runs anywhere and only loading needs the warehouse:

- `parse_baseline_file(path, work_dir, ingest_id, shard=...)`: parse one file (plain or gzip),
  or one shard of it, build the rows of the record tables, validate them (a failing record goes
  to quarantine whole, with its raw XML) and write them as parquet parts in a folder of its
  own. It never touches the warehouse, so it runs in any process: a process pool here, Dask
  workers elsewhere. With N workers each file is cut into N shards (`grading.pubmed.parser.Shard`),
  so that two workers share even a single file and the last file does not leave a core idle.
- `load_batches(con, batches)`: the single writer (DuckDB allows one): each file, its shards
  merged, in one transaction, so a file is in the mirror entirely or not at all.

The mirror's rules (`mirror_records` keeps, per PMID, the file that last spoke about it):
- NLM's file names sort in publication order (pubmed26n0001 ... pubmed26n1334 are the
  baseline, pubmed26n1335 ... the daily updates; pubmed27n0001 starts the next baseline), so a
  PMID's row comes from the latest-named file that holds it, whatever order files are loaded in;
  within one file its last occurrence counts, and a `DeleteCitation` after it deletes it.
- Deleted PMIDs leave `pubmed_records` and the child tables; the fetch stage answers them as
  not found (grading.pubmed.mirror).
- A record a grading run fetched from Entrez is replaced only by a version at least as recent
  (DateRevised, then Version).
- A file is known by the SHA-256 of its bytes: loading it again changes nothing.
- The mirror's records live in `pubmed_records` (raw XML included), not in
  `pubmed_record_versions`: that history holds what grading runs used (a run that takes a
  record from the mirror adds its version there), and writing every baseline record's raw XML
  twice would double the load's cost. The files themselves are the mirror's history.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Self

import duckdb
import pandas as pd

from grading.errors import describe  # one-line messages, as the CLI prints them
from grading.pubmed.parser import (
    UnshardableXml,
)
from grading.warehouse.baseline_parse import (
    QUARANTINE_COLUMNS,
    IngestBatch,
    ParseJob,
    _column_types,
    file_sha256,
    merge_shards,
    parse_job,
    plan_parse_jobs,
)
from grading.warehouse.database import RECORD_CHILD_TABLES, open_warehouse, register_frame, sql_string
from grading.warehouse.record_rows import (
    RECORD_COLUMNS,
)
from grading.warehouse.validate import prepare_schemas, validate_table

# A file's rows are appended to the table's last row group, which DuckDB then compresses again
# whole: with its default of 122,880 rows that re-compresses up to four files' raw XML per load
# (measured: a second file's commit 1.7 s, 0.9 s alone). Smaller groups bound that, and let a
# load spread over threads: the 2,500-record parts fill groups of their own (a 20,000-record
# file's load: 1.35 s on one thread, 0.78 s on two; with 16,384-row groups two threads gained
# nothing).
MIRROR_ROW_GROUP = 4_096












@dataclass(frozen=True)
class FileLoad:
    """What loading one file did."""

    file_name: str
    file_sha: str
    status: str  # loaded | already ingested
    n_records: int = 0
    n_deleted: int = 0
    n_quarantined: int = 0
    n_applied: int = 0  # PMIDs whose mirror row this file set (records and deletions)
    parse_seconds: float = 0.0


@dataclass
class IngestReport:
    """All files of one `ingest_baseline` call: loaded or skipped, and the ones that failed."""

    ingest_id: str
    loads: list[FileLoad] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line each: "file: why"
    seconds: float = 0.0


# Parsing (any process) is grading.warehouse.baseline_parse's.














# --- loading: the one writer -------------------------------------------------------------------


def already_ingested(con: duckdb.DuckDBPyConnection, shas: Iterable[str]) -> set[str]:
    shas = list(shas)
    if not shas:
        return set()
    rows = con.execute("SELECT file_sha FROM ingested_files WHERE file_sha IN (SELECT unnest(?))", [shas]).fetchall()
    return {r[0] for r in rows}


def load_batches(con: duckdb.DuckDBPyConnection, batches: Iterable[IngestBatch], ingest_id: str,
                 now: datetime) -> Iterator[FileLoad]:
    """Load each batch in its own transaction (all of a file or none of it) and remove its
    parts; a file already ingested (same SHA-256) is skipped. Yields what each load did."""
    for batch in batches:
        try:
            yield load_batch(con, batch, ingest_id, now)
        finally:
            batch.remove()


def load_batch(con: duckdb.DuckDBPyConnection, batch: IngestBatch, ingest_id: str, now: datetime) -> FileLoad:
    """One file into the mirror, in one transaction (see the module docstring for the rules).

    What the file changes is worked out first, in temporary tables (this process is the only
    writer), so that the transaction itself only appends when nothing is replaced: DuckDB then
    writes the file's rows once, compressed, at commit, instead of logging ~300 MB of raw XML
    to its WAL and compressing it again at the next checkpoint (twice the load's time)."""
    if already_ingested(con, [batch.file_sha]):
        return FileLoad(batch.file_name, batch.file_sha, "already ingested")
    parts = {name: f"read_parquet([{', '.join(sql_string(p) for p in paths)}])"
             for name, paths in batch.parts.items() if paths}
    try:
        # Each PMID's last copy in the file, over all shards; gone if that copy was quarantined.
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _file AS SELECT * EXCLUDE (quarantined) FROM (
                            SELECT * FROM {parts['mirror']}
                            QUALIFY row_number() OVER (PARTITION BY pmid ORDER BY seq DESC) = 1)
                        WHERE NOT quarantined""")
        # The rows this file sets: no later-named file has spoken about the PMID yet.
        con.execute("""CREATE OR REPLACE TEMP TABLE _take AS SELECT f.*, m.pmid IS NOT NULL AS known FROM _file f
                       LEFT JOIN mirror_records m USING (pmid)
                       WHERE m.pmid IS NULL OR m.file_name <= f.file_name""")
        # Of those, the records that replace pubmed_records rows: not a newer version a run fetched.
        con.execute("""CREATE OR REPLACE TEMP TABLE _apply AS SELECT t.pmid, t.seq FROM _take t
                       LEFT JOIN pubmed_records p USING (pmid)
                       WHERE NOT t.deleted AND (p.pmid IS NULL OR p.origin IN ('baseline', 'snapshot')
                             OR coalesce(t.date_revised, '') > coalesce(p.date_revised, '')
                             OR (coalesce(t.date_revised, '') = coalesce(p.date_revised, '')
                                 AND t.version >= p.version))""")
        # Rows that go: older versions of what this file applies, and what it deletes.
        con.execute("""CREATE OR REPLACE TEMP TABLE _gone AS SELECT pmid FROM pubmed_records
                       WHERE pmid IN (SELECT pmid FROM _apply UNION ALL SELECT pmid FROM _take WHERE deleted)""")
        replacing = con.execute("SELECT EXISTS (SELECT 1 FROM _gone)").fetchone()[0]
        remapping = con.execute("SELECT EXISTS (SELECT 1 FROM _take WHERE known)").fetchone()[0]
        con.execute("BEGIN TRANSACTION")
        try:
            _apply_file(con, parts, replacing, remapping)
            applied = con.execute("SELECT count(*) FROM _take").fetchone()[0]
            load = FileLoad(batch.file_name, batch.file_sha, "loaded", batch.n_records, batch.n_deleted,
                            batch.n_quarantined, int(applied), round(batch.parse_seconds, 3))
            _insert_ingested_file(con, load, ingest_id, now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("DROP TABLE IF EXISTS _file; DROP TABLE IF EXISTS _take; DROP TABLE IF EXISTS _apply; "
                    "DROP TABLE IF EXISTS _gone")
    return load


def _apply_file(con: duckdb.DuckDBPyConnection, parts: dict[str, str], replacing: bool, remapping: bool) -> None:
    """The writes of one file's load (inside its transaction); deletes only when there is
    something to delete, so that a file of new PMIDs is a pure append."""
    for table in ("pubmed_records", *RECORD_CHILD_TABLES):
        if replacing:
            con.execute(f"DELETE FROM {table} WHERE pmid IN (SELECT pmid FROM _gone)")
        part = parts.get("records" if table == "pubmed_records" else table)
        if part:
            columns = RECORD_COLUMNS if table == "pubmed_records" else list(_column_types()[table])
            con.execute(f"""INSERT INTO {table} ({', '.join(columns)})
                SELECT {', '.join('c.' + c for c in columns)} FROM {part} c
                JOIN _apply a ON a.pmid = c.pmid AND a.seq = c.seq""")
    if remapping:
        con.execute("DELETE FROM mirror_records WHERE pmid IN (SELECT pmid FROM _take WHERE known)")
    con.execute("""INSERT INTO mirror_records (pmid, file_name, file_sha, xml_sha, deleted)
                   SELECT pmid, file_name, file_sha, xml_sha, deleted FROM _take""")
    if "quarantine" in parts:
        con.execute(f"INSERT INTO quarantine ({', '.join(QUARANTINE_COLUMNS)}) "
                    f"SELECT {', '.join(QUARANTINE_COLUMNS)} FROM {parts['quarantine']}")


def _insert_ingested_file(con: duckdb.DuckDBPyConnection, load: FileLoad, ingest_id: str, now: datetime) -> None:
    row = pd.DataFrame([{
        "file_sha": load.file_sha, "file_name": load.file_name, "ingest_id": ingest_id, "ingested_at": now,
        "n_records": load.n_records, "n_deleted": load.n_deleted, "n_quarantined": load.n_quarantined,
        "n_applied": load.n_applied, "parse_seconds": load.parse_seconds}])
    good, bad = validate_table("ingested_files", row, ingest_id)
    if bad:
        raise ValueError(f"{load.file_name}: its ingested_files row fails its schema: {bad[0]['failure']}")
    register_frame(con, "_ingested", good)
    try:
        columns = ", ".join(good.columns)
        con.execute(f"INSERT INTO ingested_files ({columns}) SELECT {columns} FROM _ingested")
    finally:
        con.unregister("_ingested")


# --- the whole job -----------------------------------------------------------------------------


Outcome = IngestBatch | BaseException
# How shards get parsed: (jobs, work_dir, ingest_id, now) -> (job, its batch or why it failed),
# as they finish. A process pool here (`ProcessParser`); Prefect tasks on Dask in flows/ingest.py.
ParseRunner = Callable[[list[ParseJob], str, str, datetime], Iterable[tuple[ParseJob, Outcome]]]


def ingest_baseline(warehouse: Path, files: Sequence[str | os.PathLike[str]], *, workers: int = 1,
                    ingest_id: str, now: datetime, wait_seconds: float = 0.0,
                    on_load: Callable[[FileLoad], None] | None = None,
                    shards: int | None = None, parse_with: ParseRunner | None = None,
                    cores: int | None = None, parsers_here: int | None = None) -> IngestReport:
    """Load baseline/update files into the warehouse's mirror: each file cut into `shards`
    (default: `workers`), parsed by `workers` processes (or by `parse_with`), and loaded by this
    process as soon as all of a file's shards are in, files in name order. A load runs on this
    machine's `cores` (default: `workers`) that parsing leaves free, at least one: up to
    `parsers_here` shards (default: `workers`) are parsed on this machine at once.

    A file that cannot be read or parsed is reported in `failures` (one line each) and leaves
    the warehouse as it was; the others load. `on_load` hears of each file as it is done.
    Memory is bounded per worker (CHUNK_RECORDS); parsed parts wait on disk beside the
    warehouse until loaded, then go.
    """

    started = time.perf_counter()
    report = IngestReport(ingest_id)
    warehouse = Path(warehouse)
    todo: dict[str, Path] = {}  # sha -> file, each content once
    for name in files:
        path = Path(name)
        try:
            if path.is_dir():
                raise IsADirectoryError(f"{path}: is a folder, not a baseline file")
            todo.setdefault(file_sha256(path), path)
        except OSError as exc:
            report.failures.append(_file_error(path, exc, describe))
    with ExitStack() as stack:
        if parse_with is None:
            parse_with = stack.enter_context(ProcessParser(workers))
        con = stack.enter_context(open_warehouse(warehouse, wait=wait_seconds, row_group_size=MIRROR_ROW_GROUP))
        # A low checkpoint threshold makes each file's commit write its rows to the database
        # once, compressed, rather than ~300 MB of raw XML to the WAL first and compress it at the
        # next checkpoint (measured: a second file's load 1.2 s + a 1.2 s checkpoint at close,
        # against 1.9 s). Each thread writes its row groups as soon as they are full (buffer of
        # one), so that compressing them is spread over the threads, not left to the commit. No
        # vacuum at those checkpoints: it merged the part-filled last row group each thread
        # leaves, compressing the file's raw XML again (0.6-0.8 s a file); the groups stay as
        # loaded. Threads: per load (LoadThreads).
        con.execute("SET enable_progress_bar = false; SET preserve_insertion_order = false; "
                    "SET checkpoint_threshold = '1MB'; SET write_buffer_row_group_count = 1; "
                    "SET max_vacuum_tasks = 0")
        for sha in already_ingested(con, todo):
            path = todo.pop(sha)
            load = FileLoad(path.name, sha, "already ingested")
            report.loads.append(load)
            if on_load:
                on_load(load)
        work_dir = tempfile.mkdtemp(prefix=".ingest-", dir=warehouse.parent)
        try:
            jobs = plan_parse_jobs(todo, shards or workers)
            threads = LoadThreads(cores or workers, workers if parsers_here is None else parsers_here)
            _load_as_parsed(con, jobs, parse_with, work_dir, report, now, on_load, describe, threads)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _load_as_parsed(con: duckdb.DuckDBPyConnection, jobs: list[ParseJob], parse_with: ParseRunner, work_dir: str,
                    report: IngestReport, now: datetime, on_load: Callable[[FileLoad], None] | None,
                    describe: Callable[[BaseException], str], threads: LoadThreads) -> None:
    """Load each file once all its shards are parsed, on the cores the shards still being
    parsed leave free (the last file's load, with nothing left to parse, on all of them). A file
    that cannot be shared out between shards is parsed again whole; one that fails anywhere is
    reported and loads nothing."""
    while jobs:
        again: list[ParseJob] = []
        waiting: dict[str, list[IngestBatch]] = {}
        dropped: set[str] = set()  # files that failed (or go again whole) in this round
        for settled, (job, outcome) in enumerate(parse_with(jobs, work_dir, report.ingest_id, now), 1):
            if isinstance(outcome, BaseException) and job.file_sha not in dropped:
                dropped.add(job.file_sha)
                if isinstance(outcome, UnshardableXml):
                    again.append(ParseJob(job.path, job.file_sha))
                else:
                    report.failures.append(_file_error(Path(job.path), outcome, describe))
            if job.file_sha in dropped:  # its other shards' parts are of no use now
                if isinstance(outcome, IngestBatch):
                    outcome.remove()
                for batch in waiting.pop(job.file_sha, []):
                    batch.remove()
                continue
            shards = waiting.setdefault(job.file_sha, [])
            shards.append(outcome)
            if len(shards) < job.shard.count:
                continue
            batch = merge_shards(waiting.pop(job.file_sha))
            try:
                con.execute(f"SET threads = {threads.free(len(jobs) - settled)}")
                load = load_batch(con, batch, report.ingest_id, now)
            except Exception as exc:  # noqa: BLE001 - a load that fails rolls back: that file only
                report.failures.append(_file_error(Path(job.path), exc, describe))
                continue
            finally:
                batch.remove()
            report.loads.append(load)
            if on_load:
                on_load(load)
        jobs = again


@dataclass(frozen=True)
class LoadThreads:
    """How many threads a load gets: the machine's `cores` less the shards being parsed on it.
    DuckDB spreads a load's compression over its threads (MIRROR_ROW_GROUP), and a thread more
    than the cores free only slows the parsing that the next load waits for."""

    cores: int
    parsers_here: int

    def free(self, unparsed: int) -> int:
        return max(1, self.cores - min(self.parsers_here, unparsed))


class ProcessParser:
    """Parses shards in this process (one worker) or in a pool of `workers` processes.

    Enter it before the warehouse is opened: the pool's processes are then forked while this
    process holds no DuckDB connection (whose threads a fork would copy mid-step), and start
    with every module already imported (spawning them costs a second of imports each). When
    other Python threads run here (a server in a test session, say), or the platform has no
    fork, they are spawned instead."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        if self.workers > 1:
            # Paid once here and inherited by forked workers: the parts' column types, and
            # pandera's first-use imports (which each worker paid on its first chunk, 0.3-0.8 s).
            _column_types()
            prepare_schemas()
            alone = threading.active_count() == 1
            method = "fork" if alone and "fork" in get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context(method))
            self._pool.submit(int).result()  # the pool forks all its workers on its first task
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def __call__(self, jobs: list[ParseJob], work_dir: str, ingest_id: str, now: datetime
                 ) -> Iterator[tuple[ParseJob, Outcome]]:
        if self._pool is None:
            for job in jobs:
                try:
                    yield job, parse_job(job, work_dir, ingest_id, now)
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                    yield job, exc
            return
        futures = {self._pool.submit(parse_job, job, work_dir, ingest_id, now): job for job in jobs}
        for future in as_completed(futures):
            exc = future.exception()
            yield futures[future], exc if exc is not None else future.result()


def _file_error(path: Path, exc: BaseException, describe: Callable[[BaseException], str]) -> str:
    if gzip_truncated(path):  # the parser's error would name a line inside the last block read
        return f"{path}: truncated: the gzip data ends before its end marker (an interrupted download?); fetch it again"
    message = describe(exc)
    return message if message.startswith((str(path), path.name)) else f"{path}: {message}"


def gzip_truncated(path: Path) -> bool:
    """True when `path` is gzip whose compressed stream stops before its end (checked only after
    a failure: it reads the whole file)."""
    import zlib

    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                return False
            fh.seek(0)
            inflater = zlib.decompressobj(wbits=31)
            while not inflater.eof and (block := fh.read(1 << 20)):
                inflater.decompress(block, 1 << 16)
                while inflater.unconsumed_tail and not inflater.eof:
                    inflater.decompress(inflater.unconsumed_tail, 1 << 16)
            return not inflater.eof
    except (OSError, zlib.error):
        return False
