"""Helpers the test files share: warehouse queries, a local web server, the snapshot's records."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from grading.models import PubmedRecord

SNAPSHOT = Path(__file__).resolve().parents[1] / "src" / "grading" / "data" / "snapshot.xml"


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def query(warehouse: Path, sql: str, *params: object) -> list[tuple]:
    """One query on a read-only open of the warehouse file, closed again."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return rows(con, sql, *params)
    finally:
        con.close()


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str:
    return rows(con, "SELECT run_id FROM latest_run")[0][0]


@contextmanager
def local_web(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A loopback HTTP server answering with `handler`; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@cache
def snapshot_records() -> dict[int, PubmedRecord]:
    """The bundled snapshot's records by PMID, parsed once per session."""
    from grading.pubmed.parser import parse_efetch_reply

    return {r.pmid: r for r in parse_efetch_reply(SNAPSHOT.read_bytes())}


def prefect_logs_since(started: float) -> str:
    """Log lines Prefect's API stored since `started` (its handler sends them in batches)."""
    from datetime import UTC, datetime

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTimestamp
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    since = datetime.fromtimestamp(started, tz=UTC)
    lines: list[str] = []
    with get_client(sync_client=True) as client:
        while batch := client.read_logs(LogFilter(timestamp=LogFilterTimestamp(after_=since)), limit=200,
                                        offset=len(lines)):
            lines.extend(f"{log.name} {log.message}" for log in batch)
    return "\n".join(lines)
