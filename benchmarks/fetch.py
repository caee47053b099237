"""Benchmark: fetching 10,000 real PMIDs through the loopback E-utilities stand-in at NCBI's limit.

Starts the stand-in CLI (`python -m grading.testing.standin`) over pubmed20n0014.xml.gz
with NCBI's rate limit (3 requests/s per client without a key, 429 over it), then
1. fetches N PMIDs sampled from that file with `EntrezSource` (the production client), and
2. for comparison, fetches a few hundred of them one id per request with a plain Bio.Entrez
   loop (Bio.Entrez's own pacing and retries), extrapolated to N.
Prints requests made, wall time, 429s received, records/absent/unavailable, and the
rate-limit floor ceil(N/200)/3 s. Speed is reported, never asserted.

    .venv/bin/python benchmarks/fetch.py [--ids 10000] [--naive-ids 200] [--fault-rate 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from lxml import etree

from grading.pubmed.entrez import EntrezSource
from grading.pubmed.parser import PubmedXmlError, parse_efetch_reply
from grading.settings import NCBI_EUTILS_URL

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / ".cache" / "testdata" / "pubmed20n0014.xml.gz"
BATCH = 200
RATE = 3.0  # NCBI's limit without an API key
EMAIL = "benchmark@example.org"


def read_pmids(path: Path) -> list[int]:
    """Every record's PMID, in file order (MedlineCitation/PMID, not the cited ones)."""
    pmids = []
    with gzip.open(path, "rb") as fh:
        for _, elem in etree.iterparse(fh, tag="MedlineCitation", load_dtd=False, no_network=True,
                                       resolve_entities=False, huge_tree=True):
            pmids.append(int(elem.findtext("PMID")))
            elem.clear()
    return pmids


def start_standin(path: Path, fault_rate: float, seed: int) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "grading.testing.standin", str(path), "--rate", str(RATE),
               "--fault-rate", str(fault_rate), "--seed", str(seed), "--fault-delay", "3"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    base_url = proc.stdout.readline().strip()  # printed once every record is loaded
    if not base_url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"the stand-in did not start: {proc.stderr.read()[-2000:]}")
    return proc, base_url


def stop_standin(proc: subprocess.Popen) -> dict:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    last = err.strip().splitlines()[-1] if err.strip() else "{}"
    return json.loads(last)


def fetch_batched(base_url: str, pmids: list[int]) -> dict:
    source = EntrezSource(base_url, EMAIL, None, rate=RATE)
    started = time.monotonic()
    result = source.fetch(pmids)
    wall = time.monotonic() - started
    return {"wall": wall, "requests": result.requests, "by_endpoint": dict(source.stats.requests),
            "rate_limited": source.stats.rate_limited, "retries": source.stats.retries,
            "records": len(result.records), "not_found": len(result.not_found),
            "unavailable": len(result.unavailable)}


class _Redirect(urllib.request.OpenerDirector):
    """Sends plain Bio.Entrez's NCBI URLs to the stand-in and counts 429s; no pacing of its own."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url, self.inner = base_url, urllib.request.build_opener()
        self.requests = self.rate_limited = 0

    def open(self, fullurl, data=None, timeout=60.0):  # type: ignore[no-untyped-def, override]
        request = fullurl if isinstance(fullurl, urllib.request.Request) else urllib.request.Request(fullurl)
        request.full_url = request.full_url.replace(NCBI_EUTILS_URL, self.base_url)
        self.requests += 1
        try:
            return self.inner.open(request, data, timeout)
        except urllib.error.HTTPError as exc:
            self.rate_limited += exc.code == 429
            raise


def fetch_one_by_one(base_url: str, pmids: list[int]) -> dict:
    """The loop people write first: one efetch per id, Bio.Entrez's defaults (3 tries, its pacing)."""
    from Bio import Entrez

    redirect, previous = _Redirect(base_url), getattr(urllib.request, "_opener", None)
    Entrez.email, Entrez.api_key, Entrez.max_tries = EMAIL, None, 3
    urllib.request.install_opener(redirect)
    records = failed = 0
    started = time.monotonic()
    try:
        for pmid in pmids:
            try:
                with Entrez.efetch(db="pubmed", id=str(pmid), retmode="xml") as handle:
                    records += len(parse_efetch_reply(handle.read()))
            except (urllib.error.URLError, OSError, PubmedXmlError):
                failed += 1
    finally:
        urllib.request.install_opener(previous)
    return {"wall": time.monotonic() - started, "requests": redirect.requests,
            "rate_limited": redirect.rate_limited, "records": records, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=10_000, help="PMIDs to fetch (from the 30,000 in the file)")
    parser.add_argument("--naive-ids", type=int, default=200, help="ids for the one-per-request loop; 0 skips it")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of stand-in replies that go wrong")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not TESTDATA.exists():
        subprocess.run([str(ROOT / "scripts" / "fetch-test-data")], check=True)

    all_pmids = read_pmids(TESTDATA)
    pmids = sorted(random.Random(args.seed).sample(all_pmids, min(args.ids, len(all_pmids))))
    floor = math.ceil(len(pmids) / BATCH) / RATE
    print(f"fetch benchmark: {len(pmids):,} PMIDs sampled from {TESTDATA.name} ({len(all_pmids):,} records), "
          f"stand-in at {RATE:g} requests/s (no API key), fault rate {args.fault_rate:g}")
    proc, base_url = start_standin(TESTDATA, args.fault_rate, args.seed)
    try:
        got = fetch_batched(base_url, pmids)
        print(f"batched (EntrezSource): {got['requests']} requests {got['by_endpoint']}, "
              f"wall {got['wall']:.1f} s, 429s received {got['rate_limited']}, retries {got['retries']}")
        print(f"  records {got['records']:,}, not found {got['not_found']:,}, unavailable {got['unavailable']:,}")
        print(f"  rate-limit floor ceil({len(pmids)}/{BATCH})/{RATE:g} = {floor:.1f} s; "
              f"wall / floor = {got['wall'] / floor:.2f} (target <= 1.3)")
        if args.naive_ids:
            sample = pmids[: args.naive_ids]
            one = fetch_one_by_one(base_url, sample)
            per_id = one["wall"] / len(sample)
            print(f"one id per request (plain Bio.Entrez loop, {len(sample)} ids): {one['requests']} requests, "
                  f"wall {one['wall']:.1f} s, 429s received {one['rate_limited']}, records {one['records']}, "
                  f"failed {one['failed']}")
            print(f"  extrapolated to {len(pmids):,} ids: {per_id * len(pmids):,.0f} s "
                  f"({per_id * len(pmids) / got['wall']:.0f}x the batched wall time)")
    finally:
        counters = stop_standin(proc)
    print(f"stand-in counters: {json.dumps(counters, sort_keys=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
