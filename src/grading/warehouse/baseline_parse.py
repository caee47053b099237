"""Parsing NLM's baseline and update files for the mirror (grading.warehouse.baseline): any process.

A file (or one shard of it) -> the rows of the record tables, validated (a failing record to
quarantine whole, with its raw XML), written as parquet parts in a folder of its own. Nothing
here touches the warehouse, so it runs in a process pool or on Dask workers."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from grading.models import PubmedRecord
from grading.pubmed.parser import (
    WHOLE,
    DeletedCitations,
    ParseStats,
    Shard,
    iter_placed_records,
)
from grading.warehouse import catalog
from grading.warehouse.database import RECORD_CHILD_TABLES, sql_string
from grading.warehouse.record_rows import (
    child_frames,
    drop_failed_records,
    unread_record_frame,
    xml_sha,
)
from grading.warehouse.validate import validate_table

CHUNK_RECORDS = 2_500  # records validated and written per parquet part: bounds a worker's memory (~400 MB)

# Parts are read once, soon: snappy costs half of zstd's CPU.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION snappy"

_LIST_SEPARATOR = "\x1f"

# What the writer needs beyond mirror_records' columns: which copy is last (`seq`, the record's
# place in the file), what it compares with a run's record, and whether the copy was quarantined.
MIRROR_EXTRAS = ["seq", "version", "date_revised", "quarantined"]

QUARANTINE_COLUMNS = catalog.column_names("quarantine")


@dataclass(frozen=True)
class IngestBatch:
    """One file (or one shard of it) parsed and validated, as parquet parts waiting for
    `load_batches`.

    `parts`: table -> parquet files: "records" (pubmed_records' columns and `seq`, the record's
    place in the file), the child tables (their columns and `seq`), "mirror" (mirror_records'
    columns and MIRROR_EXTRAS: each PMID's last copy in the shard) and "quarantine".
    `folders`: where the parts are; removed once loaded."""

    path: str
    file_name: str
    file_sha: str
    folders: tuple[str, ...]
    parts: dict[str, tuple[str, ...]]
    n_records: int  # records parsed, books included
    n_deleted: int  # PMIDs listed in DeleteCitation blocks
    n_quarantined: int  # records left out because a row of theirs failed validation
    parse_seconds: float  # summed over shards: the parsing work, not the wall time
    shard: Shard = WHOLE

    def remove(self) -> None:
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)


def merge_shards(batches: Sequence[IngestBatch]) -> IngestBatch:
    """The batches of every shard of one file as one batch of the whole file."""
    first = batches[0]
    if sorted(b.shard.index for b in batches) != list(range(first.shard.count)):
        raise ValueError(f"{first.file_name}: shards missing or repeated")
    parts: dict[str, tuple[str, ...]] = {}
    for batch in batches:
        for table, paths in batch.parts.items():
            parts[table] = parts.get(table, ()) + paths
    return IngestBatch(first.path, first.file_name, first.file_sha, tuple(f for b in batches for f in b.folders), parts,
                       sum(b.n_records for b in batches), sum(b.n_deleted for b in batches),
                       sum(b.n_quarantined for b in batches), sum(b.parse_seconds for b in batches))


@dataclass(frozen=True)
class ParseJob:
    """One shard of one file for a parsing worker."""

    path: str
    file_sha: str
    shard: Shard = WHOLE


def plan_parse_jobs(files: dict[str, Path], shards: int) -> list[ParseJob]:
    """Each file cut into `shards`, files in name order: NLM's names sort in publication order,
    so a later file's changes load after the earlier file's."""
    ordered = sorted(files.items(), key=lambda item: (item[1].name, str(item[1])))
    return [ParseJob(str(path), sha, Shard(i, shards)) for sha, path in ordered for i in range(shards)]


def parse_job(job: ParseJob, work_dir: str, ingest_id: str, now: datetime) -> IngestBatch:
    return parse_baseline_file(job.path, work_dir, ingest_id, now, job.file_sha, shard=job.shard)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (as stored: a gzip file's compressed bytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def parse_baseline_file(path: str | os.PathLike[str], work_dir: str | os.PathLike[str], ingest_id: str,
                        now: datetime, file_sha: str | None = None,
                        chunk_records: int = CHUNK_RECORDS, shard: Shard = WHOLE) -> IngestBatch:
    """Parse, validate and write one baseline or update file (or one shard of it) as parquet
    parts under `work_dir`.

    Raises PubmedXmlError when the file is not usable PubMed XML (then nothing of it is kept),
    OSError when it cannot be read, UnshardableXml when a shard of it was asked for and the file
    must be parsed whole. Memory is bounded by `chunk_records`, not by the file.
    """
    started = time.perf_counter()
    path = Path(path)
    file_sha = file_sha or file_sha256(path)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.{shard.index}-", dir=work_dir))
    writer = _PartWriter(folder)
    final: dict[int, tuple] = {}  # pmid -> the shard's last word: (seq, xml_sha|None, version, date_revised)
    failed_seqs: set[int] = set()
    stats = ParseStats()
    chunk: list[tuple[int, PubmedRecord]] = []
    collecting = gc.isenabled()
    gc.disable()  # a chunk holds millions of young objects and no cycles: collections only cost time
    try:
        for seq, item in iter_placed_records(path, stats, shard):
            if isinstance(item, DeletedCitations):
                final.update((pmid, (seq, None, None, None)) for pmid in item.pmids)
                continue
            chunk.append((seq, item))
            if len(chunk) >= chunk_records:
                _write_chunk(writer, chunk, final, failed_seqs, ingest_id, now)
                chunk = []
        _write_chunk(writer, chunk, final, failed_seqs, ingest_id, now)
        # Quarantined last copies stay in (flagged): another shard's earlier copy must not win.
        mirror = pd.DataFrame(
            [(pmid, path.name, file_sha, sha, sha is None, s, version, revised, s in failed_seqs)
             for pmid, (s, sha, version, revised) in sorted(final.items())],
            columns=["pmid", "file_name", "file_sha", "xml_sha", "deleted", *MIRROR_EXTRAS])
        mirror["version"] = mirror["version"].astype("Int64")
        _, bad = validate_table("mirror_records", mirror.drop(columns=MIRROR_EXTRAS), ingest_id, "pmid")
        if bad:  # cannot happen from parsed records; refuse the file rather than load a wrong mirror
            raise ValueError(f"{path.name}: mirror rows fail their schema: {bad[0]['failure']}")
        writer.write("mirror", mirror)
    except BaseException:
        writer.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if collecting:
            gc.enable()
    writer.close()
    return IngestBatch(path=str(path), file_name=path.name, file_sha=file_sha, folders=(str(folder),),
                       parts={t: tuple(p) for t, p in writer.parts.items()}, n_records=stats.records,
                       n_deleted=stats.deleted, n_quarantined=len(failed_seqs),
                       parse_seconds=time.perf_counter() - started, shard=shard)


def _write_chunk(writer: _PartWriter, chunk: list[tuple[int, PubmedRecord]], final: dict[int, tuple],
                 failed_seqs: set[int], ingest_id: str, now: datetime) -> None:
    """Validate one chunk's rows and write the good ones; a PMID repeated within the chunk
    keeps its last occurrence (as across chunks, by `seq`)."""
    if not chunk:
        return
    last = {record.pmid: (seq, record) for seq, record in chunk}
    seqs = [seq for seq, _ in last.values()]
    records = [record for _, record in last.values()]
    shas = [xml_sha(r.raw_xml) for r in records]
    rows = {"pubmed_records": unread_record_frame(records, shas, "baseline", now), **child_frames(records)}
    frames, quarantine = {}, []
    for table, df in rows.items():
        frames[table], bad = validate_table(table, df, ingest_id, "pmid") if len(df) else (df, [])
        quarantine.extend(bad)
    failed = drop_failed_records(frames, quarantine, rows)
    seq_of = {record.pmid: seq for seq, record in zip(seqs, records)}
    failed_seqs.update(seq_of[pmid] for pmid in failed)
    for seq, sha, record in zip(seqs, shas, records):
        final[record.pmid] = (seq, sha, record.version, record.date_revised)
    records_frame = frames["pubmed_records"]
    records_frame["seq"] = records_frame["pmid"].map(seq_of)
    writer.write("records", records_frame)
    for table in RECORD_CHILD_TABLES:
        df = frames[table]
        if len(df):
            writer.write(table, df.assign(seq=df["pmid"].map(seq_of)))
    if quarantine:
        writer.write("quarantine", pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS))

# Columns of the parts that are not the table's own, typed even when a part is empty
# (version and date_revised as pubmed_records has them).
_PART_EXTRA_TYPES = {"seq": "BIGINT", "quarantined": "BOOLEAN"}


class _PartWriter:
    """Writes DataFrames as parquet parts, typed as the warehouse's columns (an all-NULL column
    in one part must not get a type of its own).

    List columns travel as text joined by U+001F (which XML cannot hold) and are split again in
    SQL: DuckDB reads a Python list item by item, at a cost that exceeded the parse itself."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.parts: dict[str, list[str]] = {}
        self.con = duckdb.connect()
        # One thread: a worker process is one core's worth of parsing; more would compete with it.
        self.con.execute("SET enable_progress_bar = false; SET threads = 1")

    def write(self, name: str, df: pd.DataFrame) -> None:
        table = "pubmed_records" if name == "records" else "mirror_records" if name == "mirror" else name
        records = _column_types()["pubmed_records"]
        types = {**_PART_EXTRA_TYPES, "version": records["version"], "date_revised": records["date_revised"],
                 **_column_types()[table]}
        columns, casts = {}, []
        for column in df.columns:
            kind = types.get(column)
            if kind is not None and kind.endswith("[]"):
                columns[column] = [None if items is None else _LIST_SEPARATOR.join(items) for items in df[column]]
                split = f"string_split(\"{column}\", chr(31))::{kind}"
                casts.append(f"CASE WHEN \"{column}\" = '' THEN []::{kind} ELSE {split} END AS \"{column}\"")
            else:
                columns[column] = df[column]
                casts.append(f'CAST("{column}" AS {kind}) AS "{column}"' if kind else f'"{column}"')
        path = self.folder / f"{name}-{len(self.parts.get(name, ())):04d}.parquet"
        self.con.register("_part", pd.DataFrame(columns))
        try:
            self.con.execute(f"COPY (SELECT {', '.join(casts)} FROM _part) TO {sql_string(path)} ({PARQUET_OPTIONS})")
        finally:
            self.con.unregister("_part")
        self.parts.setdefault(name, []).append(str(path))

    def close(self) -> None:
        self.con.close()


def _column_types() -> dict[str, dict[str, str]]:
    """table -> column -> DuckDB type, from the warehouse's catalogue."""
    return catalog.column_types()
